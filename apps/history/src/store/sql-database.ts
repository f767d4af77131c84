import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Pool, type PoolConfig } from 'pg';

/** What the history code needs from a SQL connection: PostgreSQL or the embedded PGlite. */
export interface SqlSession {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

export interface SqlDatabase extends SqlSession {
  /** `postgres` (a server at DATABASE_URL) or `pglite` (in-process, in a data folder). */
  readonly engine: 'postgres' | 'pglite';
  /** Where it is, without credentials: for logs. */
  readonly where: string;
  /** Several statements, no parameters (migrations). */
  exec(script: string): Promise<void>;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
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

  constructor(url: string, options: PoolConfig = {}) {
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
  ) {}

  /** `dataDir` null: in memory only (tests). */
  static async open(dataDir: string | null): Promise<PgliteDatabase> {
    const { PGlite } = await import('@electric-sql/pglite');
    let where = 'memory://';
    if (dataDir !== null) {
      where = resolve(dataDir);
      mkdirSync(where, { recursive: true });
    }
    const db = await PGlite.create(where === 'memory://' ? where : where);
    return new PgliteDatabase(db, where);
  }

  async query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }> {
    const result = await this.db.query<R>(text, params);
    return { rows: result.rows };
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

  async close(): Promise<void> {
    if (!this.db.closed) await this.db.close();
  }
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
