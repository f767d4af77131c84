import { SECOND_MS } from './duration';
import { binOf, binValue, HISTOGRAM_BINS, BucketBins } from './histogram';

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
  /** Per bucket slot s: cells[2s] = a (sum or lowest value), cells[2s+1] = c (samples). */
  private readonly cells: Float64Array;
  private readonly bins: (BucketBins | undefined)[] | undefined;
  private readonly histogram: Uint32Array | undefined;
  /** Absolute index of the newest bucket; -1 before the first sample. */
  private head = -1;
  private totalA = 0;
  private totalC = 0;
  private topBin = -1;
  /** Absolute index of the oldest non-empty bucket; meaningless when empty. */
  private oldest = 0;
  /** Absolute index of the newest non-empty bucket (the last sample's); meaningless when empty. */
  private newest = 0;

  constructor(
    windowMs: number,
    readonly mode: WindowMode,
  ) {
    this.bucketMs = bucketWidth(windowMs);
    this.size = Math.ceil(windowMs / this.bucketMs);
    this.cells = new Float64Array(2 * this.size);
    if (mode === 'histogram') {
      this.bins = new Array<BucketBins | undefined>(this.size).fill(undefined);
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
    // Buckets previous+1 … index reuse the slots of the buckets that leave.
    const end = Math.min(index, previous + this.size);
    let dropped = false;
    let lowestLeft = false;
    for (let j = previous + 1; j <= end; j++) {
      const slot = j % this.size;
      const c = this.cells[2 * slot + 1];
      if (c === 0) continue;
      dropped = true;
      this.totalC -= c;
      if (this.mode === 'min' && this.cells[2 * slot] === this.totalA) lowestLeft = true;
      this.clearSlot(slot);
    }
    if (!dropped) return false;
    if (this.totalC === 0) {
      this.totalA = 0;
      return true;
    }
    // Sums are added again from the buckets rather than subtracted: no drift, and a value is
    // always the sum of what is in the window.
    if (this.mode === 'sum') this.resum();
    else if (lowestLeft) this.rescanMin();
    if (this.histogram) {
      while (this.topBin >= 0 && this.histogram[this.topBin] === 0) this.topBin--;
    }
    this.findOldest();
    return true;
  }

  /** Adds one sample at time `t` (after `advance(t)`): `value` and a count of `count`. */
  add(t: number, value: number, count = 1): void {
    const index = Math.floor(t / this.bucketMs);
    if (index > this.head) this.advance(t);
    // A sample older than the window's start (never, with a monotonic clock) joins the oldest bucket.
    const slot = Math.max(index, this.head - this.size + 1) % this.size;
    if (this.mode === 'min') {
      if (this.cells[2 * slot + 1] === 0 || value < this.cells[2 * slot])
        this.cells[2 * slot] = value;
      if (this.totalC === 0 || value < this.totalA) this.totalA = value;
    } else if (this.mode === 'sum') {
      this.cells[2 * slot] += value;
      this.totalA += value;
    } else {
      const bin = binOf(value);
      const bins = this.bins as (BucketBins | undefined)[];
      (bins[slot] ?? (bins[slot] = new BucketBins())).add(bin, count);
      (this.histogram as Uint32Array)[bin] += count;
      if (bin > this.topBin) this.topBin = bin;
    }
    const bucket = Math.max(index, this.head - this.size + 1);
    if (this.totalC === 0) this.oldest = bucket;
    this.newest = bucket;
    this.cells[2 * slot + 1] += count;
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

  /** The oldest non-empty bucket, searched forward from the previous one (amortised O(1)). */
  /** When the last sample leaves the window (ms), or `Infinity` when empty. */
  emptyAt(): number {
    return this.totalC === 0 ? Infinity : (this.newest + this.size) * this.bucketMs;
  }

  private findOldest(): void {
    for (let j = Math.max(this.oldest, this.head - this.size + 1); j <= this.head; j++) {
      if (this.cells[2 * (j % this.size) + 1] !== 0) {
        this.oldest = j;
        return;
      }
    }
  }

  private clearSlot(slot: number): void {
    this.cells[2 * slot] = 0;
    this.cells[2 * slot + 1] = 0;
    this.bins?.[slot]?.subtractFrom(this.histogram as Uint32Array);
  }

  private resum(): void {
    let sum = 0;
    for (let slot = 0; slot < this.size; slot++) sum += this.cells[2 * slot];
    this.totalA = sum;
  }

  private rescanMin(): void {
    let lowest = Infinity;
    for (let slot = 0; slot < this.size; slot++) {
      if (this.cells[2 * slot + 1] !== 0 && this.cells[2 * slot] < lowest)
        lowest = this.cells[2 * slot];
    }
    this.totalA = lowest;
  }

  snapshot(): WindowSnapshot {
    const buckets: number[][] = [];
    for (let j = Math.max(0, this.head - this.size + 1); j <= this.head; j++) {
      const slot = j % this.size;
      if (this.cells[2 * slot + 1] === 0) continue;
      const entry = [j, this.cells[2 * slot], this.cells[2 * slot + 1]];
      entry.push(...(this.bins?.[slot]?.pairs() ?? []));
      buckets.push(entry);
    }
    return { head: this.head, totalA: this.totalA, totalC: this.totalC, buckets };
  }

  static restore(windowMs: number, mode: WindowMode, json: WindowSnapshot): BucketWindow {
    const window = new BucketWindow(windowMs, mode);
    window.head = json.head;
    for (const [index, a, c, ...bins] of json.buckets) {
      const slot = index % window.size;
      window.cells[2 * slot] = a;
      window.cells[2 * slot + 1] = c;
      if (window.bins && window.histogram) {
        const bucket = new BucketBins();
        for (let i = 0; i + 1 < bins.length; i += 2) {
          bucket.add(bins[i], bins[i + 1]);
          window.histogram[bins[i]] += bins[i + 1];
          window.topBin = Math.max(window.topBin, bins[i]);
        }
        window.bins[slot] = bucket;
      }
    }
    window.totalA = json.totalA;
    window.totalC = json.totalC;
    window.oldest = json.buckets.length > 0 ? json.buckets[0][0] : 0;
    window.newest = json.buckets.length > 0 ? json.buckets[json.buckets.length - 1][0] : 0;
    return window;
  }
}
