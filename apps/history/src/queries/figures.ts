import { PACKED_DIGITS } from '../store/migrations';
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

/** The histogram bucket's value, as SQL auren_latency_bucket_value: its geometric middle. */
function bucketValue(bucket: number): number {
  return bucket <= 1 ? 0.5 : 1.1 ** (bucket - 1.5);
}

/** As SQL auren_hist_quantile: nearest rank over a 1-based histogram (index 0 here = bucket 1). */
export function histQuantile(hist: readonly number[], q: number): number | null {
  const total = hist.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i];
    if (seen >= rank) return bucketValue(i + 1);
  }
  return bucketValue(hist.length);
}

/**
 * A packed histogram (the decimal text of Σ count_i · 10^(10·(i−1)), see migrations.ts) as counts,
 * index 0 = bucket 1: groups of ten digits read from the right.
 */
export function unpackHistogram(packed: string): number[] {
  const digits = packed.split('.')[0].replace(/^-/, '');
  const hist: number[] = [];
  for (let end = digits.length; end > 0; end -= PACKED_DIGITS) {
    hist.push(Number(digits.slice(Math.max(0, end - PACKED_DIGITS), end)));
  }
  while (hist.length > 0 && hist[hist.length - 1] === 0) hist.pop();
  return hist;
}

/**
 * The row's histogram as counts: a packed histogram is unpacked once and kept on the row (a row
 * is added to several sums: the totals, its bucket's and its model's).
 */
export function histogramOf(row: Record<string, unknown>): number[] | null {
  const value = row.hist;
  if (value instanceof Counts) return value.counts;
  const counts =
    typeof value === 'string'
      ? unpackHistogram(value)
      : Array.isArray(value)
        ? (value as unknown[]).map(count)
        : null;
  if (counts) row.hist = new Counts(counts);
  return counts;
}

/** A histogram already read into numbers. */
class Counts {
  constructor(readonly counts: number[]) {}
}

/**
 * Adds up rows of FIGURE_SUMS (already merged in SQL) into coarser figures: sums, and the
 * histograms merged bucket by bucket, percentiles read as auren_hist_quantile reads them.
 */
export class FigureSums {
  private readonly sums = {
    events: 0,
    successes: 0,
    failures: 0,
    latency_count: 0,
    latency_sum: 0,
    input_tokens: 0,
    output_tokens: 0,
    tokens: 0,
    cost: 0,
  };
  private readonly hist: number[] = [];

  add(row: Record<string, unknown>): this {
    for (const key of Object.keys(this.sums) as Array<keyof typeof this.sums>) {
      this.sums[key] += count(row[key]);
    }
    const hist = histogramOf(row);
    if (hist) {
      const into = this.hist;
      while (into.length < hist.length) into.push(0);
      for (let i = 0; i < hist.length; i++) into[i] += hist[i];
    }
    return this;
  }

  figures(): Figures {
    const hist = this.hist;
    return toFigures({
      ...this.sums,
      p50: histQuantile(hist, 0.5),
      p95: histQuantile(hist, 0.95),
      p99: histQuantile(hist, 0.99),
    });
  }
}
