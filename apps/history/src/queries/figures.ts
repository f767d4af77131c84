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

/** The histogram bucket's value, as SQL auren_latency_bucket_value: its geometric middle. */
function bucketValue(bucket: number): number {
  return bucket <= 1 ? 0.5 : 1.1 ** (bucket - 1.5);
}

/**
 * p50, p95 and p99 of a histogram (index 0 = bucket 1) holding `total` observations, from index
 * `low` on (everything below is 0), as SQL auren_hist_quantile reads one: nearest rank, the
 * bucket's geometric middle.
 */
function histQuantiles(
  hist: ArrayLike<number>,
  total: number,
  low = 0,
): [number | null, number | null, number | null] {
  if (total <= 0) return [null, null, null];
  const ranks = [
    Math.max(1, Math.ceil(0.5 * total)),
    Math.max(1, Math.ceil(0.95 * total)),
    Math.max(1, Math.ceil(0.99 * total)),
  ];
  const out: [number | null, number | null, number | null] = [null, null, null];
  let next = 0;
  let seen = 0;
  for (let i = low; i < hist.length && next < 3; i++) {
    seen += hist[i];
    while (next < 3 && seen >= ranks[next]) out[next++] = bucketValue(i + 1);
  }
  for (; next < 3; next++) out[next] = bucketValue(hist.length);
  return out;
}

/**
 * A packed histogram (the decimal text of Σ count_i · 10^(10·(i−1)), see migrations.ts) as counts,
 * index 0 = bucket 1: groups of ten digits read from the right, digit by digit (an aggregate's
 * result holds thousands of these; slicing them into strings was most of a query's time).
 */
export function unpackHistogram(packed: string): number[] {
  return readPacked(packed).hist;
}

interface Histogram {
  hist: number[];
  /** Observations in it. */
  total: number;
  /** Index of its first non-empty bucket (0 when empty). */
  low: number;
}

const EMPTY_HISTOGRAM: Histogram = { hist: [], total: 0, low: 0 };

function readPacked(packed: string): Histogram {
  const dot = packed.indexOf('.');
  const end = dot < 0 ? packed.length : dot;
  const first = packed.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  const hist: number[] = [];
  let last = 0;
  let total = 0;
  let low = -1;
  for (let stop = end; stop > first; stop -= PACKED_DIGITS) {
    let value = 0;
    for (let i = Math.max(first, stop - PACKED_DIGITS); i < stop; i++) {
      value = value * 10 + (packed.charCodeAt(i) - 48);
    }
    hist.push(value);
    if (value !== 0) {
      last = hist.length;
      total += value;
      if (low < 0) low = hist.length - 1;
    }
  }
  hist.length = last;
  return { hist, total, low: Math.max(low, 0) };
}

function readCounts(values: unknown[]): Histogram {
  const hist = values.map(count);
  let total = 0;
  let low = -1;
  for (let i = 0; i < hist.length; i++) {
    if (hist[i] !== 0 && low < 0) low = i;
    total += hist[i];
  }
  return { hist, total, low: Math.max(low, 0) };
}

const SUM_KEYS = [
  'events',
  'successes',
  'failures',
  'latency_count',
  'latency_sum',
  'input_tokens',
  'output_tokens',
  'tokens',
  'cost',
] as const;
type SumKey = (typeof SUM_KEYS)[number];
type Sums = Record<SumKey, number>;

const noSums = (): Sums => ({
  events: 0,
  successes: 0,
  failures: 0,
  latency_count: 0,
  latency_sum: 0,
  input_tokens: 0,
  output_tokens: 0,
  tokens: 0,
  cost: 0,
});

/**
 * One row of FIGURE_SUMS read once: its sums as numbers and its histogram unpacked (with its
 * total and first non-empty bucket). Its own figures, and coarser sums of several
 * ({@link FigureSums}), are made from it without reading the row again.
 */
export class FigureRow {
  readonly sums: Sums = noSums();
  readonly hist: number[];
  /** Observations in the histogram. */
  readonly total: number;
  /** Index of its first non-empty bucket. */
  readonly low: number;

  constructor(row: Record<string, unknown>) {
    for (const key of SUM_KEYS) this.sums[key] = count(row[key]);
    const value = row.hist;
    const read =
      typeof value === 'string'
        ? readPacked(value)
        : Array.isArray(value)
          ? readCounts(value as unknown[])
          : EMPTY_HISTOGRAM;
    this.hist = read.hist;
    this.total = read.total;
    this.low = read.low;
  }

  figures(): Figures {
    return figuresOf(this.sums, histQuantiles(this.hist, this.total, this.low));
  }
}

function figuresOf(sums: Sums, [p50, p95, p99]: Array<number | null>): Figures {
  const { successes, failures, latency_count: latencyCount } = sums;
  return {
    events: sums.events,
    successes,
    failures,
    successRate: successes + failures > 0 ? successes / (successes + failures) : null,
    latency: {
      count: latencyCount,
      averageMs: latencyCount > 0 ? sums.latency_sum / latencyCount : null,
      p50Ms: p50,
      p95Ms: p95,
      p99Ms: p99,
    },
    inputTokens: sums.input_tokens,
    outputTokens: sums.output_tokens,
    tokens: sums.tokens,
    cost: sums.cost,
  };
}

/**
 * Adds up rows of FIGURE_SUMS (already merged in SQL) into coarser figures: sums, and the
 * histograms merged bucket by bucket, percentiles read as auren_hist_quantile reads them.
 */
export class FigureSums {
  private readonly sums: Sums = noSums();
  private readonly hist: number[] = [];
  private total = 0;
  private low = Infinity;

  add(row: Record<string, unknown> | FigureRow): this {
    const read = row instanceof FigureRow ? row : new FigureRow(row);
    for (const key of SUM_KEYS) this.sums[key] += read.sums[key];
    if (read.total > 0) {
      const { hist, low } = read;
      const into = this.hist;
      while (into.length < hist.length) into.push(0);
      for (let i = low; i < hist.length; i++) into[i] += hist[i];
      this.total += read.total;
      if (low < this.low) this.low = low;
    }
    return this;
  }

  figures(): Figures {
    return figuresOf(
      this.sums,
      histQuantiles(this.hist, this.total, this.total > 0 ? this.low : 0),
    );
  }
}
