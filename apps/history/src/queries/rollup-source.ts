import type { TimeRange } from './arguments';
import { QueryViewer, SqlParams, visibilityConditions } from './scope';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

const COLUMNS = `bucket, agent_id, event_type, model, user_id, events, successes, failures,
  latency_count, latency_sum, latency_hist, input_tokens, output_tokens, tokens, cost`;

/**
 * The rollup rows of a range, as one subquery: whole hours from `auren_rollup_hour`, the ragged
 * minutes at either end from `auren_rollup_minute` (or only minutes, `minutesOnly`). Counts are
 * exact to the minute: `from` is rounded down to its minute, and a minute that starts before
 * `to` counts whole. The viewer's visibility and `conditions` apply to both tables.
 */
export function rollupSource(
  range: TimeRange,
  viewer: QueryViewer,
  params: SqlParams,
  conditions: string[] = [],
  minutesOnly = false,
): string {
  const where = [...visibilityConditions(viewer, params, 'rollup'), ...conditions];
  const extra = where.length ? ` AND ${where.join(' AND ')}` : '';
  const from = Math.floor(range.from.getTime() / MINUTE_MS) * MINUTE_MS;
  const to = range.to.getTime();
  const hourStart = Math.ceil(from / HOUR_MS) * HOUR_MS;
  const hourEnd = Math.floor(to / HOUR_MS) * HOUR_MS;
  const at = (ms: number) => `${params.add(new Date(ms).toISOString())}::timestamptz`;
  if (minutesOnly || hourStart >= hourEnd) {
    return `(SELECT ${COLUMNS} FROM auren_rollup_minute WHERE bucket >= ${at(from)} AND bucket < ${at(to)}${extra})`;
  }
  const parts = [
    `SELECT ${COLUMNS} FROM auren_rollup_hour WHERE bucket >= ${at(hourStart)} AND bucket < ${at(hourEnd)}${extra}`,
  ];
  if (from < hourStart)
    parts.push(
      `SELECT ${COLUMNS} FROM auren_rollup_minute WHERE bucket >= ${at(from)} AND bucket < ${at(hourStart)}${extra}`,
    );
  if (hourEnd < to)
    parts.push(
      `SELECT ${COLUMNS} FROM auren_rollup_minute WHERE bucket >= ${at(hourEnd)} AND bucket < ${at(to)}${extra}`,
    );
  return `(${parts.join(' UNION ALL ')})`;
}

/** Sums of the rollup columns (over `r`), with the merged latency histogram as `hist`. */
export const FIGURE_SUMS = `sum(events) AS events, sum(successes) AS successes,
  sum(failures) AS failures, sum(latency_count) AS latency_count, sum(latency_sum) AS latency_sum,
  auren_hist_sum(latency_hist) FILTER (WHERE latency_count > 0) AS hist,
  sum(input_tokens) AS input_tokens,
  sum(output_tokens) AS output_tokens, sum(tokens) AS tokens, sum(cost) AS cost`;

/** Over a row of {@link FIGURE_SUMS}: the percentiles read from the merged histogram. */
export const QUANTILES = `auren_hist_quantile(hist, 0.5) AS p50, auren_hist_quantile(hist, 0.95) AS p95,
  auren_hist_quantile(hist, 0.99) AS p99`;
