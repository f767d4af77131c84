import type { AgentEvent } from '@auren/contracts';
import { comparePositions, RedisStylePositions } from './stream-position';
import type { AppendOutcome, EventLog, EventSink, StreamEntry } from './stream.interfaces';

/**
 * The embedded stream for one process (`AUREN_STREAM_BACKEND=memory`): Redis Streams semantics —
 * `<ms>-<seq>` positions, an approximate cap, blocking reads, idempotency by event_id — with no
 * server and no durability.
 */
export class MemoryStream extends RedisStylePositions implements EventSink, EventLog {
  readonly backendName = 'memory';
  private entries: StreamEntry[] = [];
  private lastMs = 0;
  private lastSeq = 0;
  private readonly waiters = new Set<() => void>();
  private readonly dedupe = new Map<string, { streamId: string; expiresAt: number }>();

  constructor(
    private readonly maxLen: number,
    private readonly dedupeWindowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  append(events: ReadonlyArray<{ event: AgentEvent; dedupe: boolean }>): Promise<AppendOutcome[]> {
    this.pruneDedupe();
    const out: AppendOutcome[] = [];
    for (const { event, dedupe } of events) {
      const seen = dedupe ? this.dedupe.get(event.event_id) : undefined;
      if (seen && seen.expiresAt > this.now()) {
        out.push({ event_id: event.event_id, stream_id: seen.streamId, duplicate: true });
        continue;
      }
      const id = this.nextId();
      this.entries.push({ id, json: JSON.stringify(event) });
      if (dedupe) {
        // Re-inserted at the end, so that the Map stays in expiry order.
        this.dedupe.delete(event.event_id);
        this.dedupe.set(event.event_id, {
          streamId: id,
          expiresAt: this.now() + this.dedupeWindowMs,
        });
      }
      out.push({ event_id: event.event_id, stream_id: id, duplicate: false });
    }
    this.trim();
    this.wake();
    return Promise.resolve(out);
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  async readAfter(after: string, count: number, blockMs: number): Promise<StreamEntry[]> {
    const found = this.slice(after, count);
    if (found.length > 0 || blockMs <= 0) return found;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, blockMs);
      const waiters = this.waiters;
      function done(): void {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      }
      waiters.add(done);
    });
    return this.slice(after, count);
  }

  readBackward(count: number, before?: string, inclusive = false): Promise<StreamEntry[]> {
    let end = this.entries.length;
    if (before !== undefined) end = this.firstIndexAfter(before, !inclusive);
    const start = Math.max(0, end - count);
    return Promise.resolve(this.entries.slice(start, end).reverse());
  }

  headPosition(): Promise<string> {
    return Promise.resolve(this.entries.at(-1)?.id ?? '0-0');
  }

  /** How many entries the stream holds after `position` (a reader's lag). */
  countAfter(position: string): number {
    return this.entries.length - this.firstIndexAfter(position, false);
  }

  /** Wakes blocked readers so that they can notice a shutdown. */
  close(): void {
    this.wake();
  }

  private slice(after: string, count: number): StreamEntry[] {
    const start = this.firstIndexAfter(after, false);
    return this.entries.slice(start, start + count);
  }

  /** Index of the first entry after `position` (or at it, when `inclusive`): binary search. */
  private firstIndexAfter(position: string, inclusive: boolean): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const cmp = comparePositions(this.entries[mid].id, position);
      if (cmp < 0 || (cmp === 0 && !inclusive)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private nextId(): string {
    const ms = this.now();
    if (ms > this.lastMs) {
      this.lastMs = ms;
      this.lastSeq = 0;
    } else {
      this.lastSeq += 1;
    }
    return `${this.lastMs}-${this.lastSeq}`;
  }

  /** Approximate cap, like `MAXLEN ~`: trims in chunks so that appends stay O(1) amortised. */
  private trim(): void {
    const excess = this.entries.length - this.maxLen;
    if (excess > Math.max(1, this.maxLen >> 4)) this.entries = this.entries.slice(excess);
  }

  private pruneDedupe(): void {
    const now = this.now();
    // The window is the same for every key, so insertion order is expiry order.
    for (const [key, value] of this.dedupe) {
      if (value.expiresAt > now) break;
      this.dedupe.delete(key);
    }
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
