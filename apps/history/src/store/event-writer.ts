import type { StreamedEvent } from '@auren/contracts';
import { dayOf, EventRow, toRow } from './event-rows';
import { SCHEMA_LOCK } from './migrations';
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
const unnest = EVENT_COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');

function rollup(table: string, unit: 'minute' | 'hour'): string {
  return `INSERT INTO ${table} AS r (bucket, agent_id, event_type, model, user_id, events, successes,
      failures, latency_count, latency_sum, latency_hist, input_tokens, output_tokens, tokens, cost)
    SELECT date_trunc('${unit}', ts), agent_id, event_type, coalesce(model, ''), coalesce(user_id, ''),
      count(*), count(*) FILTER (WHERE success), count(*) FILTER (WHERE NOT success),
      count(latency_ms), coalesce(sum(latency_ms), 0), auren_hist_of(auren_latency_bucket(latency_ms)),
      coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0), coalesce(sum(tokens), 0),
      coalesce(sum(cost), 0)
    FROM inserted GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (bucket, agent_id, event_type, model, user_id) DO UPDATE SET
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
}

/**
 * One statement: the rows not stored yet go in (a repeat of an event_id at the same time is
 * skipped, which makes redelivery harmless), and only those are added to the minute and hour
 * rollups. Rollup rows are touched in key order, so concurrent writers never deadlock.
 */
export const INSERT_EVENTS_SQL = `WITH inserted AS (
    INSERT INTO auren_events (${names})
    SELECT * FROM unnest(${unnest})
    ON CONFLICT DO NOTHING
    RETURNING ts, agent_id, event_type, model, user_id, success, latency_ms, input_tokens,
      output_tokens, tokens, cost
  ), minute AS (${rollup('auren_rollup_minute', 'minute')})
  ${rollup('auren_rollup_hour', 'hour')}
  RETURNING (SELECT count(*) FROM inserted) AS inserted`;

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

/** Column-wise arrays of the rows, in {@link EVENT_COLUMNS} order: the insert's parameters. */
export function columnsOf(rows: EventRow[]): unknown[][] {
  return EVENT_COLUMNS.map(([name]) => rows.map((row) => row[name]));
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
  const params = columnsOf(rows);
  let result: { rows: Array<{ inserted: string | number }> };
  try {
    result = await db.query(INSERT_EVENTS_SQL, params);
  } catch (error) {
    // 23514 "no partition of relation found": retention (maybe another process's) dropped a day
    // this process still remembered. Look again and retry once.
    if ((error as { code?: string }).code !== '23514') throw error;
    partitions.reset();
    await partitions.ensure(db, days);
    result = await db.query(INSERT_EVENTS_SQL, params);
  }
  // The hour rollup's RETURNING has one row per bucket touched; none when nothing was new.
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
  });
  return old;
}
