import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client, Pool, type PoolConfig } from 'pg';

/** What the history code needs from a SQL connection: PostgreSQL or the embedded PGlite. */
export interface SqlSession {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

/**
 * A statement run very often (the writer's insert) may be given a name: PostgreSQL then parses
 * and plans it once per connection instead of every time. PGlite ignores it.
 */
export interface PreparedQuery {
  name: string;
}

export interface SqlDatabase extends SqlSession {
  /** {@link SqlSession.query}, as a named prepared statement on PostgreSQL. */
  queryPrepared<R = Record<string, unknown>>(
    statement: PreparedQuery,
    text: string,
    params: unknown[],
  ): Promise<{ rows: R[] }>;
  /** `postgres` (a server at DATABASE_URL) or `pglite` (in-process, in a data folder). */
  readonly engine: 'postgres' | 'pglite';
  /** Where it is, without credentials: for logs. */
  readonly where: string;
  /** Several statements, no parameters (migrations). */
  exec(script: string): Promise<void>;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: SqlSession) => Promise<T>): Promise<T>;
  /**
   * A connection of its own, kept until released: for session state such as an advisory lock
   * (its holder's writes go through it, so they fail once it is gone).
   */
  hold(): Promise<HeldSession>;
  close(): Promise<void>;
}

/** A dedicated connection ({@link SqlDatabase.hold}). */
export interface HeldSession extends SqlSession {
  /** Runs `work` in one transaction on this connection. */
  transaction<T>(work: (tx: SqlSession) => Promise<T>): Promise<T>;
  /** Called once if the connection breaks (the server went away, a network error). */
  onLost(listener: (error: Error) => void): void;
  release(): Promise<void>;
}

/**
 * The history cannot open its database: start-up ends with this message and exit code 69
 * (EX_UNAVAILABLE), not a stack trace (see runStartup).
 */
export class DatabaseRefusal extends Error {
  readonly exitCode = 69;
  /** One line, without the start-up log before it (see runStartup). */
  readonly alone = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseRefusal';
  }
}

/** The URL with its password replaced, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** PostgreSQL through a `pg` pool. */
export class PostgresDatabase implements SqlDatabase {
  readonly engine = 'postgres' as const;
  readonly where: string;
  private readonly pool: Pool;

  constructor(
    private readonly url: string,
    options: PoolConfig = {},
  ) {
    this.where = redactUrl(url);
    this.pool = new Pool({
      connectionString: url,
      max: 8,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
      application_name: 'auren-history',
      ...options,
    });
    // A dropped idle connection is reported here; the next query opens a new one.
    this.pool.on('error', () => undefined);
  }

  async query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }> {
    const result = await this.pool.query(text, params);
    return { rows: result.rows as R[] };
  }

  async queryPrepared<R>(
    statement: PreparedQuery,
    text: string,
    params: unknown[],
  ): Promise<{ rows: R[] }> {
    const result = await this.pool.query({ name: statement.name, text, values: params });
    return { rows: result.rows as R[] };
  }

  async exec(script: string): Promise<void> {
    await this.pool.query(script);
  }

  async transaction<T>(work: (tx: SqlSession) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work({
        query: async <R>(text: string, params?: unknown[]) => ({
          rows: (await client.query(text, params)).rows as R[],
        }),
      });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw error;
    } finally {
      // A connection whose ROLLBACK failed is destroyed, not handed to the next transaction.
      client.release(broken);
    }
  }

  async hold(): Promise<HeldSession> {
    const client = new Client({
      connectionString: this.url,
      connectionTimeoutMillis: 5000,
      application_name: 'auren-history-session',
    });
    let lost: ((error: Error) => void) | null = null;
    let released = false;
    const fail = (error: Error) => {
      if (released) return;
      released = true;
      const listener = lost;
      lost = null;
      listener?.(error);
    };
    client.on('error', fail);
    client.on('end', () => fail(new Error('connection closed')));
    await client.connect();
    const query = async <R>(text: string, params?: unknown[]) => ({
      rows: (await client.query(text, params)).rows as R[],
    });
    return {
      query,
      transaction: async <T>(work: (tx: SqlSession) => Promise<T>): Promise<T> => {
        await client.query('BEGIN');
        try {
          const result = await work({ query });
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      },
      onLost: (listener) => {
        lost = listener;
      },
      release: async () => {
        released = true;
        await client.end().catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

type PGliteInstance = import('@electric-sql/pglite').PGlite;

/**
 * PostgreSQL compiled to WebAssembly, running in this process (`@electric-sql/pglite`): the same
 * SQL, one connection, data in a folder. The embedded default when DATABASE_URL is unset.
 */
export class PgliteDatabase implements SqlDatabase {
  readonly engine = 'pglite' as const;

  private constructor(
    private readonly db: PGliteInstance,
    readonly where: string,
    private readonly lockFile: string | null,
  ) {}

  /**
   * `dataDir` null: in memory only (tests). A folder is used by one process at a time (the
   * engine has no locking of its own): a second process is refused with the owner's pid.
   */
  static async open(dataDir: string | null): Promise<PgliteDatabase> {
    const { PGlite } = await import('@electric-sql/pglite');
    if (dataDir === null)
      return new PgliteDatabase(await PGlite.create('memory://'), 'memory://', null);
    const where = resolve(dataDir);
    mkdirSync(where, { recursive: true });
    const lockFile = join(where, '.auren-history.pid');
    claimFolder(lockFile, where);
    try {
      return new PgliteDatabase(await PGlite.create(where), where, lockFile);
    } catch (error) {
      rmSync(lockFile, { force: true });
      throw error;
    }
  }

  async query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }> {
    const result = await this.db.query<R>(text, params);
    return { rows: result.rows };
  }

  async queryPrepared<R>(
    _statement: PreparedQuery,
    text: string,
    params: unknown[],
  ): Promise<{ rows: R[] }> {
    return this.query<R>(text, params);
  }

  async exec(script: string): Promise<void> {
    await this.db.exec(script);
  }

  async transaction<T>(work: (tx: SqlSession) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) =>
      work({
        query: async <R>(text: string, params?: unknown[]) => ({
          rows: (await tx.query<R>(text, params)).rows,
        }),
      }),
    );
  }

  /** The engine has one connection, in this process: the session is that connection. */
  hold(): Promise<HeldSession> {
    return Promise.resolve({
      query: <R>(text: string, params?: unknown[]) => this.query<R>(text, params),
      transaction: <T>(work: (tx: SqlSession) => Promise<T>) => this.transaction(work),
      onLost: () => undefined,
      release: () => Promise.resolve(),
    });
  }

  async close(): Promise<void> {
    if (!this.db.closed) await this.db.close();
    if (this.lockFile) rmSync(this.lockFile, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Writes this process's pid into the folder's lock file, unless a live process holds it. */
function claimFolder(lockFile: string, where: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(lockFile, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new DatabaseRefusal(
          `The history data folder ${where} is in use by process ${owner}: stop it, or give this process its own folder (AUREN_HISTORY_DATA_DIR) or a PostgreSQL (DATABASE_URL)`,
        );
      }
      // Left by a process that is gone: take it over.
      rmSync(lockFile, { force: true });
    }
  }
  throw new Error(`Could not claim the history data folder ${where}`);
}

/** DATABASE_URL when set, else PGlite in `dataDir`. */
export async function openDatabase(options: {
  databaseUrl?: string;
  dataDir: string | null;
}): Promise<SqlDatabase> {
  return options.databaseUrl
    ? new PostgresDatabase(options.databaseUrl)
    : PgliteDatabase.open(options.dataDir);
}

/**
 * A database that is still being opened: the app can be built and bind its port while the engine
 * starts (the embedded one takes seconds), so a port in use is reported at once. Queries wait for
 * the opening; {@link ready} rejects with why it failed.
 */
export class DeferredDatabase implements SqlDatabase {
  private inner: SqlDatabase | null = null;
  private failure: unknown = null;
  readonly ready: Promise<SqlDatabase>;

  constructor(
    open: Promise<SqlDatabase>,
    private readonly fallbackWhere: string,
  ) {
    this.ready = open.then(
      (db) => (this.inner = db),
      (error: unknown) => {
        this.failure = error;
        throw error;
      },
    );
    // Awaited by the entry point; not an unhandled rejection meanwhile.
    this.ready.catch(() => undefined);
  }

  /** True once the database is open and migrated. */
  get opened(): boolean {
    return this.inner !== null;
  }

  get engine(): 'postgres' | 'pglite' {
    return this.inner?.engine ?? 'postgres';
  }

  get where(): string {
    return this.inner?.where ?? this.fallbackWhere;
  }

  async query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }> {
    return (this.inner ?? (await this.ready)).query<R>(text, params);
  }

  async queryPrepared<R>(
    statement: PreparedQuery,
    text: string,
    params: unknown[],
  ): Promise<{ rows: R[] }> {
    return (this.inner ?? (await this.ready)).queryPrepared<R>(statement, text, params);
  }

  async exec(script: string): Promise<void> {
    return (this.inner ?? (await this.ready)).exec(script);
  }

  async transaction<T>(work: (tx: SqlSession) => Promise<T>): Promise<T> {
    return (this.inner ?? (await this.ready)).transaction(work);
  }

  async hold(): Promise<HeldSession> {
    return (this.inner ?? (await this.ready)).hold();
  }

  async close(): Promise<void> {
    const db = this.inner ?? (this.failure ? null : await this.ready.catch(() => null));
    await db?.close();
  }
}
