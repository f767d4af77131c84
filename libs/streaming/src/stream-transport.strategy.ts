import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { isObservable } from 'rxjs';
import { BaseRpcContext } from '@nestjs/microservices/ctx-host/base-rpc.context';
import { isStoredEvent, type StreamedEvent } from '@auren/contracts';
import { STREAM_READ_BATCH } from '@auren/config';
import type { EventLog, StreamEntry } from './stream.interfaces';
import { TOMBSTONE_FIELD } from './kafka/kafka-constants';

/** The pattern every stream record is dispatched under: `@EventPattern(STREAM_EVENT_PATTERN)`. */
export const STREAM_EVENT_PATTERN = 'auren.stream_event';

export type StreamTransportStatus = 'connected' | 'disconnected';

export interface StreamTransportOptions {
  /** Where reading starts: a position, or `$` for the live end (the default). */
  startFrom?: string;
  batchSize?: number;
  blockMs?: number;
  /** Longest pause between attempts while the backend is down. */
  maxBackoffMs?: number;
  /** Called for each record that is not a valid event (logged and skipped). */
  onPoison?: (entry: StreamEntry, reason: string) => void;
  /** Hybrid `all`: the ingest took an event back (see HybridSink). */
  onTombstone?: (eventId: string) => void;
  /**
   * Awaited once the start position is known and before the first live record is dispatched:
   * the place to rebuild state from history up to `position` (a failure is retried).
   */
  beforeStart?: (position: string) => Promise<void>;
}

/** Context of a stream record, for handlers that want the raw position. */
export class StreamContext extends BaseRpcContext<[string]> {
  get streamId(): string {
    return this.args[0];
  }
}

/**
 * A NestJS transport that reads the whole stream at this process's own position (CONTRACT §5:
 * every gateway pod sees every event) and hands each event, in stream order, to the
 * `@EventPattern(STREAM_EVENT_PATTERN)` handler. When the backend goes away it retries with
 * capped exponential backoff and continues from the last position it delivered.
 */
export class StreamTransportStrategy
  extends Server<Record<string, never>, StreamTransportStatus>
  implements CustomTransportStrategy
{
  private running = false;
  private handler: MessageHandler | null = null;
  private connected = false;
  private position = '0-0';
  private loop?: Promise<void>;
  private readonly batchSize: number;
  private readonly blockMs: number;
  private readonly maxBackoffMs: number;

  constructor(
    private readonly log: EventLog & { close?: () => unknown },
    private readonly options: StreamTransportOptions = {},
  ) {
    super();
    this.batchSize = options.batchSize ?? STREAM_READ_BATCH;
    this.blockMs = options.blockMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 2000;
  }

  /** True while the backend answers reads. */
  get isConnected(): boolean {
    return this.connected;
  }

  /** The position of the last record handed to the handler. */
  get lastPosition(): string {
    return this.position;
  }

  /**
   * Starts reading in the background and returns at once: an app must start (and report not
   * ready) while its backend is away, not hang in start-up.
   */
  listen(callback: () => void): void {
    this.running = true;
    this.loop = this.run();
    callback();
  }

  async close(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  on(): never {
    throw new Error('StreamTransportStrategy has no events to subscribe to; use status instead');
  }

  unwrap<T>(): T {
    return this.log as T;
  }

  private async run(): Promise<void> {
    let started = false;
    let failures = 0;
    while (this.running) {
      try {
        if (!started) {
          const from = this.options.startFrom ?? '$';
          this.position = from === '$' ? await this.log.headPosition() : from;
          await this.options.beforeStart?.(this.position);
          started = true;
          this.setStatus('connected');
        }
        const entries = await this.log.readAfter(this.position, this.batchSize, this.blockMs);
        if (failures > 0) {
          failures = 0;
          this.setStatus('connected');
          this.logger.log(`Stream reading resumed after ${this.position}`);
        }
        for (const entry of entries) {
          if (!this.running) break;
          await this.dispatch(entry);
          this.position = entry.id;
        }
      } catch (error) {
        if (!this.running) break;
        failures += 1;
        if (failures === 1) {
          this.setStatus('disconnected');
          this.logger.warn(
            `Stream read failed (${(error as Error).message}); retrying from ${this.position}`,
          );
        }
        await this.pause(Math.min(100 * 2 ** Math.min(failures - 1, 6), this.maxBackoffMs));
      }
    }
  }

  private async dispatch(entry: StreamEntry): Promise<void> {
    let event: unknown;
    try {
      event = JSON.parse(entry.json);
    } catch {
      return this.poison(entry, 'not JSON');
    }
    const tombstone = (event as Record<string, unknown> | null)?.[TOMBSTONE_FIELD];
    if (typeof tombstone === 'string') return this.options.onTombstone?.(tombstone);
    if (!isStoredEvent(event)) return this.poison(entry, 'not an AUREN event');
    const streamed = event as StreamedEvent;
    streamed.stream_id = entry.id;
    try {
      // The handler is looked up once: Nest's per-message pattern routing (which parses the
      // pattern as JSON and catches the failure) showed up in fan-out profiles.
      this.handler ??= this.getHandlerByPattern(STREAM_EVENT_PATTERN);
      if (!this.handler)
        throw new Error(`no @EventPattern('${STREAM_EVENT_PATTERN}') handler is registered`);
      const result: unknown = await this.handler(streamed, new StreamContext([entry.id]));
      if (isObservable(result)) {
        result.subscribe({ error: (e: Error) => void this.logger.error(e.message) });
      }
    } catch (error) {
      // A handler failure must not stop the stream for everyone else.
      this.logger.error(`Handler failed for ${entry.id}: ${(error as Error).message}`);
    }
  }

  private poison(entry: StreamEntry, reason: string): void {
    this.logger.warn(`Skipped stream record ${entry.id}: ${reason}`);
    this.options.onPoison?.(entry, reason);
  }

  private setStatus(status: StreamTransportStatus): void {
    this.connected = status === 'connected';
    this._status$.next(status);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}
