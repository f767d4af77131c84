import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import type { StreamEntry } from '../stream.interfaces';
import {
  backoffMs,
  BatchReader,
  callBatchHandler,
  parseBatch,
  STREAM_BATCH_PATTERN,
  StreamBatchContext,
} from './stream-batch';

/**
 * Where a {@link StreamGroupTransport} takes its batches from: a Redis consumer group
 * ({@link RedisGroupSource}) or one process's own position in a log ({@link LogBatchSource}).
 */
export interface BatchSource {
  readonly source: string;
  /**
   * The next records to write, oldest first: the reader's own unacknowledged ones first, then
   * records claimed from dead readers, then new ones; empty after `blockMs` with nothing new.
   */
  next(count: number, blockMs: number): Promise<StreamEntry[]>;
  /** Marks records as written: they are never handed out again. */
  ack(entries: readonly StreamEntry[]): Promise<void>;
  /** Records of the stream not acknowledged yet (null: unknown). */
  lag(): Promise<number | null>;
  /** Resolves when the stream answers. */
  ping(): Promise<void>;
  /** Clean shutdown: leaves the group when nothing is pending, closes connections. */
  close(): Promise<void>;
}

export interface StreamGroupTransportOptions {
  /** Most records per batch (AUREN_HISTORY_BATCH). */
  batchSize: number;
  blockMs?: number;
  /** Longest pause between attempts when the stream or the handler fails. */
  maxBackoffMs?: number;
  /** Called for each record that is not an event: it is acknowledged and passed. */
  onPoison?: (entry: StreamEntry, reason: string) => void;
}

export type StreamGroupStatus = 'connected' | 'disconnected';

/**
 * A NestJS transport for readers that SHARE the stream (history writers): each record goes to
 * one reader of the group. It hands batches of events to the `@EventPattern(STREAM_BATCH_PATTERN)`
 * handler and acknowledges them only after the handler's promise resolved (it committed them).
 * One batch at a time: while the handler fails (the database is down or slow) the same batch is
 * retried with capped exponential backoff and nothing new is read, so the stream holds what is
 * not written yet. Records that are not events are acknowledged with the batch and counted.
 */
export class StreamGroupTransport
  extends Server<Record<string, never>, StreamGroupStatus>
  implements CustomTransportStrategy, BatchReader
{
  private running = false;
  private loop?: Promise<void>;
  private connected = false;
  private wake?: () => void;
  private readonly blockMs: number;
  private readonly maxBackoffMs: number;

  constructor(
    private readonly reader: BatchSource,
    private readonly options: StreamGroupTransportOptions,
  ) {
    super();
    this.blockMs = options.blockMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 5000;
  }

  get source(): string {
    return this.reader.source;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  lag(): Promise<number | null> {
    return this.reader.lag();
  }

  ping(): Promise<void> {
    return this.reader.ping();
  }

  /** Starts reading in the background and returns at once (the app starts while the stream is away). */
  listen(callback: () => void): void {
    this.running = true;
    this.loop = this.run();
    callback();
  }

  /** Stops after the batch in flight (or its current attempt), then leaves the group. */
  async close(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.reader.close().catch((error: Error) => {
      this.logger.warn(`Closing the ${this.source} reader: ${error.message}`);
    });
  }

  on(): never {
    throw new Error('StreamGroupTransport has no events to subscribe to; use status instead');
  }

  unwrap<T>(): T {
    return this.reader as T;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let entries: StreamEntry[];
      try {
        entries = await this.reader.next(this.options.batchSize, this.blockMs);
        if (failures > 0) this.logger.log(`Stream reading resumed (${this.source})`);
        failures = 0;
        this.setStatus('connected');
      } catch (error) {
        if (!this.running) break;
        failures += 1;
        if (failures === 1) {
          this.setStatus('disconnected');
          this.logger.warn(`Stream read failed (${(error as Error).message}); retrying`);
        }
        await this.pause(backoffMs(failures, this.maxBackoffMs));
        continue;
      }
      if (entries.length > 0) await this.deliver(entries);
    }
  }

  /**
   * Hands one batch to the handler until it resolves, then acknowledges it. A failed
   * acknowledgement leaves the records pending: the source hands them out again (a rewrite of
   * stored events is a no-op), so it is not retried here.
   */
  private async deliver(entries: StreamEntry[]): Promise<void> {
    const { events, poison } = parseBatch(entries);
    for (const { entry, reason } of poison) {
      this.logger.warn(`Skipped stream record ${entry.streamId ?? entry.id}: ${reason}`);
      this.options.onPoison?.(entry, reason);
    }
    for (let attempt = 1; events.length > 0; attempt += 1) {
      if (!this.running) return; // not acknowledged: pending, written by whoever reads it next
      try {
        const handler = this.getHandlerByPattern(STREAM_BATCH_PATTERN);
        if (!handler)
          throw new Error(`no @EventPattern('${STREAM_BATCH_PATTERN}') handler is registered`);
        await callBatchHandler(
          handler as (data: unknown, ctx: StreamBatchContext) => unknown,
          events,
          { source: this.source, attempt },
        );
        if (attempt > 1) this.logger.log(`Batch written after ${attempt} attempts`);
        break;
      } catch (error) {
        if (attempt === 1)
          this.logger.warn(
            `Batch of ${events.length} event(s) not written (${(error as Error).message}); retrying it`,
          );
        await this.pause(backoffMs(attempt, this.maxBackoffMs));
      }
    }
    try {
      await this.reader.ack(entries);
    } catch (error) {
      this.logger.warn(
        `Acknowledging ${entries.length} record(s) failed (${(error as Error).message}); they stay pending`,
      );
    }
  }

  private setStatus(status: StreamGroupStatus): void {
    if (this.connected === (status === 'connected')) return;
    this.connected = status === 'connected';
    this._status$.next(status);
  }

  /** Waits `ms`, or less when the transport is closed meanwhile. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
