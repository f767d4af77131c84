import {
  EVENT_LIMITS,
  FieldError,
  parseEvent,
  ParseResult,
  ProtoAgentEvent,
  protoEventToJson,
  StructConversionError,
  ValidEvent,
} from '@auren/contracts';
import type { AppendOutcome } from '@auren/streaming';
import { describeFieldErrors } from './grpc-errors';

/** Most events one PublishStream call carries (its answer lists each of them). */
export const STREAM_MAX_EVENTS = 10_000;

export interface PublishResult extends AppendOutcome {
  index: number;
}

export interface RejectedEvent {
  index: number;
  message: string;
  violations: Array<{ field: string; message: string }>;
}

export interface PublishBatchAck {
  accepted: number;
  results: PublishResult[];
  rejected: RejectedEvent[];
}

/** The incoming side of a client stream: grpc-js's ServerReadableStream, reduced to what is used. */
export interface IncomingEvents {
  on(event: 'data', listener: (message: ProtoAgentEvent) => void): unknown;
  on(event: 'end' | 'cancelled', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  pause(): unknown;
  resume(): unknown;
  isPaused(): boolean;
}

export interface StreamSink {
  /** Writes valid events, all or none; rejects (503 ApiError) when the backend is down. */
  write(events: ValidEvent[]): Promise<AppendOutcome[]>;
  /** Called once for each event refused by validation. */
  onRejected(errors: FieldError[]): void;
}

/** What a stream ended with: the ack, or the error that stopped it and what was done before. */
export type StreamOutcome =
  | { ok: true; ack: PublishBatchAck }
  | { ok: false; error: unknown; failedAt: number; ack: PublishBatchAck };

/** `parseEvent` on a decoded message; Struct conversion problems are field errors too. */
export function parseProtoEvent(message: ProtoAgentEvent): ParseResult {
  try {
    return parseEvent(protoEventToJson(message));
  } catch (error) {
    if (error instanceof StructConversionError) return { ok: false, errors: [error.fieldError] };
    throw error;
  }
}

/**
 * PublishStream (docs/grpc.md): every event is validated on its own. A bad one is reported in
 * `rejected` with its index and field errors and does not stop the stream; good ones are written
 * as they arrive (whatever came in while a write was in flight goes in the next write, up to
 * 1,000 at a time), so dashboards see them before the stream ends. While 1,000 valid events wait
 * for the backend, the stream is paused (HTTP/2 flow control slows the client). The call is
 * answered once the client half-closes and every write is confirmed. A backend failure stops
 * the stream: the answer is that error, and events from `failedAt` on were not written.
 */
export class StreamIngest {
  private next = 0;
  private readonly pending: Array<{ index: number; event: ValidEvent }> = [];
  private writing = false;
  private ended = false;
  private finished = false;
  private failure?: { error: unknown; index: number };
  private readonly ack: PublishBatchAck = { accepted: 0, results: [], rejected: [] };

  constructor(
    private readonly incoming: IncomingEvents,
    private readonly sink: StreamSink,
    private readonly done: (outcome: StreamOutcome) => void,
  ) {}

  start(): void {
    this.incoming.on('data', (message) => this.receive(message));
    this.incoming.on('end', () => {
      this.ended = true;
      this.pump();
    });
    // The client went away: nothing to answer. Events already written stay written (an
    // event_id makes a resend safe).
    this.incoming.on('cancelled', () => (this.finished = true));
    this.incoming.on('error', () => (this.finished = true));
  }

  private receive(message: ProtoAgentEvent): void {
    if (this.finished || this.ended || this.failure) return;
    const index = this.next++;
    if (index >= STREAM_MAX_EVENTS) {
      const text = `a stream carries at most ${STREAM_MAX_EVENTS} events; this event and any later ones were not read: send them on a new stream`;
      this.ack.rejected.push({
        index,
        message: text,
        violations: [{ field: '(stream)', message: text }],
      });
      this.sink.onRejected([{ field: '(stream)', message: text }]);
      this.ended = true;
      this.pump();
      return;
    }
    const parsed = parseProtoEvent(message);
    if (!parsed.ok) {
      this.ack.rejected.push({
        index,
        message: describeFieldErrors(parsed.errors),
        violations: parsed.errors.map(({ field, message: why }) => ({ field, message: why })),
      });
      this.sink.onRejected(parsed.errors);
      return;
    }
    this.pending.push({ index, event: parsed.value });
    if (this.pending.length >= EVENT_LIMITS.maxBatchSize && !this.incoming.isPaused()) {
      this.incoming.pause();
    }
    this.pump();
  }

  private pump(): void {
    if (this.finished || this.writing) return;
    if (this.failure) return this.finish();
    if (this.pending.length === 0) {
      if (this.ended) this.finish();
      return;
    }
    const chunk = this.pending.splice(0, EVENT_LIMITS.maxBatchSize);
    this.writing = true;
    this.sink
      .write(chunk.map((c) => c.event))
      .then(
        (outcomes) => {
          outcomes.forEach((outcome, i) => {
            this.ack.results.push({ index: chunk[i].index, ...outcome });
            if (!outcome.duplicate) this.ack.accepted += 1;
          });
        },
        (error: unknown) => {
          this.failure = { error, index: chunk[0].index };
        },
      )
      .finally(() => {
        this.writing = false;
        this.pump();
        if (
          !this.finished &&
          this.incoming.isPaused() &&
          this.pending.length < EVENT_LIMITS.maxBatchSize
        ) {
          this.incoming.resume();
        }
      });
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.failure) {
      this.done({
        ok: false,
        error: this.failure.error,
        failedAt: this.failure.index,
        ack: this.ack,
      });
    } else {
      this.done({ ok: true, ack: this.ack });
    }
  }
}
