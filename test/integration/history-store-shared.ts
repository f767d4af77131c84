/**
 * What the history store tests share, and (run directly) the PGlite half of them: PGlite loads
 * as an ES module, which Jest's module system cannot, so the test runs this file in a child
 * process (`node --import tsx`) and checks what it prints.
 */
import type { StreamedEvent } from '@auren/contracts';
import {
  PartitionKeeper,
  ROLLUPS,
  type RollupSpec,
  writeEvents,
} from '../../apps/history/src/store/event-writer';
import { runMigrations } from '../../apps/history/src/store/migrations';
import { PgliteDatabase, type SqlDatabase } from '../../apps/history/src/store/sql-database';
import { historyBatches } from '../../scripts/history-events';

export const DAY_MS = 86_400_000;
/** Recent enough that the 30-day retention keeps it. */
export const END = Math.floor(Date.now() / DAY_MS) * DAY_MS;

export function history(seed: number, total: number, days = 2, batchSize = 500): StreamedEvent[][] {
  return [...historyBatches({ seed, days, total, end: END, batchSize })];
}

const ROLLUP_SUMS = `count(*)::bigint AS events,
  count(*) FILTER (WHERE success)::bigint AS successes,
  count(*) FILTER (WHERE NOT success)::bigint AS failures,
  count(latency_ms)::bigint AS latency_count, coalesce(sum(latency_ms), 0) AS latency_sum,
  auren_hist_of(auren_latency_bucket(latency_ms)) AS latency_hist,
  coalesce(sum(input_tokens), 0)::bigint AS input_tokens,
  coalesce(sum(output_tokens), 0)::bigint AS output_tokens,
  coalesce(sum(tokens), 0)::bigint AS tokens, coalesce(sum(cost), 0) AS cost`;

export interface RollupRow {
  key: string;
  events: string | number;
  successes: string | number;
  failures: string | number;
  latency_count: string | number;
  latency_sum: number;
  latency_hist: number[] | null;
  input_tokens: string | number;
  output_tokens: string | number;
  tokens: string | number;
  cost: number;
}

/**
 * A rollup table as rows of every dimension: a rollup keyed by fewer (the agent-hour rollup)
 * shows '' for the others; `latency_hist` is the packed histogram unpacked.
 */
export function rollupRows(spec: RollupSpec): string {
  const column = (name: 'event_type' | 'user_id') =>
    spec.dimensions.includes(name) ? name : `''::text AS ${name}`;
  return `(SELECT bucket, agent_id, ${column('event_type')}, model, ${column('user_id')}, events,
    successes, failures, latency_count, latency_sum, auren_hist_unpack(latency_packed) AS latency_hist,
    latency_packed, input_tokens, output_tokens, tokens, cost FROM ${spec.table})`;
}

/** The rollup table's rows, and the same sums computed from the raw events, by key. */
export async function rollupsAndRaw(
  db: SqlDatabase,
  spec: RollupSpec,
): Promise<{ stored: Map<string, RollupRow>; raw: Map<string, RollupRow> }> {
  const key = `to_char(bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI') || '|' || agent_id || '|' || event_type || '|' || model || '|' || user_id`;
  const stored = await db.query<RollupRow>(
    `SELECT ${key} AS key, events, successes, failures, latency_count, latency_sum, latency_hist,
       input_tokens, output_tokens, tokens, cost FROM ${rollupRows(spec)} t`,
  );
  const type = spec.dimensions.includes('event_type') ? 'event_type' : "''::text";
  const user = spec.dimensions.includes('user_id') ? "coalesce(user_id, '')" : "''::text";
  const raw = await db.query<RollupRow>(
    `SELECT ${key} AS key, * FROM (
       SELECT date_trunc('${spec.unit}', ts, 'UTC') AS bucket, agent_id, ${type} AS event_type,
         coalesce(model, '') AS model, ${user} AS user_id, ${ROLLUP_SUMS}
       FROM auren_events GROUP BY 1, 2, 3, 4, 5) AS g`,
  );
  return {
    stored: new Map(stored.rows.map((row) => [row.key, row])),
    raw: new Map(raw.rows.map((row) => [row.key, row])),
  };
}

/** On PGlite in memory: a batch, the same batch again, an overlapping batch, the rest. */
async function pgliteRun(): Promise<unknown> {
  const db = await PgliteDatabase.open(null);
  try {
    await runMigrations(db);
    const keeper = new PartitionKeeper();
    const events = history(21, 1200, 1, 1200)[0];
    const first = await writeEvents(db, keeper, events.slice(0, 500), 30);
    const again = await writeEvents(db, keeper, events.slice(0, 500), 30);
    const overlap = await writeEvents(db, keeper, events.slice(300, 800), 30);
    const rest = await writeEvents(db, keeper, events.slice(800), 30);
    const stored = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM auren_events');
    const tables: Record<string, unknown> = {};
    for (const spec of ROLLUPS) {
      const { stored: rollups, raw } = await rollupsAndRaw(db, spec);
      tables[spec.table] = { stored: [...rollups.values()], raw: [...raw.values()] };
    }
    return { outcomes: [first, again, overlap, rest], stored: stored.rows[0].n, tables };
  } finally {
    await db.close();
  }
}

if (require.main === module) {
  pgliteRun().then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
