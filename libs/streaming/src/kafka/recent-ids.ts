/**
 * A bounded memory of recently seen keys: at most `capacity` entries, each forgotten after
 * `windowMs`. Oldest first out (a Map keeps insertion order), so set/get/delete are O(1).
 */
export class RecentIds<V> {
  private readonly entries = new Map<string, { value: V; at: number }>();

  constructor(
    private readonly capacity: number,
    private readonly windowMs = Number.POSITIVE_INFINITY,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.now() - entry.at > this.windowMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, at: this.now() });
    this.trim();
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  private trim(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.capacity && now - entry.at <= this.windowMs) break;
      this.entries.delete(key);
    }
  }
}
