/** The distinct performance thresholds connected clients use, with a count of each. */
export class ThresholdRegistry {
  private readonly counts = new Map<number, number>();

  add(threshold: number): void {
    this.counts.set(threshold, (this.counts.get(threshold) ?? 0) + 1);
  }

  remove(threshold: number): void {
    const count = (this.counts.get(threshold) ?? 0) - 1;
    if (count <= 0) this.counts.delete(threshold);
    else this.counts.set(threshold, count);
  }

  values(): IterableIterator<number> {
    return this.counts.keys();
  }
}
