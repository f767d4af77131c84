/**
 * Log-bucket latency histogram: bin 0 holds [0, 1) ms, bin k ≥ 1 holds [1.1^(k−1), 1.1^k) ms;
 * values at or above 1.1^169 (≈ 10^7 ms, 2.8 h) share the last bin. A bin reads back as its
 * geometric middle, within ±4.9 % of any value in it.
 */
const GROWTH = 1.1;
const LN_GROWTH = Math.log(GROWTH);
export const HISTOGRAM_BINS = 171;

const MIDDLES = Float64Array.from({ length: HISTOGRAM_BINS }, (_, bin) =>
  bin === 0 ? 0.5 : GROWTH ** (bin - 1) * Math.sqrt(GROWTH),
);

export function binOf(value: number): number {
  if (!(value >= 1)) return 0;
  return Math.min(HISTOGRAM_BINS - 1, 1 + Math.floor(Math.log(value) / LN_GROWTH));
}

export function binValue(bin: number): number {
  return MIDDLES[bin];
}

/** Above this many samples a bucket keeps counts per bin instead of one byte per sample. */
const LIST_MAX = 512;

/**
 * The bins of one time bucket's samples, so they can be taken out of the window's histogram when
 * the bucket leaves: a list of one byte per sample (adding is a store), or, past
 * {@link LIST_MAX} samples, a count per bin (bounded size). Cleared without freeing.
 */
export class BucketBins {
  private list = new Uint8Array(16);
  private length = 0;
  private counts: Uint32Array | undefined;

  add(bin: number, count: number): void {
    if (this.counts) {
      this.counts[bin] += count;
      return;
    }
    if (count !== 1 || this.length === LIST_MAX) {
      this.counts = new Uint32Array(HISTOGRAM_BINS);
      for (let i = 0; i < this.length; i++) this.counts[this.list[i]] += 1;
      this.counts[bin] += count;
      return;
    }
    if (this.length === this.list.length) {
      const grown = new Uint8Array(this.length * 2);
      grown.set(this.list);
      this.list = grown;
    }
    this.list[this.length++] = bin;
  }

  /** `[bin, count, bin, count...]`, each bin once, ascending. */
  pairs(): number[] {
    const counts = this.counts ?? new Uint32Array(HISTOGRAM_BINS);
    if (!this.counts) for (let i = 0; i < this.length; i++) counts[this.list[i]] += 1;
    const pairs: number[] = [];
    counts.forEach((count, bin) => {
      if (count !== 0) pairs.push(bin, count);
    });
    return pairs;
  }

  /** Takes the samples out of `histogram` and empties the bucket. */
  subtractFrom(histogram: Uint32Array): void {
    if (this.counts) {
      for (let bin = 0; bin < HISTOGRAM_BINS; bin++) histogram[bin] -= this.counts[bin];
    } else {
      for (let i = 0; i < this.length; i++) histogram[this.list[i]] -= 1;
    }
    this.length = 0;
    this.counts = undefined;
  }
}
