import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { INestApplication, Logger } from '@nestjs/common';
import { Registry } from 'prom-client';
import type { AurenConfig } from '@auren/config';
import { metricsAccess } from './metrics-access';
import { listenOn } from './ports';

/**
 * The exposition of one process's registries. The all-in-one has two (ingest, gateway), whose
 * default process metrics are the same series: each name is written once, from the first registry
 * that has it.
 */
export async function exposition(registries: Registry[]): Promise<string> {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const registry of registries) {
    for (const metric of registry.getMetricsAsArray()) {
      const name = metric.name;
      if (seen.has(name)) continue;
      seen.add(name);
      parts.push(await registry.getSingleMetricAsString(name));
    }
  }
  return `${parts.join('\n')}\n`;
}

export interface MetricsServer {
  /** The port actually bound (AUREN_METRICS_PORT=0 picks one). */
  port: number;
  close(): Promise<void>;
}

function answer(status: number, message: string, headers: Record<string, string> = {}) {
  const error = { 401: 'Unauthorized', 404: 'Not Found', 405: 'Method Not Allowed' }[status];
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify({ statusCode: status, error, message }),
  };
}

/**
 * `GET /metrics` alone on AUREN_METRICS_HOST:AUREN_METRICS_PORT, with the same token rule as on
 * the app's port. Rejects with a ListenError naming AUREN_METRICS_PORT when it cannot bind.
 */
export async function startMetricsServer(
  registries: Registry[],
  config: AurenConfig['metrics'] & { port: number },
): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    void (async () => {
      const path = (request.url ?? '/').split('?')[0];
      let reply;
      if (path !== '/metrics') reply = answer(404, `${path} is not served here; try /metrics`);
      else if (request.method !== 'GET' && request.method !== 'HEAD')
        reply = answer(405, 'use GET /metrics', { allow: 'GET, HEAD' });
      else if (metricsAccess(config.token, request.headers.authorization) === 'unauthorized')
        reply = answer(401, 'send Authorization: Bearer <AUREN_METRICS_TOKEN> to read /metrics', {
          'www-authenticate': 'Bearer realm="metrics"',
        });
      else
        reply = {
          status: 200,
          headers: {
            'content-type': registries[0]?.contentType ?? 'text/plain',
            'cache-control': 'no-store',
          },
          body: await exposition(registries),
        };
      response.writeHead(reply.status, reply.headers).end(reply.body);
    })().catch(() => response.writeHead(500).end());
  });
  await listenOn(
    {
      variable: 'AUREN_METRICS_PORT',
      port: config.port,
      host: config.host,
      hostVariable: 'AUREN_METRICS_HOST',
    },
    () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          resolve();
        });
      }),
  );
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * For entry points, once the apps listen: starts the metrics port when AUREN_METRICS_PORT is set
 * (closed with the first app), and warns in production when `/metrics` is open to anyone who
 * reaches the app's port.
 */
export async function serveMetrics(config: AurenConfig, apps: INestApplication[]): Promise<void> {
  const logger = new Logger('Metrics');
  const { port, token, host } = config.metrics;
  if (port === undefined) {
    if (config.production && !token)
      logger.warn(
        '/metrics is open to anyone who reaches this port: set AUREN_METRICS_TOKEN, or AUREN_METRICS_PORT (and AUREN_METRICS_HOST) to serve it on a private address (docs/configuration.md)',
      );
    return;
  }
  const server = await startMetricsServer(
    apps.map((app) => app.get(Registry)),
    { ...config.metrics, port },
  );
  let closing: Promise<void> | undefined;
  for (const app of apps)
    (app.getHttpServer() as Server).once('close', () => void (closing ??= server.close()));
  logger.log(
    `Metrics on http://${host.includes(':') ? `[${host}]` : host}:${server.port}/metrics only (${token ? 'Bearer token required' : 'no token'})`,
  );
}
