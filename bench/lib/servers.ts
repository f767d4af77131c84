/**
 * The servers a scenario measures, each in its own process: the AUREN gateway from dist/ (as
 * `npm run start:gateway` runs it) and the bare Socket.IO baseline.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../../test/harness/ports';
import { waitFor } from '../../test/harness/wait';
import type { ServerKind } from './ipc';
import { ManagedProcess, ROOT } from './processes';

export interface ServerUnderTest {
  kind: ServerKind;
  label: string;
  url: string;
  process: ManagedProcess;
  inspectorPort?: number;
  /** Open Socket.IO connections, as the server counts them. */
  connections(): Promise<number>;
  /** Deliveries the server says it made (AUREN's counter), if it keeps one. */
  deliveries(): Promise<number | undefined>;
  stop(): Promise<void>;
}

export interface ServerOptions {
  redisUrl: string;
  streamKey: string;
  jwtSecret: string;
  /** Start with `--inspect` on a free port (P5's forced GC, `--profile`). */
  inspect?: boolean;
  /** Settings added to, or replacing, aurenEnv's (e.g. P6's Kafka backend). */
  env?: Record<string, string | undefined>;
  /** How the results name this server (default: AUREN gateway (Redis)). */
  label?: string;
}

/**
 * Where the AUREN apps are run from: dist/ (what `node scripts/build.mjs` builds), or another
 * build of the same sources named by `AUREN_BENCH_DIST` (e.g. a private `tsc --outDir` while
 * others rebuild dist/).
 */
export const DIST = process.env.AUREN_BENCH_DIST ?? join(ROOT, 'dist');

/** Compiles apps and libs into dist/ when the sources changed (the `npm start` step). */
export function buildDist(): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/** The settings every AUREN gateway of the bench runs with (written into the results). */
export function aurenEnv(options: ServerOptions, port: number): Record<string, string> {
  return {
    NODE_ENV: 'production',
    AUREN_HOST: '127.0.0.1',
    GATEWAY_PORT: String(port),
    REDIS_URL: options.redisUrl,
    AUREN_STREAM_KEY: options.streamKey,
    AUREN_JWT_SECRET: options.jwtSecret,
    AUREN_MAX_CONNECTIONS: '100000',
    AUREN_MAX_CONNECTIONS_PER_USER: '100000',
    AUREN_LOG_LEVEL: 'warn',
  };
}

/** The gateway's settings without secrets, ports or keys, for the results. */
export function aurenSettings(): Record<string, string> {
  const env = aurenEnv(
    { redisUrl: 'redis://…', streamKey: 'bench:<scenario>:<time>', jwtSecret: '(random per run)' },
    0,
  );
  delete env.GATEWAY_PORT;
  return env;
}

async function metric(url: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = new RegExp(`^${name} ([0-9.e+]+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

export async function startAuren(options: ServerOptions): Promise<ServerUnderTest> {
  const port = await freePort();
  const inspectorPort = options.inspect ? await freePort() : undefined;
  const args = [join(DIST, 'apps', 'gateway', 'src', 'main.js')];
  if (inspectorPort) args.unshift(`--inspect=127.0.0.1:${inspectorPort}`);
  const child = ManagedProcess.node('AUREN gateway', args, {
    env: { ...aurenEnv(options, port), ...options.env },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      child.assertRunning();
      return (await fetch(`${url}/health/ready`).catch(() => undefined))?.status === 200;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: 'the AUREN gateway to be ready' },
  );
  return {
    kind: 'auren',
    label: options.label ?? 'AUREN gateway (Redis)',
    url,
    process: child,
    inspectorPort,
    connections: async () => (await metric(url, 'auren_gateway_connections')) ?? -1,
    deliveries: () => metric(url, 'auren_gateway_deliveries_total'),
    stop: () => child.stop(),
  };
}

export async function startBare(
  options: ServerOptions,
  mode: 'broadcast' | 'rooms',
): Promise<ServerUnderTest> {
  const port = await freePort();
  const inspectorPort = options.inspect ? await freePort() : undefined;
  const args = ['--import', 'tsx', join(ROOT, 'bench', 'baselines', 'bare-socketio.ts')];
  if (inspectorPort) args.unshift(`--inspect=127.0.0.1:${inspectorPort}`);
  const child = ManagedProcess.node(`bare Socket.IO (${mode})`, args, {
    env: {
      PORT: String(port),
      REDIS_URL: options.redisUrl,
      STREAM_KEY: options.streamKey,
      BARE_MODE: mode,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      child.assertRunning();
      return (await fetch(`${url}/ready`).catch(() => undefined))?.status === 200;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: 'the bare Socket.IO server to be ready' },
  );
  return {
    kind: mode === 'broadcast' ? 'bare-broadcast' : 'bare-rooms',
    label: mode === 'broadcast' ? 'bare Socket.IO, io.emit' : 'bare Socket.IO, rooms',
    url,
    process: child,
    inspectorPort,
    connections: async () =>
      ((await (await fetch(`${url}/stats`)).json()) as { clients: number }).clients,
    deliveries: () => Promise.resolve(undefined),
    stop: () => child.stop(),
  };
}

/** An HTTP ingest under test (P1, P2, P4): AUREN's from dist/, or the bare baseline. */
export interface IngestUnderTest {
  kind: 'auren' | 'bare';
  label: string;
  url: string;
  /** The `Authorization` header the load sends (AUREN runs in production mode). */
  authorization?: string;
  process: ManagedProcess;
  inspectorPort?: number;
  stop(): Promise<void>;
}

export interface IngestOptions {
  redisUrl: string;
  streamKey: string;
  jwtSecret: string;
  /** Service API key the load authenticates with (not bound to a user). */
  apiKey: string;
  inspect?: boolean;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeFlags?: string[];
  /** Settings added to, or replacing, aurenIngestEnv's (e.g. P6's Kafka backend). */
  env?: Record<string, string | undefined>;
  /** How the results name this ingest (default: AUREN ingest (Redis)). */
  label?: string;
}

/** The settings every AUREN ingest of the bench runs with (written into the results). */
export function aurenIngestEnv(options: IngestOptions, port: number, grpcPort: number) {
  return {
    NODE_ENV: 'production',
    AUREN_HOST: '127.0.0.1',
    INGEST_PORT: String(port),
    GRPC_PORT: String(grpcPort),
    REDIS_URL: options.redisUrl,
    AUREN_STREAM_KEY: options.streamKey,
    AUREN_JWT_SECRET: options.jwtSecret,
    AUREN_API_KEYS: options.apiKey,
    // The bench's redis-server keeps nothing on disk; production mode refuses that unless told
    // (docs/durability.md). The figures are for ingest itself, not for an fsync policy.
    AUREN_REDIS_ALLOW_VOLATILE: 'true',
    // Off unless a scenario turns them on: P1 measures with and without, P7 sets its own limits.
    AUREN_RATE_LIMIT_EVENTS_PER_SECOND: '0',
  };
}

export function aurenIngestSettings(): Record<string, string> {
  const env: Record<string, string> = aurenIngestEnv(
    {
      redisUrl: 'redis://…',
      streamKey: 'bench:<scenario>:<time>',
      jwtSecret: '(random per run)',
      apiKey: '(random service key per run)',
    },
    0,
    0,
  );
  delete env.INGEST_PORT;
  delete env.GRPC_PORT;
  env.AUREN_LOG_LEVEL = '(default: log)';
  return env;
}

export async function startAurenIngest(options: IngestOptions): Promise<IngestUnderTest> {
  const port = await freePort();
  const grpcPort = await freePort();
  const inspectorPort = options.inspect ? await freePort() : undefined;
  const args = [...(options.nodeFlags ?? []), join(DIST, 'apps', 'ingest', 'src', 'main.js')];
  if (inspectorPort) args.unshift(`--inspect=127.0.0.1:${inspectorPort}`);
  const child = ManagedProcess.node('AUREN ingest', args, {
    env: { ...aurenIngestEnv(options, port, grpcPort), ...options.env },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      child.assertRunning();
      return (await fetch(`${url}/health/ready`).catch(() => undefined))?.status === 200;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: 'the AUREN ingest to be ready' },
  );
  return {
    kind: 'auren',
    label: options.label ?? 'AUREN ingest (Redis)',
    url,
    authorization: `Bearer ${options.apiKey}`,
    process: child,
    inspectorPort,
    stop: () => child.stop(),
  };
}

export async function startBareIngest(options: IngestOptions): Promise<IngestUnderTest> {
  const port = await freePort();
  const inspectorPort = options.inspect ? await freePort() : undefined;
  const args = [
    ...(options.nodeFlags ?? []),
    '--import',
    'tsx',
    join(ROOT, 'bench', 'baselines', 'bare-ingest.ts'),
  ];
  if (inspectorPort) args.unshift(`--inspect=127.0.0.1:${inspectorPort}`);
  const child = ManagedProcess.node('bare ingest', args, {
    env: { PORT: String(port), REDIS_URL: options.redisUrl, STREAM_KEY: options.streamKey },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      child.assertRunning();
      return (await fetch(`${url}/ready`).catch(() => undefined))?.status === 200;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: 'the bare ingest to be ready' },
  );
  return {
    kind: 'bare',
    label: 'bare http + XADD',
    url,
    process: child,
    inspectorPort,
    stop: () => child.stop(),
  };
}
