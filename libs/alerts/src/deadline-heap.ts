import type { KeyState, RuleRuntime } from './rule-runtime';

export interface Deadline {
  at: number;
  runtime: RuleRuntime;
  key: KeyState;
}

/**
 * Min-heap of key wake-ups ordered by time, then key id: the order never depends on how the heap
 * was built, so a restored evaluator wakes keys in the same order as the one it continues.
 * Entries go stale instead of being removed (their key's `wakeAt` moved or the key is gone).
 */
export class DeadlineHeap {
  private readonly items: Deadline[] = [];

  get size(): number {
    return this.items.length;
  }

  /** Time of the earliest entry, `Infinity` when empty. */
  peekAt(): number {
    return this.items.length === 0 ? Infinity : this.items[0].at;
  }

  push(entry: Deadline): void {
    const items = this.items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  pop(): Deadline | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && before(items[left], items[smallest])) smallest = left;
        if (right < items.length && before(items[right], items[smallest])) smallest = right;
        if (smallest === i) break;
        [items[i], items[smallest]] = [items[smallest], items[i]];
        i = smallest;
      }
    }
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }
}

function before(a: Deadline, b: Deadline): boolean {
  return a.at < b.at || (a.at === b.at && a.key.id < b.key.id);
}
