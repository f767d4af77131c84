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

export interface RedisServerOptions {
  /**
   * redis-server arguments after the harness's own, which they override: e.g.
   * `['--appendonly', 'yes', '--appendfsync', 'always']`, `['--replicaof', '127.0.0.1', '6379']`.
   */
  args?: string[];
}

/** A redis-server child on a free port in a temp dir; no persistence unless `args` say so. */
export class RedisServer {
  private child?: ChildProcess;
  private readonly dir = mkdtempSync(join(tmpdir(), 'auren-redis-'));

  private constructor(
    readonly port: number,
    private readonly binary: string,
    private readonly extraArgs: string[],
  ) {}

  static async start(port?: number, options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(
      port ?? (await freePort()),
      ensureRedisBinary(),
      options.args ?? [],
    );
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
      ...this.extraArgs,
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

  /** Freezes the server (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  /** Lets a paused server go on (SIGCONT). */
  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async dispose(): Promise<void> {
    this.resume();
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
