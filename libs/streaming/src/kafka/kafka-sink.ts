import { Admin, Kafka, logLevel, Partitioners, PartitionMetadata, Producer } from 'kafkajs';
import type { AgentEvent } from '@auren/contracts';
import { AppendOutcome, EventSink, StreamUnavailableError } from '../stream.interfaces';
import { RecentIds } from './recent-ids';
import { kafkaRecordId } from './kafka-position';
import { TOMBSTONE_FIELD, TOPIC_CONFIG } from './kafka-constants';

export interface KafkaSinkOptions {
  brokers: string[];
  topic: string;
  /** Partitions of the topic when ingest creates it. */
  partitions: number;
  /** Replication factor when ingest creates the topic (-1: the broker's default). */
  replicationFactor?: number;
  /** How many event_ids one ingest process remembers for idempotency. */
  dedupeCapacity: number;
  dedupeWindowMs: number;
  clientId?: string;
}

interface Message {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** A produce request combining several appends stays under this (the broker's default limit is 1 MiB). */
const MAX_COALESCED_BYTES = 512 * 1024;

/**
 * Writes events to a Kafka topic (CONTRACT §3): idempotent producer, acks from all in-sync
 * replicas, key `source_agent.id` (one agent's events share a partition, so they stay in order),
 * value the canonical JSON, header `event_type`. `append` resolves once the broker acknowledged;
 * when it cannot, the send fails (bounded retries, never a send still retrying behind a 503).
 */
export class KafkaSink implements EventSink {
  readonly backendName = 'kafka';
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private ready?: Promise<PartitionMetadata[]>;
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private readonly seen: RecentIds<string>;
  private queued: Array<{
    messages: Message[];
    bytes: number;
    resolve: (ids: string[]) => void;
    reject: (error: unknown) => void;
  }> = [];
  /** A flush is scheduled for the end of this event-loop turn. */
  private flushScheduled = false;
  /** The coalesced produce request on its way (at most one, see sendCoalesced). */
  private sending = false;

  constructor(private readonly options: KafkaSinkOptions) {
    this.kafka = new Kafka({
      clientId: options.clientId ?? 'auren-ingest',
      brokers: options.brokers,
      connectionTimeout: 1000,
      requestTimeout: 5000,
      // Bounded: a send to a dead broker must fail (503), not retry behind the caller's back.
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
      logLevel: logLevel.NOTHING,
    });
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 5,
      allowAutoTopicCreation: false,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    this.admin = this.kafka.admin();
    this.seen = new RecentIds(options.dedupeCapacity, options.dedupeWindowMs);
  }

  get topic(): string {
    return this.options.topic;
  }

  async append(
    events: ReadonlyArray<{ event: AgentEvent; dedupe: boolean }>,
  ): Promise<AppendOutcome[]> {
    const outcomes: Array<AppendOutcome | undefined> = events.map(({ event, dedupe }) => {
      const known = dedupe ? this.seen.get(event.event_id) : undefined;
      return known === undefined
        ? undefined
        : { event_id: event.event_id, stream_id: known, duplicate: true };
    });
    const fresh = events.filter((_, i) => outcomes[i] === undefined).map(({ event }) => event);
    if (fresh.length > 0) {
      const ids = await this.sendCoalesced(
        fresh.map((event) => ({
          key: event.source_agent.id,
          value: JSON.stringify(event),
          headers: { event_type: event.event_type },
        })),
      );
      let next = 0;
      outcomes.forEach((outcome, i) => {
        if (outcome) return;
        const event = events[i].event;
        const streamId = ids[next++];
        if (events[i].dedupe) this.seen.set(event.event_id, streamId);
        outcomes[i] = { event_id: event.event_id, stream_id: streamId, duplicate: false };
      });
    }
    return outcomes as AppendOutcome[];
  }

  /**
   * Marks events as not stored (hybrid `all`, the other backend failed): gateways drop them, and
   * their event_ids may be sent again.
   */
  async cancel(events: ReadonlyArray<AgentEvent>): Promise<void> {
    for (const event of events) this.seen.delete(event.event_id);
    await this.send(
      events.map((event) => ({
        key: event.source_agent.id,
        value: JSON.stringify({ [TOMBSTONE_FIELD]: event.event_id }),
        headers: { event_type: TOMBSTONE_FIELD },
      })),
    );
  }

  async ping(): Promise<void> {
    await this.connect();
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
  }

  /**
   * Group commit. Appends share produce requests: those of one event-loop turn, and all that
   * arrive while the previous request waits for the broker's acknowledgement go out together as
   * the next one (Kafka's own clients do this with `linger.ms` and their batches; kafkajs sends
   * each call on its own). One coalesced request is in flight at a time: an idempotent kafkajs
   * producer lets only one produce request per broker be in flight anyway (its per-broker lock),
   * and requests queued behind that lock would each carry only the few appends of their own turn
   * — at 500 single-event POSTs/s the path then fell behind the broker's round trip. Each caller
   * still gets its own positions once the broker acknowledged, and all callers of a failed
   * request get the failure. Requests stay under MAX_COALESCED_BYTES.
   */
  private sendCoalesced(messages: Message[]): Promise<string[]> {
    const bytes = messages.reduce((sum, m) => sum + m.value.length + m.key.length, 0);
    return new Promise((resolve, reject) => {
      this.queued.push({ messages, bytes, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.sending || this.queued.length === 0) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flushQueued();
    });
  }

  private flushQueued(): void {
    if (this.sending || this.queued.length === 0) return;
    let take = 0;
    let bytes = 0;
    while (take < this.queued.length) {
      const next = this.queued[take].bytes;
      if (take > 0 && bytes + next > MAX_COALESCED_BYTES) break;
      bytes += next;
      take += 1;
    }
    const batch = this.queued.splice(0, take);
    this.sending = true;
    this.send(batch.flatMap((b) => b.messages))
      .then(
        (ids) => {
          let at = 0;
          for (const waiting of batch) {
            waiting.resolve(ids.slice(at, at + waiting.messages.length));
            at += waiting.messages.length;
          }
        },
        (error: unknown) => batch.forEach((waiting) => waiting.reject(error)),
      )
      .finally(() => {
        this.sending = false;
        // What arrived meanwhile (and in the rest of this turn) is the next request.
        this.scheduleFlush();
      });
  }

  /** Sends in order; answers each message's `partition-offset`. */
  private async send(messages: Message[]): Promise<string[]> {
    let partitions: PartitionMetadata[];
    try {
      partitions = await this.connect();
      const routed = messages.map((message) => ({
        ...message,
        partition: this.partitioner({
          topic: this.options.topic,
          partitionMetadata: partitions,
          message,
        }),
      }));
      const replies = await this.producer.send({
        topic: this.options.topic,
        acks: -1,
        timeout: 5000,
        messages: routed,
      });
      // Per partition the broker answers the offset of the first message; the rest follow in order.
      const base = new Map(replies.map((r) => [r.partition, Number(r.baseOffset)]));
      const used = new Map<number, number>();
      return routed.map(({ partition }) => {
        const index = used.get(partition) ?? 0;
        used.set(partition, index + 1);
        return kafkaRecordId(partition, (base.get(partition) ?? 0) + index);
      });
    } catch (error) {
      throw new StreamUnavailableError(
        `Kafka did not confirm the write: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** Connects once (again after a failure) and makes sure the topic exists. */
  private connect(): Promise<PartitionMetadata[]> {
    this.ready ??= this.setUp().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  private async setUp(): Promise<PartitionMetadata[]> {
    await Promise.all([this.producer.connect(), this.admin.connect()]);
    const existing = await this.admin.listTopics();
    if (!existing.includes(this.options.topic)) {
      await this.admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic: this.options.topic,
            numPartitions: this.options.partitions,
            replicationFactor: this.options.replicationFactor ?? -1,
            configEntries: TOPIC_CONFIG,
          },
        ],
      });
    }
    const metadata = await this.admin.fetchTopicMetadata({ topics: [this.options.topic] });
    return metadata.topics[0].partitions;
  }
}
