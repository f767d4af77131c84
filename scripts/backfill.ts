/**
 * `npm run generate-events -- --days N`: writes N days of seeded history (scripts/history-events.ts)
 * straight into the history database, through the history store: the writer's own insert
 * (`writeEvents`, idempotent, any engine) or, on PostgreSQL for a time range that holds nothing
 * yet, `COPY` of the same rows with the rollups the writer would have added (computed by the
 * writer's own `rollupsOf`), one transaction per group of whole hours.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { dayOf, type EventRow, toRow } from '../apps/history/src/store/event-rows';
import {
  EVENT_COLUMNS,
  packHistogram,
  PartitionKeeper,
  type RollupDelta,
  rollupColumns,
  ROLLUPS,
  type RollupSpec,
  rollupsOf,
  rollupFrom,
  writeEvents,
} from '../apps/history/src/store/event-writer';
import { runMigrations } from '../apps/history/src/store/migrations';
import {
  PgliteDatabase,
  PostgresDatabase,
  redactUrl,
  type SqlDatabase,
} from '../apps/history/src/store/sql-database';
import { historyBatches } from './history-events';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export const BACKFILL_USAGE = `Backfill mode: npm run generate-events -- --days N [options]

Writes N days of realistic, seeded history straight into the history database (no ingest, no
stream): two crews of agents (9 agents) running sessions for several users, each session an
agent_execution_started … agent_execution_completed run with trace_id / session_id /
parent_event_id, LLM calls on 5 models with tokens, cost and latency (about 4 % failing), tool
calls (about 6 % failing), memory and knowledge look-ups, decisions, collaborations; busier in
the UTC afternoon than at night. The same --seed and --end give the same events, so a re-run
with --method insert stores nothing twice.

Options:
  --days N             days of history, ending at --end (required; up to 3650; fractions allowed)
  --seed N             seed (default: random, printed at start)
  --events-per-day N   events per day (default 20000)
  --total N            events in all instead (spread over the days)
  --end ISO            end of the history, exclusive (default: now, rounded down to the hour)
  --users N            users owning sessions: user_1 … user_N, user_1 busiest (default 6)
  --database-url URL   PostgreSQL to write to (default: $DATABASE_URL; without one, the
                       embedded engine in --data-dir)
  --data-dir DIR       the embedded engine's folder (default: $AUREN_HISTORY_DATA_DIR or
                       data/history); stop the history app (npm start) using it first
  --method M           insert: the history writer's own statement, batch by batch (idempotent;
                       about 10,000-20,000 events/s on PostgreSQL, a few thousand embedded);
                       copy: PostgreSQL COPY of the same rows plus the same rollups, whole hours
                       per transaction, for large backfills into a time range that is empty;
                       auto (default): copy on PostgreSQL when the range is empty, else insert
  --batch N            events per insert (default 2000, the writer's AUREN_HISTORY_BATCH)
  --retention-days N   the history's retention (default: $AUREN_HISTORY_RETENTION_DAYS or 30);
                       days older than it would be dropped by the running history service
  --help               this text

Examples:
  npm run generate-events -- --days 7 --seed 42
  DATABASE_URL=postgres://... npm run generate-events -- --days 30 --total 10000000 --seed 7

Progress goes to stderr every two seconds. Exit code 0 when done, 1 on an error (the message
says what to do), 2 on a usage error.`;

export type BackfillMethod = 'auto' | 'insert' | 'copy';

export interface BackfillOptions {
  days: number;
  seed: number;
  total: number;
  end: number;
  users: number;
  databaseUrl: string | undefined;
  dataDir: string;
  method: BackfillMethod;
  batch: number;
  retentionDays: number;
}

export class BackfillUsageError extends Error {}

function number(flag: string, raw: string, options: { integer: boolean; max: number }): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > options.max) {
    throw new BackfillUsageError(
      `${flag} must be a positive ${options.integer ? 'integer' : 'number'} up to ${options.max}, got "${raw}"`,
    );
  }
  if (options.integer && !Number.isInteger(value))
    throw new BackfillUsageError(`${flag} must be an integer, got "${raw}"`);
  return value;
}

/** Parses the backfill options (without `node script`); throws BackfillUsageError. */
export function parseBackfillArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = {},
  now = Date.now(),
): BackfillOptions {
  let eventsPerDay = 20_000;
  let total: number | undefined;
  const retention = Number(env.AUREN_HISTORY_RETENTION_DAYS);
  const options: BackfillOptions = {
    days: 0,
    seed: Math.floor(Math.random() * 2 ** 32),
    total: 0,
    end: Math.floor(now / HOUR_MS) * HOUR_MS,
    users: 6,
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.AUREN_HISTORY_DATA_DIR || 'data/history',
    method: 'auto',
    batch: 2000,
    retentionDays: Number.isInteger(retention) && retention > 0 ? retention : 30,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const next = argv[++i];
      if (next === undefined) throw new BackfillUsageError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--days':
        options.days = number(flag, value(), { integer: false, max: 3650 });
        break;
      case '--seed': {
        const raw = value();
        if (!/^\d+$/.test(raw))
          throw new BackfillUsageError(`--seed must be a non-negative integer, got "${raw}"`);
        options.seed = Number(BigInt(raw) % 4294967296n);
        break;
      }
      case '--events-per-day':
        eventsPerDay = number(flag, value(), { integer: true, max: 1e9 });
        break;
      case '--total':
        total = number(flag, value(), { integer: true, max: 1e10 });
        break;
      case '--end': {
        const raw = value();
        const end = Date.parse(raw);
        if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || !Number.isFinite(end))
          throw new BackfillUsageError(
            `--end must be an ISO 8601 time such as 2026-12-01T00:00:00Z, got "${raw}"`,
          );
        options.end = end;
        break;
      }
      case '--users':
        options.users = number(flag, value(), { integer: true, max: 10_000 });
        break;
      case '--database-url': {
        const raw = value();
        if (!/^postgres(ql)?:\/\//.test(raw))
          throw new BackfillUsageError(
            `--database-url must be a postgres:// URL, got "${redactUrl(raw)}"`,
          );
        options.databaseUrl = raw;
        break;
      }
      case '--data-dir':
        options.dataDir = value();
        options.databaseUrl = undefined;
        break;
      case '--method': {
        const raw = value();
        if (raw !== 'auto' && raw !== 'insert' && raw !== 'copy')
          throw new BackfillUsageError(`--method must be auto, insert or copy, got "${raw}"`);
        options.method = raw;
        break;
      }
      case '--batch':
        options.batch = number(flag, value(), { integer: true, max: 10_000 });
        break;
      case '--retention-days':
        options.retentionDays = number(flag, value(), { integer: true, max: 36_500 });
        break;
      default:
        throw new BackfillUsageError(`unknown option "${arg}"`);
    }
  }
  if (options.days === 0) throw new BackfillUsageError('--days is required in backfill mode');
  options.total = total ?? Math.max(1, Math.round(eventsPerDay * options.days));
  if (options.method === 'copy' && !options.databaseUrl)
    throw new BackfillUsageError(
      '--method copy needs PostgreSQL (--database-url or DATABASE_URL); the embedded engine takes --method insert',
    );
  return options;
}

export interface BackfillResult {
  method: 'insert' | 'copy';
  inserted: number;
  duplicates: number;
  seconds: number;
}

export type Progress = (line: string) => void;

/** COPY text format: `\N` for null, backslash escapes for the four special characters. */
function copyValue(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  const text = String(value);
  return /[\\\t\n\r]/.test(text)
    ? text.replace(
        /[\\\t\n\r]/g,
        (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c] as string,
      )
    : text;
}

/** The events table's columns, in the order {@link eventsCopyText} writes them. */
export const EVENT_COPY_COLUMNS = EVENT_COLUMNS.map(([name]) => name);
const EVENT_NAMES = EVENT_COPY_COLUMNS;
/** A rollup's columns, in the order {@link rollupsCopyText} writes them. */
const rollupNames = (spec: RollupSpec) =>
  rollupColumns(spec).map(
    ([name]) => name as Exclude<keyof RollupDelta, 'latency_hist'> | 'latency_packed',
  );
const [MINUTES, HOURS] = ROLLUPS;

/** Rows in COPY text format, columns in {@link EVENT_COPY_COLUMNS} order. */
export function eventsCopyText(rows: EventRow[]): string {
  const lines: string[] = [];
  for (const row of rows) lines.push(EVENT_NAMES.map((name) => copyValue(row[name])).join('\t'));
  return `${lines.join('\n')}\n`;
}

function rollupsCopyText(spec: RollupSpec, rows: EventRow[]): string {
  const lines: string[] = [];
  for (const delta of rollupsOf(rows, spec)) {
    lines.push(
      rollupNames(spec)
        .map((name) => {
          if (name === 'bucket') return new Date(delta.bucket).toISOString();
          if (name === 'latency_packed') return packHistogram(delta.latency_hist) ?? '\\N';
          return copyValue(delta[name]);
        })
        .join('\t'),
    );
  }
  return `${lines.join('\n')}\n`;
}

async function copyInto(client: Client, table: string, columns: string[], text: string) {
  if (text === '\n') return;
  await pipeline(
    Readable.from([text]),
    client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`)),
  );
}

/** Whole hours of rows (at least `minimum` rows, unless the history ends first). */
function* hourChunks(options: BackfillOptions, minimum: number): Generator<EventRow[]> {
  let chunk: EventRow[] = [];
  let hour = -1;
  for (const batch of historyBatches({ ...options, batchSize: options.batch })) {
    for (const event of batch) {
      const row = toRow(event, options.retentionDays);
      const rowHour = Math.floor(Date.parse(row.ts) / HOUR_MS);
      if (rowHour !== hour && chunk.length >= minimum) {
        yield chunk;
        chunk = [];
      }
      hour = rowHour;
      chunk.push(row);
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** The days (UTC) the history covers: the partitions it needs. */
function daysOf(options: BackfillOptions): string[] {
  const days: string[] = [];
  const start = options.end - options.days * DAY_MS;
  for (let t = Math.floor(start / DAY_MS) * DAY_MS; t < options.end; t += DAY_MS)
    days.push(dayOf(new Date(t).toISOString()));
  return days;
}

/** Whether the events or hour rollups already hold anything in the history's time range. */
async function rangeHasData(db: SqlDatabase, options: BackfillOptions): Promise<boolean> {
  const from = new Date(options.end - options.days * DAY_MS).toISOString();
  const to = new Date(options.end).toISOString();
  const { rows } = await db.query<{ taken: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM auren_events WHERE ts >= $1 AND ts < $2)
         OR EXISTS (SELECT 1 FROM auren_rollup_hour
                     WHERE bucket >= date_trunc('hour', $1::timestamptz, 'UTC') AND bucket < $2)
       AS taken`,
    [from, to],
  );
  return rows[0].taken;
}

function progressLine(done: number, total: number, startedAt: number): string {
  const seconds = (performance.now() - startedAt) / 1000;
  const rate = done / Math.max(seconds, 0.001);
  const eta = rate > 0 ? (total - done) / rate : 0;
  return `${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} events (${((100 * done) / total).toFixed(1)} %), ${Math.round(rate).toLocaleString('en-US')}/s, about ${Math.ceil(eta)} s left`;
}

async function backfillInsert(
  db: SqlDatabase,
  options: BackfillOptions,
  report: (done: number) => void,
): Promise<{ inserted: number; duplicates: number }> {
  const keeper = new PartitionKeeper();
  await keeper.ensure(db, daysOf(options));
  let inserted = 0;
  let duplicates = 0;
  // Two batches in flight on PostgreSQL (the rollup rows are touched in key order, so two
  // concurrent statements never deadlock); one at a time on the single-connection embedded engine.
  const inFlight = new Set<Promise<void>>();
  const limit = db.engine === 'postgres' ? 2 : 1;
  for (const batch of historyBatches({ ...options, batchSize: options.batch })) {
    const task = writeEvents(db, keeper, batch, options.retentionDays).then((outcome) => {
      inserted += outcome.inserted;
      duplicates += outcome.duplicates;
      report(inserted + duplicates);
    });
    const tracked: Promise<void> = task.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= limit) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return { inserted, duplicates };
}

async function backfillCopy(
  db: SqlDatabase,
  url: string,
  options: BackfillOptions,
  report: (done: number) => void,
): Promise<number> {
  await new PartitionKeeper().ensure(db, daysOf(options));
  const clients = [new Client({ connectionString: url }), new Client({ connectionString: url })];
  const busy: Array<Promise<void>> = [Promise.resolve(), Promise.resolve()];
  let written = 0;
  let next = 0;
  try {
    for (const client of clients) {
      client.on('error', () => undefined);
      await client.connect();
    }
    const write = async (client: Client, rows: EventRow[]): Promise<void> => {
      await client.query('BEGIN');
      try {
        await copyInto(client, 'auren_events', EVENT_NAMES, eventsCopyText(rows));
        for (const spec of [MINUTES, HOURS]) {
          await copyInto(client, spec.table, rollupNames(spec), rollupsCopyText(spec, rows));
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
      written += rows.length;
      report(written);
    };
    // Chunks of whole hours (complete rollups per transaction), two in flight on two connections.
    for (const rows of hourChunks(options, 20_000)) {
      const slot = next++ % 2;
      await busy[slot];
      busy[slot] = write(clients[slot], rows);
      // Surface a failure at once instead of after the next chunk is generated.
      busy[slot].catch(() => undefined);
    }
    await Promise.all(busy);
    // The coarser rollups from the hour rollup just written (a chunk is not a whole day, and a
    // COPY cannot add to a row): the sums the writer would have added, boundary days included.
    const range = [
      new Date(options.end - options.days * DAY_MS).toISOString(),
      new Date(options.end).toISOString(),
    ];
    for (const spec of ROLLUPS.slice(2)) {
      await db.query(
        rollupFrom(
          spec,
          `(SELECT * FROM auren_rollup_hour
             WHERE bucket >= date_trunc('hour', $1::timestamptz, 'UTC') AND bucket < $2) AS h`,
        ),
        range,
      );
    }
    return written;
  } finally {
    await Promise.allSettled(clients.map((client) => client.end()));
  }
}

/** Writes the history; `log` gets the plan, progress lines and warnings. */
export async function backfill(options: BackfillOptions, log: Progress): Promise<BackfillResult> {
  const where = options.databaseUrl ? redactUrl(options.databaseUrl) : options.dataDir;
  let db: SqlDatabase;
  try {
    db = options.databaseUrl
      ? new PostgresDatabase(options.databaseUrl)
      : await PgliteDatabase.open(options.dataDir);
    await runMigrations(db);
  } catch (error) {
    const message = (error as Error).message;
    throw new Error(
      options.databaseUrl
        ? `cannot use PostgreSQL at ${where}: ${message}. Is it running, and may this user create tables there? Check --database-url / DATABASE_URL.`
        : `cannot open the embedded history database in ${where}: ${message}. Stop the history service using it (npm start) or pass another --data-dir.`,
    );
  }
  try {
    if (options.days > options.retentionDays)
      log(
        `warning: --days ${options.days} is more than the retention (${options.retentionDays} days): a running history service will drop the older days`,
      );
    let method: 'insert' | 'copy' = options.method === 'copy' ? 'copy' : 'insert';
    if (options.method !== 'insert' && db.engine === 'postgres') {
      const taken = await rangeHasData(db, options);
      if (taken && options.method === 'copy')
        throw new Error(
          'the time range already holds events or rollups, and COPY cannot skip what is stored: use --method insert (idempotent), another --end, or empty the range first',
        );
      method = taken ? 'insert' : 'copy';
    }
    const start = new Date(options.end - options.days * DAY_MS).toISOString();
    log(
      `backfilling ${options.total.toLocaleString('en-US')} events over ${options.days} days (${start} to ${new Date(options.end).toISOString()}), seed ${options.seed}, into ${db.engine} at ${where} by ${method}`,
    );
    const startedAt = performance.now();
    let lastReport = 0;
    const report = (done: number) => {
      const now = performance.now();
      if (now - lastReport < 2000) return;
      lastReport = now;
      log(progressLine(done, options.total, startedAt));
    };
    let inserted: number;
    let duplicates = 0;
    if (method === 'copy') {
      inserted = await backfillCopy(db, options.databaseUrl as string, options, report);
    } else {
      ({ inserted, duplicates } = await backfillInsert(db, options, report));
    }
    const seconds = (performance.now() - startedAt) / 1000;
    return { method, inserted, duplicates, seconds };
  } finally {
    await db.close();
  }
}

/** `generate-events --days …`: exit code 0, 1 or 2. */
export async function backfillMain(argv: readonly string[]): Promise<number> {
  let options: BackfillOptions;
  try {
    options = parseBackfillArgs(argv, process.env);
  } catch (error) {
    if (!(error instanceof BackfillUsageError)) throw error;
    process.stderr.write(`error: ${error.message}\n\n${BACKFILL_USAGE}\n`);
    return 2;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  try {
    const result = await backfill(options, log);
    log(
      `done in ${result.seconds.toFixed(1)} s by ${result.method}: ${result.inserted.toLocaleString('en-US')} events stored, ${result.duplicates.toLocaleString('en-US')} already there (${Math.round(result.inserted / Math.max(result.seconds, 0.001)).toLocaleString('en-US')} events/s)`,
    );
    return 0;
  } catch (error) {
    log(`error: ${(error as Error).message}`);
    return 1;
  }
}
