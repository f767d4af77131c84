import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { loadConfigOrExit } from '@auren/config';
import { ListenError, listenOn, runStartup, serveMetrics } from '@auren/platform';
import { MemoryAlertLog, MemoryStream, StreamingModuleOptions } from '@auren/streaming';
import { createGatewayApp } from '../../gateway/src/gateway.app';
import { DashboardSettings } from '../../gateway/src/page/dashboard-settings';
import { gatewayOrigins } from '../../history/src/graphql/cors';
import { createHistoryApp, historyDatabaseReady } from '../../history/src/history.app';
import { startGrpcIngest } from '../../ingest/src/grpc/grpc-ingest.server';
import { createIngestApp } from '../../ingest/src/ingest.app';

/**
 * Ingest, gateway and history in one process, for a laptop. Without REDIS_URL they share an
 * in-memory stream and an in-memory alerts log; with it, each talks to Redis as the separate
 * processes would. History keeps its data in PostgreSQL (DATABASE_URL) or, by default, in the
 * embedded engine under AUREN_HISTORY_DATA_DIR. HTTP ingest, the gateway and history (unless
 * AUREN_HISTORY_ENABLED=false) are needed (a port in use: one line, exit 69); gRPC is an optional
 * door: when its port is taken the quick start says so and runs without it.
 */
void runStartup(async (startup) => {
  const config = loadConfigOrExit();
  const logger = new Logger('AllInOne');
  const streaming: StreamingModuleOptions = {};
  if (config.stream.backend === 'memory') {
    streaming.shared = new MemoryStream(
      config.stream.memoryMaxLen,
      config.stream.dedupeWindowSeconds * 1000,
    );
    // One alerts log too: what the history app's evaluator publishes, the gateway delivers.
    streaming.sharedAlertLog = new MemoryAlertLog();
    logger.warn(
      `Using the in-memory stream (no REDIS_URL): events live in this process only and are lost when it stops. Set REDIS_URL=redis://127.0.0.1:6379 for a durable stream.`,
    );
  }
  const ingest = await createIngestApp(config, streaming);
  const gateway = await createGatewayApp(config, streaming);
  await listenOn({ variable: 'GATEWAY_PORT', port: config.gatewayPort, host: config.host }, () =>
    gateway.listen(config.gatewayPort, config.host),
  );
  await gateway.startAllMicroservices();
  await listenOn({ variable: 'INGEST_PORT', port: config.ingestPort, host: config.host }, () =>
    ingest.listen(config.ingestPort, config.host),
  );
  let grpc = 'gRPC ingest off';
  try {
    await startGrpcIngest(ingest, config);
    if (config.grpcEnabled) grpc = 'gRPC ingest on';
  } catch (error) {
    if (!(error instanceof ListenError)) throw error;
    // grpc-js's own line about the failed bind says less than this one.
    startup.forget('No address added');
    logger.warn(
      `${error.message}. Running without gRPC ingest; HTTP ingest and the gateway are up.`,
    );
  }
  const apps = [ingest, gateway];
  let history = 'history off';
  if (config.history.enabled) {
    const gatewayPort = (gateway.getHttpServer().address() as AddressInfo).port;
    const app = await createHistoryApp(config, {
      streaming,
      dashboardOrigins: gatewayOrigins(config.host, gatewayPort),
    });
    await listenOn({ variable: 'HISTORY_PORT', port: config.history.port, host: config.host }, () =>
      app.listen(config.history.port, config.host),
    );
    await app.startAllMicroservices();
    await historyDatabaseReady(app);
    apps.push(app);
    const { port } = app.getHttpServer().address() as AddressInfo;
    // The dashboard at the gateway's `/` finds GraphQL here (GET /dashboard/config.json).
    gateway.get(DashboardSettings).useHistoryPort(port);
    history = `history at http://${config.host}:${port}/graphql`;
  }
  await serveMetrics(config, apps);
  logger.log(
    `AUREN Realtime is up: POST events to http://${config.host}:${config.ingestPort}/v1/events, watch them at http://${config.host}:${config.gatewayPort}/, ${history} (stream: ${config.stream.backend}, ${grpc})`,
  );
});
