import type { AgentEvent } from '@auren/contracts';

/** What the stream answered for one appended event. */
export interface AppendOutcome {
  event_id: string;
  stream_id: string;
  duplicate: boolean;
}

/** The backend could not confirm a write: nothing of the call was accepted (HTTP 503). */
export class StreamUnavailableError extends Error {
  /** What the 503 tells the client, when more specific than "the backend is unavailable". */
  readonly publicMessage?: string;
  constructor(message: string, options?: { cause?: unknown; publicMessage?: string }) {
    super(message, options);
    this.name = 'StreamUnavailableError';
    this.publicMessage = options?.publicMessage;
  }
}

/**
 * Where ingest writes. `append` resolves only after the backend confirmed every event of the
 * call, and writes all of them or none; events with `dedupe: false` skip the idempotency check.
 */
export interface EventSink {
  readonly backendName: string;
  append(events: ReadonlyArray<{ event: AgentEvent; dedupe: boolean }>): Promise<AppendOutcome[]>;
  /** Resolves when the backend answers; rejects otherwise. */
  ping(): Promise<void>;
}

/** One stored record: its position and the canonical JSON as written. */
export interface StreamEntry {
  /** The position right after this record: what a reader continues from. */
  id: string;
  json: string;
  /** The record's own `stream_id` when it differs from `id` (Kafka: `partition-offset`). */
  streamId?: string;
}

/**
 * What a reader compares between two looks at the stream to notice that it was reset or lost
 * (Redis restarted empty, the key deleted, ids going backwards). See {@link EventLog.identity}.
 */
export interface StreamIdentity {
  /** Whether the stream exists at all. */
  exists: boolean;
  /**
   * The id of the first entry of this incarnation of the stream, written by the sink when it
   * created the stream; null when unknown (a stream written by an older version, or missing).
   */
  generation: string | null;
  /** Identifies the server process (Redis `run_id`): it changes on every restart. Null when unknown. */
  serverRunId: string | null;
  /** The highest id the stream ever generated (`0-0` when it does not exist). */
  lastId: string;
}

/** Reading side of the stream, for the transport, history and resume. */
export interface EventLog {
  readonly backendName: string;
  /** Entries strictly after `after`, oldest first; waits up to `blockMs` when there are none yet. */
  readAfter(after: string, count: number, blockMs: number): Promise<StreamEntry[]>;
  /**
   * Newest entries first, strictly before `before` (from the head when absent), or up to and
   * including it with `inclusive`.
   */
  readBackward(count: number, before?: string, inclusive?: boolean): Promise<StreamEntry[]>;
  /** The position of the newest entry (`0-0` for an empty Redis or memory stream). */
  headPosition(): Promise<string>;
  /** Negative when `a` is before `b` (something after `a` is at or before `b`), 0 when equal. */
  comparePositions(a: string, b: string): number;
  /** Whether `value` is a position of this log (what clients may resume from). */
  isPosition(value: string): boolean;
  /** Whether everything after `position` is still held (nothing after it was trimmed). */
  holds(position: string): Promise<boolean>;
  ping(): Promise<void>;
  /** The stream's identity now, for backends that can lose or reset it (Redis); absent otherwise. */
  identity?(): Promise<StreamIdentity>;
}

export const EVENT_SINK = Symbol('EVENT_SINK');
export const EVENT_LOG = Symbol('EVENT_LOG');
