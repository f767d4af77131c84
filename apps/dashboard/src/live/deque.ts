/**
 * A FIFO queue with O(1) amortized push and shift (Array#shift is O(n) on large arrays): the
 * per-agent and per-run slices of the ring buffer, whose oldest item leaves first.
 */
export class Deque<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
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

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
