import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { ensureBinary } from './binaries';
import { freePort } from './ports';
import { waitFor } from './wait';

const INSTALL_HINT =
  'PostgreSQL is not installed. Install it (Debian/Ubuntu: sudo apt-get install postgresql; macOS: brew install postgresql) or set DATABASE_URL to a PostgreSQL database the tests may create databases in.';

/** Debian keeps the server binaries under /usr/lib/postgresql/<major>/bin, off PATH. */
function serverBinDir(): string {
  const root = '/usr/lib/postgresql';
  const find = () =>
    existsSync(root)
      ? readdirSync(root)
          .filter((major) => existsSync(join(root, major, 'bin', 'initdb')))
          .sort((a, b) => Number(b) - Number(a))
          .map((major) => join(root, major, 'bin'))[0]
      : undefined;
  const found = find();
  if (found) return found;
  const initdb = ensureBinary({
    binary: 'initdb',
    debianPackage: 'postgresql',
    paths: [],
    hint: INSTALL_HINT,
  });
  return find() ?? join(initdb, '..');
}

/** initdb and postgres refuse to run as root: as root, the server runs as the `postgres` user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export async function pingPostgres(url: string, timeoutMs = 5000): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A PostgreSQL server of the tests' own: `initdb` into a temp dir, `postgres` on a free port of
 * 127.0.0.1, trust authentication. `fsync=off` (the OS keeps what a killed server wrote; only a
 * host crash would lose it) and synchronous commits on, so a SIGKILL loses nothing committed.
 */
export class PostgresServer {
  private child?: ChildProcess;
  private readonly dir: string;
  private readonly data: string;

  private constructor(
    readonly port: number,
    private readonly bin: string,
    private readonly user: { uid: number; gid: number } | undefined,
    /** A folder kept between runs (the bench's cached data sets), or undefined for a temp one. */
    private readonly kept: string | undefined,
  ) {
    this.dir = kept ? resolve(kept) : mkdtempSync(join(tmpdir(), 'auren-pg-'));
    this.data = join(this.dir, 'data');
  }

  /**
   * `options.dir`: keep the server's files in this folder (created when missing, reused with
   * its data when it holds a server already, never deleted by {@link dispose}).
   */
  static async start(port?: number, options: { dir?: string } = {}): Promise<PostgresServer> {
    const server = new PostgresServer(
      port ?? (await freePort()),
      serverBinDir(),
      serverUser(),
      options.dir,
    );
    if (!existsSync(join(server.data, 'PG_VERSION'))) server.init();
    await server.launch();
    return server;
  }

  /** The server's own database; tests create their own with {@link createDatabase}. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private init(): void {
    mkdirSync(this.dir, { recursive: true });
    if (this.user) chownSync(this.dir, this.user.uid, this.user.gid);
    const pwfile = join(this.dir, 'pw');
    writeFileSync(pwfile, 'postgres\n');
    if (this.user) chownSync(pwfile, this.user.uid, this.user.gid);
    execFileSync(
      join(this.bin, 'initdb'),
      [
        '-D',
        this.data,
        '-U',
        'postgres',
        '--auth=trust',
        '--encoding=UTF8',
        '--locale=C',
        '--no-sync',
      ],
      { stdio: 'ignore', ...this.user, cwd: this.dir },
    );
  }

  /** Starts (again) on the same port and data directory. */
  async launch(): Promise<void> {
    const child = spawn(
      join(this.bin, 'postgres'),
      [
        '-D',
        this.data,
        '-p',
        String(this.port),
        '-h',
        '127.0.0.1',
        '-k',
        this.dir,
        '-c',
        'fsync=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=200',
        '-c',
        'shared_buffers=256MB',
      ],
      { stdio: 'ignore', ...this.user, cwd: this.dir },
    );
    this.child = child;
    await waitFor(() => pingPostgres(this.url, 500).then(() => true), {
      timeoutMs: 30_000,
      what: `postgres on port ${this.port}`,
    });
  }

  /**
   * Stops the server. SIGKILL simulates a crash of the whole server: the postmaster and every
   * backend at once (a backend left alive would hold the shared memory and block the restart);
   * the next {@link launch} recovers from the WAL.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (signal !== 'SIGKILL') {
      child.kill('SIGINT'); // fast shutdown
      await exited;
      return;
    }
    let children: number[] = [];
    try {
      children = execFileSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map(Number);
    } catch {
      /* no backends */
    }
    child.kill('SIGKILL');
    for (const pid of children) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await exited;
    await waitFor(
      () =>
        children.every((pid) => {
          try {
            process.kill(pid, 0);
            return false;
          } catch {
            return true;
          }
        }),
      { timeoutMs: 10_000, what: 'postgres backends to exit' },
    );
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (!this.kept) rmSync(this.dir, { recursive: true, force: true });
  }
}

let counter = 0;

/**
 * A fresh, empty database on the run's PostgreSQL (`AUREN_TEST_DATABASE_URL`, set by the global
 * setup): its URL. Each test file takes its own, so files never see each other's rows.
 */
export async function createDatabase(prefix = 't'): Promise<string> {
  const admin = process.env.AUREN_TEST_DATABASE_URL;
  if (!admin) throw new Error('AUREN_TEST_DATABASE_URL is not set: run the tests through jest');
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${(counter++).toString(36)}`;
  const client = new Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}
