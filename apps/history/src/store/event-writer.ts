import type { StreamedEvent } from '@auren/contracts';
import { dayOf, EventRow, toRow } from './event-rows';
import { latencyBucket, PACKED_DIGITS, SCHEMA_LOCK } from './migrations';
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
  ['body', 'json'],
];

const names = EVENT_COLUMNS.map(([name]) => name).join(', ');
const BODY = EVENT_COLUMNS.length; // the last parameter: every body in one JSON array

/** A rollup's key columns besides `bucket`. */
export type RollupDimension = 'agent_id' | 'event_type' | 'model' | 'user_id';

/** A rollup table: its bucket size and the columns it is keyed by (after `bucket`). */
export interface RollupSpec {
  table: string;
  unit: 'minute' | 'hour' | 'day';
  unitMs: number;
  dimensions: readonly RollupDimension[];
}

const EVERY_DIMENSION: readonly RollupDimension[] = ['agent_id', 'event_type', 'model', 'user_id'];

/**
 * Every rollup the writer maintains. The minute, hour and day rollups keep one row per (bucket,
 * agent, event type, model, user); `auren_rollup_agent_hour` sums one agent's hour over every
 * event type and user — about twenty times fewer rows, read by the per-agent aggregates of
 * viewers who see every user (it has no user to filter by).
 */
export const ROLLUPS: readonly RollupSpec[] = [
  { table: 'auren_rollup_minute', unit: 'minute', unitMs: 60_000, dimensions: EVERY_DIMENSION },
  { table: 'auren_rollup_hour', unit: 'hour', unitMs: 3_600_000, dimensions: EVERY_DIMENSION },
  { table: 'auren_rollup_day', unit: 'day', unitMs: 86_400_000, dimensions: EVERY_DIMENSION },
  {
    table: 'auren_rollup_agent_hour',
    unit: 'hour',
    unitMs: 3_600_000,
    dimensions: ['agent_id', 'model'],
  },
];

const DIMENSION_TYPES: Record<RollupDimension, string> = {
  agent_id: 'text',
  event_type: 'text',
  model: 'text',
  user_id: 'text',
};

/** The summed columns of every rollup, after its key. */
const SUM_COLUMNS: Array<[string, string]> = [
  ['events', 'bigint'],
  ['successes', 'bigint'],
  ['failures', 'bigint'],
  ['latency_count', 'bigint'],
  ['latency_sum', 'double precision'],
  ['latency_packed', 'numeric'],
  ['input_tokens', 'bigint'],
  ['output_tokens', 'bigint'],
  ['tokens', 'bigint'],
  ['cost', 'double precision'],
];

/** A rollup's columns: bucket, key, sums. */
export function rollupColumns(spec: RollupSpec): Array<[string, string]> {
  return [
    ['bucket', 'timestamptz'],
    ...spec.dimensions.map((d): [string, string] => [d, DIMENSION_TYPES[d]]),
    ...SUM_COLUMNS,
  ];
}

const SUMS_MERGED = `events = r.events + excluded.events,
      successes = r.successes + excluded.successes,
      failures = r.failures + excluded.failures,
      latency_count = r.latency_count + excluded.latency_count,
      latency_sum = r.latency_sum + excluded.latency_sum,
      latency_packed = CASE WHEN r.latency_packed IS NULL THEN excluded.latency_packed
        WHEN excluded.latency_packed IS NULL THEN r.latency_packed
        ELSE r.latency_packed + excluded.latency_packed END,
      input_tokens = r.input_tokens + excluded.input_tokens,
      output_tokens = r.output_tokens + excluded.output_tokens,
      tokens = r.tokens + excluded.tokens,
      cost = r.cost + excluded.cost`;

/** The key of a rollup table, as a column list. */
export function rollupKey(spec: RollupSpec): string {
  return ['bucket', ...spec.dimensions].join(', ');
}

/** `ON CONFLICT … DO UPDATE` adding the new sums to a row that exists (alias `r`). */
export function rollupUpsert(spec: RollupSpec): string {
  return `ON CONFLICT (${rollupKey(spec)}) DO UPDATE SET
      ${SUMS_MERGED}`;
}

/**
 * Adds `source`'s rows (minute buckets, every dimension) to the rollup `spec`: its buckets and
 * key, summed. Rows are touched in key order, so concurrent writers never deadlock.
 */
export function rollupFrom(spec: RollupSpec, source: string): string {
  const bucket = spec.unit === 'minute' ? 'bucket' : `date_trunc('${spec.unit}', bucket, 'UTC')`;
  const groups = ['bucket', ...spec.dimensions].map((_, i) => i + 1).join(', ');
  const names = rollupColumns(spec).map(([name]) => name);
  const sums = SUM_COLUMNS.map(([name]) => `sum(${name})`).join(', ');
  return `INSERT INTO ${spec.table} AS r (${names.join(', ')})
    SELECT ${bucket}, ${spec.dimensions.join(', ')}, ${sums}
    FROM ${source} GROUP BY ${groups} ORDER BY ${groups}
    ${rollupUpsert(spec)}`;
}

/** The finest rollup: the writer's pre-aggregated rows are its buckets and key. */
const MINUTES: RollupSpec = ROLLUPS[0];
const DELTA_COLUMNS = rollupColumns(MINUTES);
const DELTA_NAMES = DELTA_COLUMNS.map(([name]) => name).join(', ');
const TOTAL_PARAM = BODY + DELTA_COLUMNS.length + 1;

/**
 * One statement: the rows not stored yet go in (a repeat of an event_id at the same time is
 * skipped, which makes redelivery harmless), and only those are added to every rollup
 * ({@link ROLLUPS}). The writer sends the batch's sums per minute and key (see {@link rollupsOf});
 * when every row turned out new (the usual case) those are the deltas, otherwise the statement
 * aggregates exactly the rows it inserted (`inserted`) instead. Each rollup sums the deltas to its
 * own buckets and key in SQL, so the batch's sums travel once. The bodies travel as one JSON array
 * (checked once; a `json[]` literal would need every quote escaped on the way), the other
 * columns as arrays.
 */
export const INSERT_EVENTS_SQL = `WITH inserted AS (
    INSERT INTO auren_events (${names})
    SELECT * FROM unnest(${EVENT_COLUMNS.slice(0, BODY - 1)
      .map(([, type], i) => `$${i + 1}::${type}[]`)
      .join(', ')},
      ARRAY(SELECT e FROM json_array_elements($${BODY}::json) WITH ORDINALITY AS j(e, i) ORDER BY i))
    ON CONFLICT DO NOTHING
    RETURNING ts, agent_id, event_type, model, user_id, success, latency_ms, input_tokens,
      output_tokens, tokens, cost
  ), counted AS (SELECT count(*) AS n FROM inserted),
  deltas AS (
    SELECT ${DELTA_NAMES} FROM unnest(${DELTA_COLUMNS.map(([, type], i) => `$${BODY + 1 + i}::${type}[]`).join(', ')}) AS g(${DELTA_NAMES})
    WHERE (SELECT n FROM counted) = $${TOTAL_PARAM}
    UNION ALL
    SELECT date_trunc('minute', ts, 'UTC'), agent_id, event_type, coalesce(model, ''),
      coalesce(user_id, ''), count(*), count(*) FILTER (WHERE success),
      count(*) FILTER (WHERE NOT success), count(latency_ms), coalesce(sum(latency_ms), 0),
      auren_hist_pack(auren_hist_of(auren_latency_bucket(latency_ms))),
      coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0), coalesce(sum(tokens), 0),
      coalesce(sum(cost), 0)
    FROM inserted WHERE (SELECT n FROM counted) < $${TOTAL_PARAM}
    GROUP BY 1, 2, 3, 4, 5
  ),
  ${ROLLUPS.map((spec, i) => `rollup_${i} AS (${rollupFrom(spec, 'deltas')})`).join(',\n  ')}
  SELECT n AS inserted FROM counted`;

/**
 * One rollup row's sums: what a batch adds to a rollup key. A rollup keyed by fewer dimensions
 * ({@link RollupSpec}) leaves the others ''.
 */
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
 * The rows' sums per key of `spec` (buckets of its unit, UTC), as the SQL aggregation of the same
 * rows would give them (histograms by {@link latencyBucket}).
 */
export function rollupsOf(rows: EventRow[], spec: RollupSpec): RollupDelta[] {
  const unitMs = spec.unitMs;
  const byType = spec.dimensions.includes('event_type');
  const byUser = spec.dimensions.includes('user_id');
  const groups = new Map<string, RollupDelta>();
  for (const row of rows) {
    const bucket = Math.floor(Date.parse(row.ts) / unitMs) * unitMs;
    const model = row.model ?? '';
    const type = byType ? row.event_type : '';
    const user = byUser ? (row.user_id ?? '') : '';
    const key = `${bucket}\u0000${row.agent_id}\u0000${type}\u0000${model}\u0000${user}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = {
        bucket,
        agent_id: row.agent_id,
        event_type: type,
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

/**
 * A histogram packed as the database packs it (auren_hist_pack: bucket i's count is the i-th group
 * of PACKED_DIGITS decimal digits from the right), as decimal text; null for none. The writer
 * packs its deltas itself: the upsert then adds two numerics in C, where calling the PL/pgSQL
 * pack for every rollup row it touches cost ~25 µs a row (half the writer's time).
 */
export function packHistogram(hist: readonly number[] | null): string | null {
  if (hist === null || hist.length === 0) return null;
  const groups = new Array<string>(hist.length);
  const last = hist.length - 1;
  groups[0] = String(hist[last] ?? 0);
  for (let i = last - 1, at = 1; i >= 0; i--, at++) {
    const count = hist[i] ?? 0;
    groups[at] = count === 0 ? ZERO_GROUP : String(count).padStart(PACKED_DIGITS, '0');
  }
  return groups.join('');
}

const ZERO_GROUP = '0'.repeat(PACKED_DIGITS);

/** Column-wise parameters of rollup rows, in {@link rollupColumns} order. */
function rollupParams(spec: RollupSpec, deltas: RollupDelta[]): unknown[][] {
  return rollupColumns(spec).map(([name]) =>
    deltas.map((delta) => {
      if (name === 'bucket') return new Date(delta.bucket).toISOString();
      if (name === 'latency_packed') return packHistogram(delta.latency_hist);
      return delta[name as keyof RollupDelta];
    }),
  );
}

/** Named, so that PostgreSQL plans it once per connection (the text never changes). */
const INSERT_STATEMENT = { name: 'auren_insert_events_v5' };

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
 * JSON array text), the batch's sums per minute and key, and the number of rows.
 */
export function insertParams(rows: EventRow[]): unknown[] {
  const params: unknown[] = EVENT_COLUMNS.slice(0, BODY - 1).map(([name]) =>
    rows.map((row) => row[name]),
  );
  params.push(`[${rows.map((row) => row.body).join(',')}]`);
  params.push(...rollupParams(MINUTES, rollupsOf(rows, MINUTES)));
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
    for (const { table } of ROLLUPS) {
      await tx.query(`DELETE FROM ${table} WHERE bucket < $1`, [cutoff]);
    }
  });
  return old;
}
