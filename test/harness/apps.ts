import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig, type AurenConfig } from '@auren/config';
import type { StreamingModuleOptions } from '@auren/streaming';
import { createGatewayApp } from '../../apps/gateway/src/gateway.app';
import { startGrpcIngest } from '../../apps/ingest/src/grpc/grpc-ingest.server';
import { createIngestApp } from '../../apps/ingest/src/ingest.app';
import { freePort } from './ports';
import { waitFor } from './wait';

const ROOT = join(__dirname, '..', '..');

/**
 * Config for a test: quiet logs, free ports, the harness's Redis unless overridden. That Redis
 * keeps nothing on disk, which production mode accepts only with AUREN_REDIS_ALLOW_VOLATILE=true
 * (docs/durability.md); tests of that refusal override it.
 */
export async function testConfig(
  env: Record<string, string | undefined> = {},
): Promise<AurenConfig> {
  return loadConfig({
    AUREN_LOG_LEVEL: 'error',
    INGEST_PORT: String(await freePort()),
    GATEWAY_PORT: String(await freePort()),
    GRPC_PORT: String(await freePort()),
    REDIS_URL: process.env.AUREN_TEST_REDIS_URL,
    AUREN_STREAM_KEY: `test:${Math.random().toString(36).slice(2)}`,
    AUREN_REDIS_ALLOW_VOLATILE: 'true',
    // Ingest rate limits off unless a test turns them on (test/integration/ingest-rate-limit.test.ts).
    AUREN_RATE_LIMIT_EVENTS_PER_SECOND: '0',
    ...env,
  });
}

export interface RunningApp {
  app: NestFastifyApplication;
  url: string;
  close(): Promise<void>;
}

/** Ingest in this process, listening on its configured ports (HTTP, and gRPC unless disabled). */
export async function startIngest(
  config: AurenConfig,
  streaming?: StreamingModuleOptions,
): Promise<RunningApp> {
  const app = await createIngestApp(config, streaming);
  await startGrpcIngest(app, config);
  await app.listen(config.ingestPort, '127.0.0.1');
  return { app, url: `http://127.0.0.1:${config.ingestPort}`, close: () => app.close() };
}

/** A gateway in this process, reading the stream. */
export async function startGateway(
  config: AurenConfig,
  streaming?: StreamingModuleOptions,
): Promise<RunningApp> {
  const app = await createGatewayApp(config, streaming);
  await app.listen(config.gatewayPort, '127.0.0.1');
  await app.startAllMicroservices();
  const url = `http://127.0.0.1:${config.gatewayPort}`;
  // Ready means reading the stream: events posted from now on will be delivered.
  await waitFor(async () => (await fetch(`${url}/health/ready`)).status === 200, {
    timeoutMs: 20_000,
    what: 'the gateway to be ready',
  });
  return { app, url, close: () => app.close() };
}

/** An app started from dist/ as its own process, the way `npm run start:*` does. */
export class AppProcess {
  readonly output: string[] = [];
  private exitCode?: number | null;

  private constructor(private readonly child: ChildProcess) {
    const collect = (chunk: Buffer) => this.output.push(chunk.toString());
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.on('exit', (code) => (this.exitCode = code));
  }

  static spawn(
    app: 'ingest' | 'gateway' | 'history' | 'all-in-one',
    env: Record<string, string | undefined>,
  ): AppProcess {
    const main = join(ROOT, 'dist', 'apps', app, 'src', 'main.js');
    const child = spawn(process.execPath, [main], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AUREN_LOG_LEVEL: 'log',
        // A free gRPC port unless the test names one: parallel processes never fight over 50051.
        GRPC_PORT: '0',
        // The harness's Redis keeps nothing on disk; production mode needs this to start on it
        // (docs/durability.md). A test of the refusal passes `AUREN_REDIS_ALLOW_VOLATILE: undefined`.
        AUREN_REDIS_ALLOW_VOLATILE: 'true',
        // History (all-in-one, history): any free port and a data folder of its own unless named.
        HISTORY_PORT: '0',
        AUREN_HISTORY_DATA_DIR: mkdtempSync(join(tmpdir(), 'auren-history-')),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new AppProcess(child);
  }

  get text(): string {
    return this.output.join('');
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Waits until `GET url` answers 200. */
  async ready(url: string, timeoutMs = 30_000): Promise<void> {
    await waitFor(
      async () => {
        if (this.exitCode !== undefined)
          throw new Error(`process exited (${this.exitCode}):\n${this.text}`);
        const response = await fetch(url).catch(() => undefined);
        return response?.status === 200;
      },
      { timeoutMs, what: `${url} to answer 200` },
    );
  }

  /**
   * Waits for the start to be over: the entry points print their start-up lines (held until then)
   * when every door is open, the last one (history, on the embedded engine) some seconds after
   * the first answers. `line` is the entry point's last line.
   */
  async started(line: string, timeoutMs = 60_000): Promise<void> {
    await waitFor(
      () => {
        if (this.exitCode !== undefined)
          throw new Error(`process exited (${this.exitCode}):\n${this.text}`);
        return this.text.includes(line);
      },
      { timeoutMs, what: `"${line}" in the output` },
    );
  }

  /** Resolves with the exit code once the process ends. */
  exited(timeoutMs = 15_000): Promise<number | null> {
    return waitFor(() => (this.exitCode !== undefined ? { code: this.exitCode } : undefined), {
      timeoutMs,
      what: 'process exit',
    }).then((r) => r.code);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.child.kill(signal);
    await this.exited().catch(() => this.child.kill('SIGKILL'));
  }
}

/** POSTs JSON and returns status, headers and parsed body. */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}
