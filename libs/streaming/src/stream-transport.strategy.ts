import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { isObservable } from 'rxjs';
import { BaseRpcContext } from '@nestjs/microservices/ctx-host/base-rpc.context';
import { isStoredEvent, type StreamedEvent, type StreamResetReason } from '@auren/contracts';
import { STREAM_READ_BATCH } from '@auren/config';
import type { EventLog, StreamEntry, StreamIdentity } from './stream.interfaces';
import { TOMBSTONE_FIELD } from './kafka/kafka-constants';

/** The pattern every stream record is dispatched under: `@EventPattern(STREAM_EVENT_PATTERN)`. */
export const STREAM_EVENT_PATTERN = 'auren.stream_event';

export type StreamTransportStatus = 'connected' | 'disconnected';

/** The stream this transport followed was reset or lost; reading goes on from `position`. */
export interface StreamReset {
  reason: StreamResetReason;
  /** The last position handed to the handler before the reset. */
  previous: string;
  /** Where reading continues: the start of the new stream. */
  position: string;
}

/**
 * Compares two looks at a stream (see {@link EventLog.identity}): null when it is the same stream,
 * else why not. `delivered` is the last position read from it.
 */
export function resetReason(
  before: StreamIdentity,
  now: StreamIdentity,
  delivered: string,
  compare: (a: string, b: string) => number,
): StreamResetReason | null {
  // A stream that did not exist yet (an empty start, or after a reset) may appear freely.
  if (!before.exists) return null;
  if (!now.exists) return 'stream_lost';
  const restarted =
    before.serverRunId !== null &&
    now.serverRunId !== null &&
    before.serverRunId !== now.serverRunId;
  if (now.generation !== before.generation) return restarted ? 'stream_lost' : 'stream_recreated';
  if (compare(now.lastId, delivered) < 0) return 'stream_went_backwards';
  return null;
}

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
  /**
   * How often the stream's identity is compared with the last look (backends with
   * `EventLog.identity`, i.e. Redis), besides after every outage. Default 1000 ms.
   */
  checkIntervalMs?: number;
  /**
   * Awaited when the stream was reset or lost (Redis restarted empty, the key deleted, ids going
   * backwards), before anything of the new stream is dispatched. Reading then starts over at the
   * new stream's start: records already handed over may come again (an event_id retried after
   * the reset, a stream restored from an older copy), so the handler should drop repeats.
   */
  onReset?: (reset: StreamReset) => Promise<void> | void;
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
  private readonly checkIntervalMs: number;
  /** The stream as last seen (null: the backend cannot tell, or not looked at yet). */
  private identity: StreamIdentity | null = null;
  private nextCheck = 0;

  constructor(
    private readonly log: EventLog & { close?: () => unknown },
    private readonly options: StreamTransportOptions = {},
  ) {
    super();
    this.batchSize = options.batchSize ?? STREAM_READ_BATCH;
    this.blockMs = options.blockMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 2000;
    this.checkIntervalMs = options.checkIntervalMs ?? 1000;
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
          this.identity = (await this.log.identity?.()) ?? null;
          this.nextCheck = Date.now() + this.checkIntervalMs;
          this.position = from === '$' ? await this.log.headPosition() : from;
          await this.options.beforeStart?.(this.position);
          started = true;
          this.setStatus('connected');
        } else if (this.identity && (failures > 0 || Date.now() >= this.nextCheck)) {
          // After an outage, before reading: a Redis that came back empty is told at once.
          await this.checkIdentity();
        }
        const entries = await this.log.readAfter(this.position, this.batchSize, this.blockMs);
        if (entries.length > 0 && this.identity && !this.identity.exists) {
          await this.adopt(entries[entries.length - 1].id);
        }
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

  /** Compares the stream with the last look; on a reset, starts over at the new stream's start. */
  private async checkIdentity(): Promise<void> {
    const before = this.identity;
    const now = await this.log.identity?.();
    if (!before || !now) return;
    this.nextCheck = Date.now() + this.checkIntervalMs;
    const reason = resetReason(before, now, this.position, (a, b) =>
      this.log.comparePositions(a, b),
    );
    if (reason) {
      const reset: StreamReset = { reason, previous: this.position, position: '0-0' };
      this.logger.warn(
        `Stream reset (${reason}): last position read ${reset.previous}; reading the new stream from its start`,
      );
      await this.options.onReset?.(reset);
      this.position = reset.position;
    }
    // Only once the reset was handled: a failed handler is retried with the same comparison.
    this.identity = now;
  }

  /**
   * The stream did not exist at the last look and now has entries: it appeared (the first write,
   * or the new stream after a reset). Its identity is taken now, so that losing it again is seen.
   */
  private async adopt(lastRead: string): Promise<void> {
    const before = this.identity;
    const now = await this.log.identity?.();
    if (!before || !now) return;
    // Gone again already: remember that it existed, so the next look reports the loss.
    this.identity = now.exists ? now : { ...before, exists: true, lastId: lastRead };
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
