/**
 * A running sum with Neumaier compensation: the result is the sum of the added doubles rounded
 * once, however many terms and in whatever order (up to ~2^53 terms), so that two pods that add
 * the same costs get the same total and 0.1 + 0.2 is 0.3. O(1) per term, no allocation.
 */
export class ExactSum {
  private sum = 0;
  private compensation = 0;

  add(x: number): void {
    const t = this.sum + x;
    if (Math.abs(this.sum) >= Math.abs(x)) this.compensation += this.sum - t + x;
    else this.compensation += x - t + this.sum;
    this.sum = t;
  }

  /** Adds another sum without losing its compensation. */
  addSum(other: ExactSum): void {
    this.add(other.sum);
    this.add(other.compensation);
  }

  get value(): number {
    return this.sum + this.compensation;
  }
}
