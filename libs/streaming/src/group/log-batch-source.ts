import type { EventLog, StreamEntry } from '../stream.interfaces';
import type { BatchSource } from './stream-group.transport';

/** A log that can count what follows a position (the memory stream). */
interface CountingLog extends EventLog {
  countAfter?(position: string): number;
}

/**
 * One reader's own position in a log, from its start: the memory backend, where the one process
 * that holds the stream is the only writer. Acknowledging moves the position; nothing is shared.
 */
export class LogBatchSource implements BatchSource {
  private position = '0-0';

  constructor(private readonly log: CountingLog) {}

  get source(): string {
    return this.log.backendName;
  }

  /** The position of the last record acknowledged. */
  get acknowledged(): string {
    return this.position;
  }

  next(count: number, blockMs: number): Promise<StreamEntry[]> {
    return this.log.readAfter(this.position, count, blockMs);
  }

  ack(entries: readonly StreamEntry[]): Promise<void> {
    const last = entries[entries.length - 1];
    if (last && this.log.comparePositions(last.id, this.position) > 0) this.position = last.id;
    return Promise.resolve();
  }

  lag(): Promise<number | null> {
    return Promise.resolve(this.log.countAfter ? this.log.countAfter(this.position) : null);
  }

  ping(): Promise<void> {
    return this.log.ping();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
