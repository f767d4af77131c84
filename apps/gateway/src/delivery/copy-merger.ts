import { isKafkaToken, RecentIds } from '@auren/streaming';
import type { StreamedEvent } from '@auren/contracts';

/**
 * How a gateway treats copies of one event: `pass` (Redis, memory: the stream holds each event
 * once), `first` (Kafka, hybrid `any`: the first copy of an event_id is delivered, later ones are
 * dropped), `pair` (hybrid `all`: delivered once both copies arrived, or one copy and no tombstone
 * within the pairing wait; a tombstone cancels it).
 */
export type CopyMode = 'pass' | 'first' | 'pair';

export interface CopyTarget {
  deliver(event: StreamedEvent): void;
  /** A copy was dropped: live delivery has still passed its position. */
  advance(position: string): void;
}

/** What happened to copies that were not delivered (for metrics). */
export type CopyOutcome = 'duplicate' | 'cancelled' | 'released_alone';

interface Waiting {
  event: StreamedEvent;
  fromKafka: boolean;
  timer: NodeJS.Timeout;
}

/** Between the stream readers and delivery: each event_id is delivered once, in bounded memory. */
export class CopyMerger {
  /** event_ids handled: the position their delivered copy had ('' when cancelled). */
  private readonly done: RecentIds<string>;
  private readonly waiting = new Map<string, Waiting>();

  constructor(
    private readonly mode: CopyMode,
    private readonly target: CopyTarget,
    private readonly capacity: number,
    private readonly pairWaitMs = 5000,
    private readonly count: (outcome: CopyOutcome) => void = () => undefined,
    private readonly onWaiting: (waiting: number) => void = () => undefined,
  ) {
    this.done = new RecentIds<string>(capacity);
  }

  /**
   * Where the copy of `eventId` that was delivered live had its position, while remembered (the
   * last AUREN_KAFKA_DEDUPE_EVENTS event_ids); '' when it was cancelled. A replay skips other
   * copies, as live delivery did.
   */
  deliveredAt(eventId: string): string | undefined {
    return this.mode === 'pass' ? undefined : this.done.get(eventId);
  }

  /** Events waiting for their second copy (hybrid `all`). */
  get pending(): number {
    return this.waiting.size;
  }

  offer(event: StreamedEvent): void {
    if (this.mode === 'pass') return this.target.deliver(event);
    const id = event.event_id;
    if (this.done.has(id)) {
      this.count('duplicate');
      return this.target.advance(position(event));
    }
    if (this.mode === 'first') {
      this.done.set(id, position(event));
      return this.target.deliver(event);
    }
    const fromKafka = isKafkaToken(event.resume_token);
    const first = this.waiting.get(id);
    if (first && first.fromKafka !== fromKafka) {
      clearTimeout(first.timer);
      this.waiting.delete(id);
      this.onWaiting(this.waiting.size);
      // The Redis copy is delivered: its position is the one resume works from.
      const [redisCopy, kafkaCopy] = fromKafka ? [first.event, event] : [event, first.event];
      this.done.set(id, position(redisCopy));
      this.target.deliver(redisCopy);
      return this.target.advance(position(kafkaCopy));
    }
    if (first) return; // the same copy twice (a re-read): keep waiting for the other backend
    const timer = setTimeout(() => this.release(id), this.pairWaitMs);
    timer.unref();
    this.waiting.set(id, { event, fromKafka, timer });
    this.onWaiting(this.waiting.size);
    if (this.waiting.size > this.capacity) {
      const oldest = this.waiting.keys().next().value as string;
      this.release(oldest);
    }
  }

  /** The ingest took an event back (hybrid `all`, the other backend failed): never deliver it. */
  tombstone(eventId: string): void {
    const waiting = this.waiting.get(eventId);
    if (waiting) {
      clearTimeout(waiting.timer);
      this.waiting.delete(eventId);
      this.onWaiting(this.waiting.size);
    }
    this.done.set(eventId, '');
    this.count('cancelled');
  }

  /** Its partner did not come within the wait: the other backend lost it after the ack. */
  private release(id: string): void {
    const waiting = this.waiting.get(id);
    if (!waiting) return;
    clearTimeout(waiting.timer);
    this.waiting.delete(id);
    this.onWaiting(this.waiting.size);
    this.done.set(id, position(waiting.event));
    this.count('released_alone');
    this.target.deliver(waiting.event);
  }
}

function position(event: StreamedEvent): string {
  return event.resume_token ?? event.stream_id;
}
