import type { TimeRange } from './arguments';
import { QueryViewer, SqlParams, visibilityConditions } from './scope';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const COLUMNS = `bucket, agent_id, event_type, model, user_id, events, successes, failures,
  latency_count, latency_sum, latency_packed, input_tokens, output_tokens, tokens, cost`;

/** The coarsest rollup a query may read: what its own buckets allow. */
export type Granularity = 'minute' | 'hour' | 'day';

/** One agent's hours summed over event types and users (migration 4): one row per (hour, agent, model). */
export const AGENT_HOUR_TABLE = 'auren_rollup_agent_hour';

/** Rollup tables from the coarsest to the finest, each with its bucket size. */
type Levels = Array<[Granularity, number, string]>;

const TABLES: Levels = [
  ['day', DAY_MS, 'auren_rollup_day'],
  ['hour', HOUR_MS, 'auren_rollup_hour'],
  ['minute', MINUTE_MS, 'auren_rollup_minute'],
];

/**
 * One agent's rollups for a viewer who sees every user: whole hours from the agent-hour rollup
 * (summed over event types and users already: no user to filter by), ragged minutes as usual.
 * Only the columns both tables have.
 */
const AGENT_TABLES: Levels = [
  ['hour', HOUR_MS, AGENT_HOUR_TABLE],
  ['minute', MINUTE_MS, 'auren_rollup_minute'],
];
const AGENT_COLUMNS = `bucket, agent_id, model, events, successes, failures, latency_count,
  latency_sum, latency_packed, input_tokens, output_tokens, tokens, cost`;

/**
 * The rollup rows of a range, as one subquery: whole days from `auren_rollup_day` (unless the
 * query's buckets are finer: `coarsest`), the ragged hours at either end from `auren_rollup_hour`,
 * the ragged minutes from `auren_rollup_minute`. Counts are exact to the minute: `from` is rounded
 * down to its minute, and a minute that starts before `to` counts whole. The viewer's visibility
 * and `conditions` apply to every table.
 */
export function rollupSource(
  range: TimeRange,
  viewer: QueryViewer,
  params: SqlParams,
  conditions: string[] = [],
  coarsest: Granularity = 'day',
): string {
  return unionOf(levelsParts(TABLES, COLUMNS, range, viewer, params, conditions, coarsest));
}

/** One table's part of a range: a SELECT of its rows in that part. */
export interface RollupPart {
  table: string;
  sql: string;
}

/**
 * The rollup rows of one agent over a range (columns: bucket, agent_id, model and the sums), as
 * parts to UNION ALL: from the agent-hour rollup when the viewer sees every user and the buckets
 * are hours or coarser (its rows are then one per hour and model already: see
 * {@link AGENT_HOUR_TABLE}), else as {@link rollupSource} gives them.
 */
export function agentRollupParts(
  range: TimeRange,
  viewer: QueryViewer,
  params: SqlParams,
  agentCondition: string,
  coarsest: Granularity,
): RollupPart[] {
  if (viewer.seesAllUsers && coarsest !== 'minute') {
    return levelsParts(
      AGENT_TABLES,
      AGENT_COLUMNS,
      range,
      viewer,
      params,
      [agentCondition],
      'hour',
    );
  }
  return levelsParts(TABLES, COLUMNS, range, viewer, params, [agentCondition], coarsest);
}

/** Parts as one subquery. */
export function unionOf(parts: RollupPart[]): string {
  return `(${parts.map((part) => part.sql).join(' UNION ALL ')})`;
}

function levelsParts(
  levels: Levels,
  columns: string,
  range: TimeRange,
  viewer: QueryViewer,
  params: SqlParams,
  conditions: string[],
  coarsest: Granularity,
): RollupPart[] {
  const where = [...visibilityConditions(viewer, params, 'rollup'), ...conditions];
  const extra = where.length ? ` AND ${where.join(' AND ')}` : '';
  const from = Math.floor(range.from.getTime() / MINUTE_MS) * MINUTE_MS;
  const to = Math.max(from, range.to.getTime());
  const at = (ms: number) => `${params.add(new Date(ms).toISOString())}::timestamptz`;
  const parts: RollupPart[] = [];
  const select = (table: string, start: number, end: number) =>
    parts.push({
      table,
      sql: `SELECT ${columns} FROM ${table} WHERE bucket >= ${at(start)} AND bucket < ${at(end)}${extra}`,
    });
  const cover = (start: number, end: number, level: number): void => {
    if (start >= end) return;
    const [granularity, unit, table] = levels[level];
    const usable = levels.findIndex(([name]) => name === coarsest) <= level;
    if (!usable || granularity === 'minute') {
      if (granularity !== 'minute') return cover(start, end, level + 1);
      select(table, start, end);
      return;
    }
    const whole = [Math.ceil(start / unit) * unit, Math.floor(end / unit) * unit];
    if (whole[0] >= whole[1]) return cover(start, end, level + 1);
    cover(start, whole[0], level + 1);
    select(table, whole[0], whole[1]);
    cover(whole[1], end, level + 1);
  };
  cover(from, to, 0);
  if (parts.length === 0) {
    parts.push({
      table: 'auren_rollup_minute',
      sql: `SELECT ${columns} FROM auren_rollup_minute WHERE false`,
    });
  }
  return parts;
}

/**
 * Sums of the rollup columns (over `r`), with the merged latency histogram as `hist`: the packed
 * histograms' sum (a C `sum(numeric)`), as text for {@link unpackHistogram}.
 */
/**
 * The columns of FIGURE_SUMS for one rollup row as it is (no sum: a part whose rows are already
 * one per group).
 */
export const FIGURE_COLUMNS = `events, successes, failures, latency_count, latency_sum,
  CASE WHEN latency_count > 0 THEN latency_packed::text END AS hist, input_tokens, output_tokens,
  tokens, cost`;

export const FIGURE_SUMS = `sum(events) AS events, sum(successes) AS successes,
  sum(failures) AS failures, sum(latency_count) AS latency_count, sum(latency_sum) AS latency_sum,
  (sum(latency_packed) FILTER (WHERE latency_count > 0))::text AS hist,
  sum(input_tokens) AS input_tokens,
  sum(output_tokens) AS output_tokens, sum(tokens) AS tokens, sum(cost) AS cost`;
