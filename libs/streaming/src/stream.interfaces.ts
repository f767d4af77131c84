import type { AgentEvent } from '@auren/contracts';

/** What the stream answered for one appended event. */
export interface AppendOutcome {
  event_id: string;
  stream_id: string;
  duplicate: boolean;
}

/** The backend could not confirm a write: nothing of the call was accepted (HTTP 503). */
export class StreamUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StreamUnavailableError';
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
  id: string;
  json: string;
}

/** Reading side of the stream, for the transport, history and resume. */
export interface EventLog {
  readonly backendName: string;
  /** Entries strictly after `after`, oldest first; waits up to `blockMs` when there are none yet. */
  readAfter(after: string, count: number, blockMs: number): Promise<StreamEntry[]>;
  /** Newest entries first, strictly before `before` (from the head when absent). */
  readBackward(count: number, before?: string): Promise<StreamEntry[]>;
  /** The position of the newest entry, or `0-0` when the stream is empty. */
  headPosition(): Promise<string>;
  ping(): Promise<void>;
}

export const EVENT_SINK = Symbol('EVENT_SINK');
export const EVENT_LOG = Symbol('EVENT_LOG');
