import type { TimeRange } from './arguments';
import { QueryViewer, SqlParams, visibilityConditions } from './scope';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const COLUMNS = `bucket, agent_id, event_type, model, user_id, events, successes, failures,
  latency_count, latency_sum, latency_packed, input_tokens, output_tokens, tokens, cost`;

/** The coarsest rollup a query may read: what its own buckets allow. */
export type Granularity = 'minute' | 'hour' | 'day';

const TABLES: Array<[Granularity, number, string]> = [
  ['day', DAY_MS, 'auren_rollup_day'],
  ['hour', HOUR_MS, 'auren_rollup_hour'],
  ['minute', MINUTE_MS, 'auren_rollup_minute'],
];

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
  const where = [...visibilityConditions(viewer, params, 'rollup'), ...conditions];
  const extra = where.length ? ` AND ${where.join(' AND ')}` : '';
  const from = Math.floor(range.from.getTime() / MINUTE_MS) * MINUTE_MS;
  const to = Math.max(from, range.to.getTime());
  const at = (ms: number) => `${params.add(new Date(ms).toISOString())}::timestamptz`;
  const parts: string[] = [];
  const cover = (start: number, end: number, level: number): void => {
    if (start >= end) return;
    const [granularity, unit, table] = TABLES[level];
    const usable = TABLES.findIndex(([name]) => name === coarsest) <= level;
    if (!usable || granularity === 'minute') {
      if (granularity !== 'minute') return cover(start, end, level + 1);
      parts.push(
        `SELECT ${COLUMNS} FROM ${table} WHERE bucket >= ${at(start)} AND bucket < ${at(end)}${extra}`,
      );
      return;
    }
    const whole = [Math.ceil(start / unit) * unit, Math.floor(end / unit) * unit];
    if (whole[0] >= whole[1]) return cover(start, end, level + 1);
    cover(start, whole[0], level + 1);
    parts.push(
      `SELECT ${COLUMNS} FROM ${table} WHERE bucket >= ${at(whole[0])} AND bucket < ${at(whole[1])}${extra}`,
    );
    cover(whole[1], end, level + 1);
  };
  cover(from, to, 0);
  if (parts.length === 0) parts.push(`SELECT ${COLUMNS} FROM auren_rollup_minute WHERE false`);
  return `(${parts.join(' UNION ALL ')})`;
}

/**
 * Sums of the rollup columns (over `r`), with the merged latency histogram as `hist`: the packed
 * histograms' sum (a C `sum(numeric)`), as text for {@link unpackHistogram}.
 */
export const FIGURE_SUMS = `sum(events) AS events, sum(successes) AS successes,
  sum(failures) AS failures, sum(latency_count) AS latency_count, sum(latency_sum) AS latency_sum,
  (sum(latency_packed) FILTER (WHERE latency_count > 0))::text AS hist,
  sum(input_tokens) AS input_tokens,
  sum(output_tokens) AS output_tokens, sum(tokens) AS tokens, sum(cost) AS cost`;
