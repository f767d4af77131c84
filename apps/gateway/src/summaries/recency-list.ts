/** An entry of a {@link RecencyList}: links live in the entry itself, so touching allocates nothing. */
export abstract class RecencyNode {
  older: RecencyNode | null = null;
  newer: RecencyNode | null = null;

  /** Removes the entry from the tables that hold it; called when it is evicted. */
  abstract detach(): void;
}

/**
 * Least-recently-updated order over every cached entry, with a capacity: adding an entry beyond
 * it evicts the entry updated longest ago. `add` and `touch` are O(1).
 */
export class RecencyList {
  private oldest: RecencyNode | null = null;
  private newest: RecencyNode | null = null;
  private count = 0;

  constructor(
    private readonly capacity: number,
    private readonly onEvict: () => void = () => undefined,
  ) {}

  get size(): number {
    return this.count;
  }

  add(node: RecencyNode): void {
    this.append(node);
    this.count += 1;
    while (this.count > this.capacity && this.oldest) {
      const victim = this.oldest;
      this.unlink(victim);
      this.count -= 1;
      victim.detach();
      this.onEvict();
    }
  }

  /** Marks `node` as the most recently updated. */
  touch(node: RecencyNode): void {
    if (node === this.newest) return;
    this.unlink(node);
    this.append(node);
  }

  private append(node: RecencyNode): void {
    node.older = this.newest;
    node.newer = null;
    if (this.newest) this.newest.newer = node;
    else this.oldest = node;
    this.newest = node;
  }

  private unlink(node: RecencyNode): void {
    if (node.older) node.older.newer = node.newer;
    else this.oldest = node.newer;
    if (node.newer) node.newer.older = node.older;
    else this.newest = node.older;
    node.older = null;
    node.newer = null;
  }
}
