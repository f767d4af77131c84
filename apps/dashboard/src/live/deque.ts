/**
 * A FIFO queue with O(1) amortized push and shift (Array#shift is O(n) on large arrays): the
 * per-agent and per-run slices of the ring buffer, whose oldest item leaves first.
 */
export class Deque<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  /** Items pushed and shifted so far (serial numbers for {@link newestView}). */
  private pushed = 0;
  private shifted = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
    this.pushed++;
  }

  /** The oldest item, or undefined. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /** Removes and answers the oldest item. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head++;
    this.shifted++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 64 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Oldest first. */
  toArray(): T[] {
    return this.items.slice(this.head) as T[];
  }

  /** Newest first, at most `limit`. */
  newest(limit = Infinity): T[] {
    const out: T[] = [];
    for (let i = this.items.length - 1; i >= this.head && out.length < limit; i--)
      out.push(this.items[i] as T);
    return out;
  }

  /**
   * The items held now, newest first, read in place (no copy): `at(0)` is the newest as of this
   * call even after more are pushed; an item shifted out since reads as undefined.
   */
  newestView(): { readonly length: number; at(index: number): T | undefined } {
    const end = this.pushed;
    return {
      length: this.length,
      at: (index) => {
        const serial = end - 1 - index;
        if (index < 0 || serial < this.shifted) return undefined;
        return this.items[this.head + serial - this.shifted];
      },
    };
  }

  clear(): void {
    this.shifted = this.pushed;
    this.items = [];
    this.head = 0;
  }
}
