import type { StreamedEvent } from '@auren/contracts';
import { dayOf, EventRow, toRow } from './event-rows';
import { latencyBucket, SCHEMA_LOCK } from './migrations';
import type { SqlDatabase, SqlSession } from './sql-database';

export const EVENT_COLUMNS: Array<[keyof EventRow, string]> = [
  ['ts', 'timestamptz'],
  ['event_id', 'text'],
  ['received_at', 'timestamptz'],
  ['stream_id', 'text'],
  ['event_type', 'text'],
  ['agent_id', 'text'],
  ['target_agent_id', 'text'],
  ['user_id', 'text'],
  ['trace_id', 'text'],
  ['session_id', 'text'],
  ['parent_event_id', 'text'],
  ['model', 'text'],
  ['success', 'boolean'],
  ['latency_ms', 'double precision'],
  ['confidence', 'double precision'],
  ['input_tokens', 'bigint'],
  ['output_tokens', 'bigint'],
  ['tokens', 'bigint'],
  ['cost', 'double precision'],
  ['error_type', 'text'],
  ['body', 'jsonb'],
];

const names = EVENT_COLUMNS.map(([name]) => name).join(', ');
const BODY = EVENT_COLUMNS.length; // the last parameter: every body in one JSON array

/** The rollup columns, in the order of the pre-aggregated parameters. */
const ROLLUP_COLUMNS: Array<[string, string]> = [
  ['bucket', 'timestamptz'],
  ['agent_id', 'text'],
  ['event_type', 'text'],
  ['model', 'text'],
  ['user_id', 'text'],
  ['events', 'bigint'],
  ['successes', 'bigint'],
  ['failures', 'bigint'],
  ['latency_count', 'bigint'],
  ['latency_sum', 'double precision'],
  ['latency_hist', 'text'],
  ['input_tokens', 'bigint'],
  ['output_tokens', 'bigint'],
  ['tokens', 'bigint'],
  ['cost', 'double precision'],
];
const rollupNames = ROLLUP_COLUMNS.map(([name]) => name).join(', ');
const KEY = 'bucket, agent_id, event_type, model, user_id';

const UPSERT = `ON CONFLICT (${KEY}) DO UPDATE SET
      events = r.events + excluded.events,
      successes = r.successes + excluded.successes,
      failures = r.failures + excluded.failures,
      latency_count = r.latency_count + excluded.latency_count,
      latency_sum = r.latency_sum + excluded.latency_sum,
      latency_hist = auren_hist_merge(r.latency_hist, excluded.latency_hist),
      input_tokens = r.input_tokens + excluded.input_tokens,
      output_tokens = r.output_tokens + excluded.output_tokens,
      tokens = r.tokens + excluded.tokens,
      cost = r.cost + excluded.cost`;

/** Adds the batch's pre-aggregated rollup rows (parameters from `first`) when every row was new. */
function rollupGiven(table: string, first: number, total: number): string {
  const params = ROLLUP_COLUMNS.map(([, type], i) => `$${first + i}::${type}[]`).join(', ');
  const select = ROLLUP_COLUMNS.map(([name]) =>
    name === 'latency_hist' ? 'latency_hist::integer[]' : name,
  ).join(', ');
  return `INSERT INTO ${table} AS r (${rollupNames})
    SELECT ${select} FROM unnest(${params}) AS g(${rollupNames})
    WHERE (SELECT n FROM counted) = $${total}
    ORDER BY ${KEY}
    ${UPSERT}`;
}

/** Aggregates the rows this statement inserted, when some of the batch was already stored. */
function rollupInserted(table: string, unit: 'minute' | 'hour' | 'day', total: number): string {
  return `INSERT INTO ${table} AS r (${rollupNames})
    SELECT date_trunc('${unit}', ts, 'UTC'), agent_id, event_type, coalesce(model, ''),
      coalesce(user_id, ''), count(*), count(*) FILTER (WHERE success),
      count(*) FILTER (WHERE NOT success), count(latency_ms), coalesce(sum(latency_ms), 0),
      auren_hist_of(auren_latency_bucket(latency_ms)), coalesce(sum(input_tokens), 0),
      coalesce(sum(output_tokens), 0), coalesce(sum(tokens), 0), coalesce(sum(cost), 0)
    FROM inserted WHERE (SELECT n FROM counted) < $${total}
    GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ${UPSERT}`;
}

const MINUTE_PARAMS = BODY + 1;
const HOUR_PARAMS = MINUTE_PARAMS + ROLLUP_COLUMNS.length;
const DAY_PARAMS = HOUR_PARAMS + ROLLUP_COLUMNS.length;
const TOTAL_PARAM = DAY_PARAMS + ROLLUP_COLUMNS.length;

/**
 * One statement: the rows not stored yet go in (a repeat of an event_id at the same time is
 * skipped, which makes redelivery harmless), and only those are added to the minute and hour
 * rollups. The writer aggregates the batch itself (see {@link rollupsOf}); when every row turned
 * out new (the usual case) those sums are added, otherwise the statement aggregates exactly the
 * rows it inserted (`inserted`) instead. The same for the day rollup (month-long ranges). Rollup rows are touched in key order, so concurrent
 * writers never deadlock. The bodies travel as one JSON array (`jsonb` parses it once; a `jsonb[]`
 * literal would need every quote escaped on the way), the other columns as arrays.
 */
export const INSERT_EVENTS_SQL = `WITH inserted AS (
    INSERT INTO auren_events (${names})
    SELECT * FROM unnest(${EVENT_COLUMNS.slice(0, BODY - 1)
      .map(([, type], i) => `$${i + 1}::${type}[]`)
      .join(', ')},
      ARRAY(SELECT e FROM jsonb_array_elements($${BODY}::text::jsonb) WITH ORDINALITY AS j(e, i) ORDER BY i))
    ON CONFLICT DO NOTHING
    RETURNING ts, agent_id, event_type, model, user_id, success, latency_ms, input_tokens,
      output_tokens, tokens, cost
  ), counted AS (SELECT count(*) AS n FROM inserted),
  minute_given AS (${rollupGiven('auren_rollup_minute', MINUTE_PARAMS, TOTAL_PARAM)}),
  hour_given AS (${rollupGiven('auren_rollup_hour', HOUR_PARAMS, TOTAL_PARAM)}),
  day_given AS (${rollupGiven('auren_rollup_day', DAY_PARAMS, TOTAL_PARAM)}),
  minute_inserted AS (${rollupInserted('auren_rollup_minute', 'minute', TOTAL_PARAM)}),
  hour_inserted AS (${rollupInserted('auren_rollup_hour', 'hour', TOTAL_PARAM)}),
  day_inserted AS (${rollupInserted('auren_rollup_day', 'day', TOTAL_PARAM)})
  SELECT n AS inserted FROM counted`;

/** One rollup row's sums: what a batch adds to a (bucket, agent, type, model, user) key. */
export interface RollupDelta {
  bucket: number;
  agent_id: string;
  event_type: string;
  model: string;
  user_id: string;
  events: number;
  successes: number;
  failures: number;
  latency_count: number;
  latency_sum: number;
  latency_hist: number[] | null;
  input_tokens: number;
  output_tokens: number;
  tokens: number;
  cost: number;
}

/**
 * The rows' sums per rollup key for buckets of `unitMs` (60,000 or 3,600,000; UTC), as the SQL
 * aggregation of the same rows would give them (histograms by {@link latencyBucket}).
 */
export function rollupsOf(rows: EventRow[], unitMs: number): RollupDelta[] {
  const groups = new Map<string, RollupDelta>();
  for (const row of rows) {
    const bucket = Math.floor(Date.parse(row.ts) / unitMs) * unitMs;
    const model = row.model ?? '';
    const user = row.user_id ?? '';
    const key = `${bucket}\u0000${row.agent_id}\u0000${row.event_type}\u0000${model}\u0000${user}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = {
        bucket,
        agent_id: row.agent_id,
        event_type: row.event_type,
        model,
        user_id: user,
        events: 0,
        successes: 0,
        failures: 0,
        latency_count: 0,
        latency_sum: 0,
        latency_hist: null,
        input_tokens: 0,
        output_tokens: 0,
        tokens: 0,
        cost: 0,
      };
      groups.set(key, group);
    }
    group.events += 1;
    if (row.success === true) group.successes += 1;
    else if (row.success === false) group.failures += 1;
    const slot = latencyBucket(row.latency_ms);
    if (slot !== null) {
      group.latency_count += 1;
      group.latency_sum += row.latency_ms as number;
      const hist = (group.latency_hist ??= []);
      while (hist.length < slot) hist.push(0);
      hist[slot - 1] += 1;
    }
    group.input_tokens += row.input_tokens ?? 0;
    group.output_tokens += row.output_tokens ?? 0;
    group.tokens += row.tokens ?? 0;
    group.cost += row.cost ?? 0;
  }
  return [...groups.values()];
}

/** Column-wise parameters of rollup rows, in ROLLUP_COLUMNS order. */
function rollupParams(deltas: RollupDelta[]): unknown[][] {
  return ROLLUP_COLUMNS.map(([name]) =>
    deltas.map((delta) => {
      if (name === 'bucket') return new Date(delta.bucket).toISOString();
      if (name === 'latency_hist')
        return delta.latency_hist === null ? null : `{${delta.latency_hist.join(',')}}`;
      return delta[name as keyof RollupDelta];
    }),
  );
}

/** Named, so that PostgreSQL plans it once per connection (the text never changes). */
const INSERT_STATEMENT = { name: 'auren_insert_events_v2' };

export interface WriteOutcome {
  /** Events stored by this call. */
  inserted: number;
  /** Events that were already stored (redelivered): skipped. */
  duplicates: number;
}

/** The partition name for a UTC day (`auren_events_20261203`). */
export function partitionName(day: string): string {
  return `auren_events_${day.replace(/-/g, '')}`;
}

/**
 * Creates the daily partitions that `days` need. Idempotent and safe between processes (an
 * advisory lock serialises creation); remembers what exists so the hot path asks once per day.
 */
export class PartitionKeeper {
  private readonly known = new Set<string>();

  async ensure(db: SqlDatabase, days: Iterable<string>): Promise<void> {
    const missing = [...new Set(days)].filter((day) => !this.known.has(day));
    if (missing.length === 0) return;
    await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      for (const day of missing) await createPartition(tx, day);
    });
    for (const day of missing) this.known.add(day);
  }

  /** Forgets everything (after partitions were dropped, or the database was replaced). */
  reset(): void {
    this.known.clear();
  }
}

async function createPartition(tx: SqlSession, day: string): Promise<void> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`not a day: ${day}`);
  const from = `${day}T00:00:00Z`;
  const to = new Date(Date.parse(from) + 86_400_000).toISOString();
  await tx.query(
    `CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF auren_events FOR VALUES FROM ('${from}') TO ('${to}')`,
  );
}

/**
 * The insert's parameters: the rows column-wise in {@link EVENT_COLUMNS} order (the bodies as one
 * JSON array text), the batch's minute, hour and day rollups, and the number of rows.
 */
export function insertParams(rows: EventRow[]): unknown[] {
  const params: unknown[] = EVENT_COLUMNS.slice(0, BODY - 1).map(([name]) =>
    rows.map((row) => row[name]),
  );
  params.push(`[${rows.map((row) => row.body).join(',')}]`);
  params.push(...rollupParams(rollupsOf(rows, 60_000)));
  params.push(...rollupParams(rollupsOf(rows, 3_600_000)));
  params.push(...rollupParams(rollupsOf(rows, 86_400_000)));
  params.push(rows.length);
  return params;
}

/**
 * Writes a batch of stream events in one transaction: all stored (or already there) when it
 * resolves, nothing when it throws. Events repeated inside the batch are written once.
 */
export async function writeEvents(
  db: SqlDatabase,
  partitions: PartitionKeeper,
  events: StreamedEvent[],
  retentionDays: number,
): Promise<WriteOutcome> {
  if (events.length === 0) return { inserted: 0, duplicates: 0 };
  const seen = new Set<string>();
  const rows: EventRow[] = [];
  for (const event of events) {
    if (seen.has(event.event_id)) continue;
    seen.add(event.event_id);
    rows.push(toRow(event, retentionDays));
  }
  const days = rows.map((row) => dayOf(row.ts));
  await partitions.ensure(db, days);
  const params = insertParams(rows);
  let result: { rows: Array<{ inserted: string | number }> };
  try {
    result = await db.queryPrepared(INSERT_STATEMENT, INSERT_EVENTS_SQL, params);
  } catch (error) {
    // 23514 "no partition of relation found": retention (maybe another process's) dropped a day
    // this process still remembered. Look again and retry once.
    if ((error as { code?: string }).code !== '23514') throw error;
    partitions.reset();
    await partitions.ensure(db, days);
    result = await db.queryPrepared(INSERT_STATEMENT, INSERT_EVENTS_SQL, params);
  }
  const inserted = Number(result.rows[0]?.inserted ?? 0);
  return { inserted, duplicates: events.length - inserted };
}

/**
 * Drops the daily partitions entirely older than `retentionDays` and the rollup rows of that
 * time: whole tables go, no row-by-row delete. Returns the partitions dropped.
 */
export async function applyRetention(
  db: SqlDatabase,
  retentionDays: number,
  now = Date.now(),
): Promise<string[]> {
  const cutoffDay = new Date(now - retentionDays * 86_400_000).toISOString().slice(0, 10);
  const cutoff = `${cutoffDay}T00:00:00Z`;
  const { rows } = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_class p ON p.oid = i.inhparent
      WHERE p.relname = 'auren_events' AND c.relname ~ '^auren_events_[0-9]{8}$'`,
  );
  const old = rows
    .map((row) => row.name)
    .filter((name) => {
      const d = name.slice(-8);
      return `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}` < cutoffDay;
    })
    .sort();
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    for (const name of old) await tx.query(`DROP TABLE IF EXISTS ${name}`);
    await tx.query('DELETE FROM auren_rollup_minute WHERE bucket < $1', [cutoff]);
    await tx.query('DELETE FROM auren_rollup_hour WHERE bucket < $1', [cutoff]);
    await tx.query('DELETE FROM auren_rollup_day WHERE bucket < $1', [cutoff]);
  });
  return old;
}
