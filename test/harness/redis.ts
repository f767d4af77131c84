import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { ensureBinary } from './binaries';
import { freePort } from './ports';
import { waitFor } from './wait';

const INSTALL_HINT =
  'redis-server is not installed. Install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) or set REDIS_URL to a Redis you can use for tests.';

/** The redis-server binary: found on PATH, or installed from Debian's packages when running as root. */
export function ensureRedisBinary(): string {
  return ensureBinary({
    binary: 'redis-server',
    debianPackage: 'redis-server',
    hint: INSTALL_HINT,
  });
}

export async function pingRedis(url: string, timeoutMs = 5000): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } finally {
    client.disconnect();
  }
}

/** A redis-server child on a free port in a temp dir; no persistence. */
export class RedisServer {
  private child?: ChildProcess;
  private readonly dir = mkdtempSync(join(tmpdir(), 'auren-redis-'));

  private constructor(
    readonly port: number,
    private readonly binary: string,
  ) {}

  static async start(port?: number): Promise<RedisServer> {
    const server = new RedisServer(port ?? (await freePort()), ensureRedisBinary());
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts (again) on the same port. */
  async launch(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'no',
    ];
    const child = spawn(this.binary, args, { stdio: 'ignore' });
    this.child = child;
    await waitFor(() => pingRedis(this.url, 500).then(() => true), {
      timeoutMs: 15_000,
      what: `redis-server on port ${this.port}`,
    });
  }

  /** Stops the server; SIGKILL simulates a crash. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
