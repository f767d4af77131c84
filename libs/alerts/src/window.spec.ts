import { seededRandom } from './test-events';
import { binOf, binValue, HISTOGRAM_BINS } from './histogram';
import { bucketWidth, BucketWindow, type WindowSnapshot } from './window';

describe(BucketWindow.name, () => {
  it('uses 1 s buckets up to 2 minutes, then about 120 buckets per window', () => {
    expect(bucketWidth(1000)).toBe(1000);
    expect(bucketWidth(120_000)).toBe(1000);
    expect(bucketWidth(300_000)).toBe(3000);
    expect(new BucketWindow(300_000, 'sum').size).toBe(100);
    expect(new BucketWindow(7 * 86_400_000, 'sum').size).toBe(120);
  });

  it('keeps a sample for between window − bucket and window', () => {
    const sut = new BucketWindow(10_000, 'sum');
    sut.add(5_500, 2);
    sut.add(7_000, 3);
    sut.advance(14_999);
    expect([sut.aggregate, sut.samples]).toEqual([5, 2]);
    expect(sut.nextExpiry()).toBe(15_000);
    sut.advance(15_000);
    expect([sut.aggregate, sut.samples]).toEqual([3, 1]);
    sut.advance(16_999);
    expect(sut.samples).toBe(1);
    sut.advance(17_000);
    expect([sut.aggregate, sut.samples, sut.nextExpiry()]).toEqual([0, 0, Infinity]);
  });

  it('does not drift: a window emptied of fractional sums reads exactly 0', () => {
    const sut = new BucketWindow(3_000, 'sum');
    for (let t = 0; t < 3_000; t += 100) sut.add(t, 0.1);
    sut.add(3_050, 0.2);
    sut.advance(5_999);
    expect(sut.aggregate).toBe(0.2);
    sut.advance(6_000);
    expect(sut.aggregate).toBe(0);
  });

  it('tracks the lowest value, and finds the next lowest when it leaves', () => {
    const sut = new BucketWindow(5_000, 'min');
    sut.add(0, 0.3);
    sut.add(2_000, 0.6);
    sut.add(3_000, 0.5);
    expect(sut.aggregate).toBe(0.3);
    sut.advance(5_000);
    expect(sut.aggregate).toBe(0.5);
    sut.add(5_000, 0.2);
    sut.add(5_100, 0.7);
    sut.advance(8_000);
    expect(sut.aggregate).toBe(0.2);
  });

  it('gives p95 within 5% of the exact value', () => {
    const random = seededRandom(7);
    const sut = new BucketWindow(60_000, 'histogram');
    const values: number[] = [];
    for (let i = 0; i < 5_000; i++) {
      // Log-uniform between 5 ms and 20 s: a wide spread, as latencies are.
      const value = Math.exp(Math.log(5) + random() * Math.log(4000));
      values.push(value);
      sut.add(i * 10, value);
    }
    values.sort((a, b) => a - b);
    const exact = values[Math.ceil(0.95 * values.length) - 1];
    const estimate = sut.quantile(0.95) as number;
    expect(Math.abs(estimate - exact) / exact).toBeLessThan(0.05);
  });

  it('puts every value within 5% of its bin value', () => {
    for (const value of [1, 1.05, 9.99, 250, 1234.5, 99_999, 5_000_000]) {
      const bin = binOf(value);
      expect(bin).toBeLessThan(HISTOGRAM_BINS);
      expect(Math.abs(binValue(bin) - value) / value).toBeLessThan(0.05);
    }
    expect(binOf(0)).toBe(0);
    expect(binOf(1e12)).toBe(HISTOGRAM_BINS - 1);
  });

  it('restores from its snapshot to the same state', () => {
    const sut = new BucketWindow(10_000, 'histogram');
    for (let t = 0; t < 20_000; t += 700) sut.add(t, t / 10);
    const copy = BucketWindow.restore(
      10_000,
      'histogram',
      JSON.parse(JSON.stringify(sut.snapshot())) as WindowSnapshot,
    );
    expect(copy.snapshot()).toEqual(sut.snapshot());
    for (const window of [sut, copy]) window.advance(25_000);
    expect(copy.quantile(0.95)).toBe(sut.quantile(0.95));
    expect([copy.samples, copy.nextExpiry()]).toEqual([sut.samples, sut.nextExpiry()]);
  });
});
