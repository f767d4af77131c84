import type { KeyState, RuleRuntime } from './rule-runtime';

/**
 * Min-heap of key wake-ups ordered by time, then key serial: the order never depends on how the
 * heap was built, so a restored evaluator wakes keys in the same order as the one it continues.
 * Entries go stale instead of being removed (their key's `wakeAt` moved or the key is gone).
 * Kept as parallel arrays: pushing allocates nothing once the arrays have grown.
 */
export class DeadlineHeap {
  private readonly ats: number[] = [];
  private readonly serials: number[] = [];
  private readonly keys: KeyState[] = [];
  private readonly runtimes: RuleRuntime[] = [];

  get size(): number {
    return this.ats.length;
  }

  /** Time of the earliest entry, `Infinity` when empty. */
  peekAt(): number {
    return this.ats.length === 0 ? Infinity : this.ats[0];
  }

  /** Key and runtime of the earliest entry (call {@link pop} after). */
  peekKey(): KeyState {
    return this.keys[0];
  }

  peekRuntime(): RuleRuntime {
    return this.runtimes[0];
  }

  push(at: number, key: KeyState, runtime: RuleRuntime): void {
    let i = this.ats.length;
    this.ats.push(at);
    this.serials.push(key.serial);
    this.keys.push(key);
    this.runtimes.push(runtime);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Drops the earliest entry. */
  pop(): void {
    const last = this.ats.length - 1;
    if (last < 0) return;
    this.swap(0, last);
    this.ats.pop();
    this.serials.pop();
    this.keys.pop();
    this.runtimes.pop();
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < last && this.before(left, smallest)) smallest = left;
      if (right < last && this.before(right, smallest)) smallest = right;
      if (smallest === i) break;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  clear(): void {
    this.ats.length = 0;
    this.serials.length = 0;
    this.keys.length = 0;
    this.runtimes.length = 0;
  }

  private before(a: number, b: number): boolean {
    const { ats, serials } = this;
    return ats[a] < ats[b] || (ats[a] === ats[b] && serials[a] < serials[b]);
  }

  private swap(a: number, b: number): void {
    swap(this.ats, a, b);
    swap(this.serials, a, b);
    swap(this.keys, a, b);
    swap(this.runtimes, a, b);
  }
}

function swap<T>(items: T[], a: number, b: number): void {
  const item = items[a];
  items[a] = items[b];
  items[b] = item;
}
