import { numberOrNull } from './event-record';

/** Operations, outcomes, latency, tokens and cost of a set of events (from the rollups). */
export interface Figures {
  events: number;
  successes: number;
  failures: number;
  /** successes / (successes + failures); null when no event reported `success`. */
  successRate: number | null;
  latency: {
    /** Events that reported `latency_ms`. */
    count: number;
    averageMs: number | null;
    /** Read from the latency histogram: within ±5 % of the exact percentile. */
    p50Ms: number | null;
    p95Ms: number | null;
    p99Ms: number | null;
  };
  inputTokens: number;
  outputTokens: number;
  tokens: number;
  cost: number;
}

const count = (value: unknown): number => numberOrNull(value) ?? 0;

/** A row with the columns of FIGURE_SUMS and QUANTILES. */
export function toFigures(row: Record<string, unknown>): Figures {
  const successes = count(row.successes);
  const failures = count(row.failures);
  const latencyCount = count(row.latency_count);
  return {
    events: count(row.events),
    successes,
    failures,
    successRate: successes + failures > 0 ? successes / (successes + failures) : null,
    latency: {
      count: latencyCount,
      averageMs: latencyCount > 0 ? count(row.latency_sum) / latencyCount : null,
      p50Ms: numberOrNull(row.p50),
      p95Ms: numberOrNull(row.p95),
      p99Ms: numberOrNull(row.p99),
    },
    inputTokens: count(row.input_tokens),
    outputTokens: count(row.output_tokens),
    tokens: count(row.tokens),
    cost: count(row.cost),
  };
}

export const EMPTY_FIGURES: Figures = toFigures({});
