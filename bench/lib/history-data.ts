/**
 * The history benchmarks' PostgreSQL and data: a PostgreSQL server of the bench's own
 * (test/harness/postgres.ts) and, for the query scenario, a backfilled history kept between runs
 * in `.cache/bench-history/<key>/`, where the key names the events (seed, count, days, end) and
 * a digest of the code that shapes them (schema, row mapping, generator), so that a change to any
 * of them builds a new data set instead of measuring a stale one.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { MIGRATIONS, runMigrations } from '../../apps/history/src/store/migrations';
import { PostgresDatabase } from '../../apps/history/src/store/sql-database';
import { backfill, parseBackfillArgs } from '../../scripts/backfill';
import { PostgresServer } from '../../test/harness/postgres';
import { ROOT } from './processes';

export interface HistoryDataSpec {
  seed: number;
  total: number;
  days: number;
  /** End of the history (exclusive), ISO. */
  end: string;
}

export interface HistoryData {
  server: PostgresServer;
  /** The database holding the history. */
  url: string;
  /** Whether it was built by this run (false: taken from the cache). */
  built: boolean;
  buildSeconds?: number;
  key: string;
}

/** The code that decides which rows are stored (later migrations are applied to a cached set). */
const SHAPING_FILES = [
  'apps/history/src/store/event-rows.ts',
  'scripts/history-events.ts',
  'scripts/scenario.ts',
];

export function datasetKey(spec: HistoryDataSpec): string {
  const digest = createHash('sha256');
  digest.update(MIGRATIONS.find((m) => m.version === 1)?.sql ?? '');
  for (const file of SHAPING_FILES) digest.update(readFileSync(join(ROOT, file)));
  const end = spec.end.replace(/[^0-9]/g, '').slice(0, 12);
  return `s${spec.seed}-n${spec.total}-d${spec.days}-e${end}-${digest.digest('hex').slice(0, 10)}`;
}

function cacheDir(spec: HistoryDataSpec): string {
  return join(ROOT, '.cache', 'bench-history', datasetKey(spec));
}

/** Whether the data set of `spec` is built and cached (a `complete` file beside the server's). */
export function historyDataCached(spec: HistoryDataSpec): boolean {
  return existsSync(join(cacheDir(spec), 'complete'));
}

function databaseUrl(server: PostgresServer, name: string): string {
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  return url.toString();
}

async function adminQuery(server: PostgresServer, sql: string): Promise<Record<string, unknown>[]> {
  const client = new Client({ connectionString: server.url });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** An empty database `name` on a fresh temporary server (the writer scenario). */
export async function scratchServer(): Promise<PostgresServer> {
  return PostgresServer.start();
}

export async function freshDatabase(server: PostgresServer, name: string): Promise<string> {
  await adminQuery(server, `DROP DATABASE IF EXISTS ${name}`);
  await adminQuery(server, `CREATE DATABASE ${name}`);
  return databaseUrl(server, name);
}

/**
 * The backfilled history of `spec`, from the cache or built now (COPY path of
 * `generate-events --days`, then VACUUM ANALYZE). A build that did not finish is started over.
 */
export async function historyData(
  spec: HistoryDataSpec,
  log: (line: string) => void,
): Promise<HistoryData> {
  const key = datasetKey(spec);
  const dir = cacheDir(spec);
  let server: PostgresServer;
  try {
    server = await PostgresServer.start(undefined, { dir });
  } catch (error) {
    // A cache folder a crashed run left unusable: start over.
    log(`cached history in ${dir} unusable (${(error as Error).message}); building it again`);
    rmSync(dir, { recursive: true, force: true });
    server = await PostgresServer.start(undefined, { dir });
  }
  const url = databaseUrl(server, 'history');
  const done = await adminQuery(
    server,
    `SELECT 1 FROM pg_database WHERE datname = 'history' AND pg_catalog.shobj_description(oid, 'pg_database') = 'complete'`,
  );
  if (done.length > 0) {
    log(`history data set ${key}: cached in ${dir}`);
    writeFileSync(join(dir, 'complete'), `${key}\n`);
    const db = new PostgresDatabase(url);
    try {
      const applied = await runMigrations(db);
      if (applied.length > 0) {
        log(`  applied migrations ${applied.join(', ')} to the cached set; VACUUM ANALYZE`);
        // A migration may rewrite a table (and drop its statistics): measure what a maintained
        // database answers, not the autovacuum catching up.
        await db.exec('VACUUM ANALYZE');
      }
    } finally {
      await db.close();
    }
    return { server, url, built: false, key };
  }
  log(
    `history data set ${key}: building ${spec.total.toLocaleString('en-US')} events over ${spec.days} days once (kept in ${dir}; rm -r it to rebuild)`,
  );
  const started = performance.now();
  await adminQuery(server, 'DROP DATABASE IF EXISTS history');
  await adminQuery(server, 'CREATE DATABASE history');
  const options = parseBackfillArgs([
    '--days',
    String(spec.days),
    '--total',
    String(spec.total),
    '--seed',
    String(spec.seed),
    '--end',
    spec.end,
    '--database-url',
    url,
    '--method',
    'copy',
    '--retention-days',
    '36500',
  ]);
  await backfill(options, (line) => log(`  backfill: ${line}`));
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('VACUUM ANALYZE');
  } finally {
    await client.end();
  }
  await adminQuery(server, `COMMENT ON DATABASE history IS 'complete'`);
  writeFileSync(join(dir, 'complete'), `${key}\n`);
  const buildSeconds = (performance.now() - started) / 1000;
  log(`history data set ${key}: built in ${buildSeconds.toFixed(0)} s`);
  return { server, url, built: true, buildSeconds, key };
}
