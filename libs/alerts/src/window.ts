import { SECOND_MS } from './duration';

/**
 * A sliding window as a ring of time buckets, each an aggregate (no raw events kept).
 *
 * A window of W ms uses buckets of B = max(1 s, W/120 rounded up to whole seconds), n = ⌈W/B⌉
 * of them. At time t the window holds buckets ⌊t/B⌋−n+1 … ⌊t/B⌋, so an event counts for more
 * than n·B − B and at most n·B after it happened (n·B is W rounded up to a whole bucket).
 *
 * Modes: `sum` (a = sum of values, c = samples), `min` (a = lowest value, c = samples),
 * `histogram` (c = samples, plus a log-bucket histogram for quantiles).
 */
export type WindowMode = 'sum' | 'min' | 'histogram';

export const MAX_BUCKETS = 120;

export function bucketWidth(windowMs: number): number {
  return Math.max(SECOND_MS, Math.ceil(windowMs / MAX_BUCKETS / SECOND_MS) * SECOND_MS);
}

// Log histogram: bin 0 holds [0, 1) ms, bin k ≥ 1 holds [1.1^(k−1), 1.1^k) ms; values at or above
// 1.1^169 (≈ 10^7 ms, 2.8 h) share the last bin. Reading a bin back gives its geometric middle,
// within ±4.9 % of any value in it.
const GROWTH = 1.1;
const LN_GROWTH = Math.log(GROWTH);
export const HISTOGRAM_BINS = 171;

export function binOf(value: number): number {
  if (!(value >= 1)) return 0;
  return Math.min(HISTOGRAM_BINS - 1, 1 + Math.floor(Math.log(value) / LN_GROWTH));
}

export function binValue(bin: number): number {
  return bin === 0 ? 0.5 : GROWTH ** (bin - 1) * Math.sqrt(GROWTH);
}

/** The JSON form of a window: non-empty buckets only. */
export interface WindowSnapshot {
  head: number;
  totalA: number;
  totalC: number;
  /** `[bucket index, a, c]`, or `[bucket index, a, c, bin, count, bin, count...]` for histograms. */
  buckets: number[][];
}

export class BucketWindow {
  readonly bucketMs: number;
  readonly size: number;
  private readonly a: Float64Array;
  private readonly c: Float64Array;
  private readonly bins: (Map<number, number> | undefined)[] | undefined;
  private readonly histogram: Uint32Array | undefined;
  /** Absolute index of the newest bucket; -1 before the first sample. */
  private head = -1;
  private totalA = 0;
  private totalC = 0;
  private topBin = -1;
  /** Absolute index of the oldest non-empty bucket; meaningless when empty. */
  private oldest = 0;

  constructor(
    windowMs: number,
    readonly mode: WindowMode,
  ) {
    this.bucketMs = bucketWidth(windowMs);
    this.size = Math.ceil(windowMs / this.bucketMs);
    this.a = new Float64Array(this.size);
    this.c = new Float64Array(this.size);
    if (mode === 'histogram') {
      this.bins = new Array<Map<number, number> | undefined>(this.size).fill(undefined);
      this.histogram = new Uint32Array(HISTOGRAM_BINS);
    }
  }

  get samples(): number {
    return this.totalC;
  }

  /** Sum (`sum` mode) or lowest value (`min` mode; `Infinity` when empty). */
  get aggregate(): number {
    return this.mode === 'min' && this.totalC === 0 ? Infinity : this.totalA;
  }

  /** Start (ms) of the oldest bucket still in the window at the head. */
  get from(): number {
    return (this.head - this.size + 1) * this.bucketMs;
  }

  /** Moves the head to time `t`, dropping buckets that left; true when any sample left. */
  advance(t: number): boolean {
    const index = Math.floor(t / this.bucketMs);
    if (index <= this.head) return false;
    const previous = this.head;
    this.head = index;
    if (this.totalC === 0 || previous < 0) return false;
    const end = Math.min(index, previous + this.size);
    let dropped = false;
    for (let j = previous + 1; j <= end; j++) {
      const slot = j % this.size;
      if (this.c[slot] !== 0) {
        this.clearSlot(slot);
        dropped = true;
      }
    }
    if (dropped) this.recount();
    return dropped;
  }

  /** Adds one sample at time `t` (after `advance(t)`): `value` and a count of `count`. */
  add(t: number, value: number, count = 1): void {
    const index = Math.floor(t / this.bucketMs);
    if (index > this.head) this.advance(t);
    // A sample older than the window's start (never, with a monotonic clock) joins the oldest bucket.
    const slot = Math.max(index, this.head - this.size + 1) % this.size;
    if (this.mode === 'min') {
      if (this.c[slot] === 0 || value < this.a[slot]) this.a[slot] = value;
      if (this.totalC === 0 || value < this.totalA) this.totalA = value;
    } else if (this.mode === 'sum') {
      this.a[slot] += value;
      this.totalA += value;
    } else {
      const bin = binOf(value);
      const bins = this.bins as (Map<number, number> | undefined)[];
      const map = bins[slot] ?? (bins[slot] = new Map<number, number>());
      map.set(bin, (map.get(bin) ?? 0) + count);
      (this.histogram as Uint32Array)[bin] += count;
      if (bin > this.topBin) this.topBin = bin;
    }
    if (this.totalC === 0) this.oldest = Math.max(index, this.head - this.size + 1);
    this.c[slot] += count;
    this.totalC += count;
  }

  /**
   * The quantile `q` (0..1) of a histogram window, nearest rank, as its bin's middle; `undefined`
   * when empty.
   */
  quantile(q: number): number | undefined {
    const histogram = this.histogram;
    if (!histogram || this.totalC === 0) return undefined;
    const above = this.totalC - Math.max(1, Math.ceil(q * this.totalC));
    let seen = 0;
    for (let bin = this.topBin; bin >= 0; bin--) {
      seen += histogram[bin];
      if (seen > above) return binValue(bin);
    }
    return binValue(0);
  }

  /** When the oldest sample leaves the window (ms), or `Infinity` when empty. */
  nextExpiry(): number {
    return this.totalC === 0 ? Infinity : (this.oldest + this.size) * this.bucketMs;
  }

  private findOldest(): void {
    for (let j = Math.max(0, this.head - this.size + 1); j <= this.head; j++) {
      if (this.c[j % this.size] !== 0) {
        this.oldest = j;
        return;
      }
    }
  }

  private clearSlot(slot: number): void {
    this.a[slot] = 0;
    this.c[slot] = 0;
    const map = this.bins?.[slot];
    if (map) {
      const histogram = this.histogram as Uint32Array;
      for (const [bin, count] of map) histogram[bin] -= count;
      map.clear();
    }
  }

  /** Totals again from the buckets: sums do not drift by repeated subtraction. */
  private recount(): void {
    let totalA = this.mode === 'min' ? Infinity : 0;
    let totalC = 0;
    for (let slot = 0; slot < this.size; slot++) {
      const c = this.c[slot];
      if (c === 0) continue;
      totalC += c;
      totalA = this.mode === 'min' ? Math.min(totalA, this.a[slot]) : totalA + this.a[slot];
    }
    this.totalC = totalC;
    this.totalA = totalC === 0 ? 0 : totalA;
    if (this.histogram) {
      while (this.topBin >= 0 && this.histogram[this.topBin] === 0) this.topBin--;
    }
    this.findOldest();
  }

  snapshot(): WindowSnapshot {
    const buckets: number[][] = [];
    for (let j = Math.max(0, this.head - this.size + 1); j <= this.head; j++) {
      const slot = j % this.size;
      if (this.c[slot] === 0) continue;
      const entry = [j, this.a[slot], this.c[slot]];
      for (const [bin, count] of this.bins?.[slot] ?? []) entry.push(bin, count);
      buckets.push(entry);
    }
    return { head: this.head, totalA: this.totalA, totalC: this.totalC, buckets };
  }

  static restore(windowMs: number, mode: WindowMode, json: WindowSnapshot): BucketWindow {
    const window = new BucketWindow(windowMs, mode);
    window.head = json.head;
    for (const [index, a, c, ...bins] of json.buckets) {
      const slot = index % window.size;
      window.a[slot] = a;
      window.c[slot] = c;
      if (window.bins && window.histogram) {
        const map = new Map<number, number>();
        for (let i = 0; i + 1 < bins.length; i += 2) {
          map.set(bins[i], bins[i + 1]);
          window.histogram[bins[i]] += bins[i + 1];
          window.topBin = Math.max(window.topBin, bins[i]);
        }
        window.bins[slot] = map;
      }
    }
    window.totalA = json.totalA;
    window.totalC = json.totalC;
    window.findOldest();
    return window;
  }
}
