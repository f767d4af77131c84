import { ServerKafka } from '@nestjs/microservices';
import type { Consumer, EachBatchPayload, KafkaConfig, KafkaMessage } from 'kafkajs';
import type { StreamEntry } from '../stream.interfaces';
import {
  backoffMs,
  BatchReader,
  callBatchHandler,
  parseBatch,
  STREAM_BATCH_PATTERN,
  StreamBatchContext,
} from '../group/stream-batch';
import { kafkaRecordId } from './kafka-position';
import { TOPIC_CONFIG } from './kafka-constants';

type Admin = ReturnType<NonNullable<ServerKafka['client']>['admin']>;

export interface KafkaGroupOptions {
  brokers: string[];
  topic: string;
  /** Partitions of the topic if this reader has to create it. */
  partitions: number;
  /** The consumer group every writer shares (AUREN_HISTORY_GROUP). */
  group: string;
  /** Most records per handler call (AUREN_HISTORY_BATCH). */
  batchSize: number;
  maxBackoffMs?: number;
  onPoison?: (entry: StreamEntry, reason: string) => void;
  client?: Partial<KafkaConfig>;
}

/**
 * The history writers' Kafka reader: NestJS's Kafka transport (`ServerKafka`) with ONE consumer
 * group shared by every writer (Kafka splits the partitions between them), reading the topic
 * from its start on first use. Each fetched batch goes to the `@EventPattern(STREAM_BATCH_PATTERN)`
 * handler in slices of `batchSize`; a slice's offsets are committed only after the handler
 * resolved. While the handler fails, the same slice is retried with capped backoff (heartbeats
 * keep the partition assigned) and nothing further of the partition is fetched; after a
 * rebalance, the partition's new owner starts again from the last committed offset.
 */
export class KafkaGroupServer extends ServerKafka implements BatchReader {
  readonly source = 'kafka';
  private running = false;
  private loop?: Promise<void>;
  private kafkaConsumer: Consumer | null = null;
  private admin: Admin | null = null;
  private adminConnected?: Promise<void>;
  private connected = false;
  private topicReady = false;

  constructor(private readonly settings: KafkaGroupOptions) {
    super({
      postfixId: '',
      client: {
        clientId: 'auren-history',
        brokers: settings.brokers,
        connectionTimeout: 1000,
        retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2000 },
        ...settings.client,
      },
      consumer: {
        groupId: settings.group,
        maxWaitTimeInMs: 200,
        sessionTimeout: 10_000,
        heartbeatInterval: 1000,
        allowAutoTopicCreation: false,
        // Bounded memory: at most this much fetched and not yet written.
        maxBytes: 8 * 1024 * 1024,
        maxBytesPerPartition: 1024 * 1024,
      },
    });
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Starts in the background and returns at once: the app starts (not ready) while Kafka is away. */
  override listen(callback: () => void): Promise<void> {
    this.running = true;
    this.loop = this.keepRunning();
    callback();
    return Promise.resolve();
  }

  override async close(): Promise<void> {
    this.running = false;
    await this.kafkaConsumer?.disconnect().catch(() => undefined);
    await this.loop;
    this.kafkaConsumer = null;
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = null;
  }

  /** The group's lag: per partition, the high watermark minus the committed offset (or the low one). */
  async lag(): Promise<number | null> {
    const admin = await this.connectedAdmin();
    const [committed, ends] = await Promise.all([
      admin.fetchOffsets({ groupId: this.settings.group, topics: [this.settings.topic] }),
      admin.fetchTopicOffsets(this.settings.topic),
    ]);
    const done = new Map<number, number>();
    for (const { partition, offset } of committed[0]?.partitions ?? [])
      done.set(partition, Number(offset));
    let lag = 0;
    for (const { partition, high, low } of ends) {
      const from = Math.max(done.get(partition) ?? -1, Number(low));
      lag += Math.max(0, Number(high) - from);
    }
    return lag;
  }

  private connectedAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafkaClient().admin();
      this.admin = admin;
      this.adminConnected = admin.connect().catch((error: Error) => {
        this.admin = null;
        throw error;
      });
    }
    const admin: Admin = this.admin;
    return (this.adminConnected as Promise<void>).then(() => admin);
  }

  private async keepRunning(): Promise<void> {
    for (let failures = 0; this.running;) {
      try {
        await this.startConsumer();
        return;
      } catch (error) {
        failures += 1;
        if (failures === 1)
          this.logger.warn(
            `Kafka history reader not started (${(error as Error).message}); retrying`,
          );
        await this.kafkaConsumer?.disconnect().catch(() => undefined);
        this.kafkaConsumer = null;
        await new Promise((resolve) => setTimeout(resolve, backoffMs(failures + 1, 5000)));
      }
    }
  }

  private async startConsumer(): Promise<void> {
    if (!this.topicReady) await this.ensureTopic();
    const consumer = this.kafkaClient().consumer({
      ...this.options.consumer,
      groupId: this.groupId,
    });
    this.kafkaConsumer = consumer;
    consumer.on(consumer.events.CONNECT, () => this.setConnected(true));
    consumer.on(consumer.events.DISCONNECT, () => this.setConnected(false));
    consumer.on(consumer.events.GROUP_JOIN, () => this.setConnected(true));
    consumer.on(consumer.events.CRASH, (event) => {
      this.setConnected(false);
      this.logger.warn(`Kafka history reader crashed: ${event.payload.error.message}`);
      if (!event.payload.restart && this.running) {
        void consumer.disconnect().finally(() => {
          if (this.running) this.loop = this.keepRunning();
        });
      }
    });
    await consumer.connect();
    // The group's first member starts at the topic's start: history gets what Kafka still holds.
    await consumer.subscribe({ topics: [this.settings.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.onBatch(consumer, payload),
    });
  }

  /** Creates the topic with ingest's settings when it does not exist yet (writers may start first). */
  private async ensureTopic(): Promise<void> {
    const admin = this.kafkaClient().admin();
    await admin.connect();
    try {
      if (!(await admin.listTopics()).includes(this.settings.topic)) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: [
            {
              topic: this.settings.topic,
              numPartitions: this.settings.partitions,
              replicationFactor: -1,
              configEntries: TOPIC_CONFIG,
            },
          ],
        });
      }
      this.topicReady = true;
    } finally {
      await admin.disconnect();
    }
  }

  private async onBatch(consumer: Consumer, payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { batchSize } = this.settings;
    for (let start = 0; start < batch.messages.length; start += batchSize) {
      const slice = batch.messages.slice(start, start + batchSize);
      const written = await this.writeSlice(batch.partition, slice, payload);
      if (!written || !payload.isRunning() || payload.isStale()) return;
      const last = slice[slice.length - 1].offset;
      payload.resolveOffset(last);
      await consumer.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: String(Number(last) + 1) },
      ]);
      await payload.heartbeat();
    }
  }

  /** True once the handler stored the slice; false when the reader stops or loses the partition first. */
  private async writeSlice(
    partition: number,
    messages: KafkaMessage[],
    payload: EachBatchPayload,
  ): Promise<boolean> {
    const entries: StreamEntry[] = messages.map((message) => {
      const id = kafkaRecordId(partition, message.offset);
      return { id, streamId: id, json: message.value?.toString('utf8') ?? '' };
    });
    const { events, poison } = parseBatch(entries);
    for (const { entry, reason } of poison) {
      this.logger.warn(`Skipped Kafka record ${entry.id}: ${reason}`);
      this.settings.onPoison?.(entry, reason);
    }
    for (let attempt = 1; events.length > 0; attempt += 1) {
      if (!this.running || !payload.isRunning() || payload.isStale()) return false;
      try {
        const handler = this.getHandlerByPattern(STREAM_BATCH_PATTERN);
        if (!handler)
          throw new Error(`no @EventPattern('${STREAM_BATCH_PATTERN}') handler is registered`);
        await callBatchHandler(
          handler as (data: unknown, ctx: StreamBatchContext) => unknown,
          events,
          { source: this.source, attempt },
        );
        return true;
      } catch (error) {
        if (attempt === 1)
          this.logger.warn(
            `Batch of ${events.length} event(s) from partition ${partition} not written (${(error as Error).message}); retrying it`,
          );
        await new Promise((resolve) =>
          setTimeout(resolve, backoffMs(attempt, this.settings.maxBackoffMs ?? 5000)),
        );
        // Keeps the partition assigned while retrying; a rebalance ends the attempt (not committed).
        try {
          await payload.heartbeat();
        } catch {
          return false;
        }
      }
    }
    return true;
  }

  private kafkaClient(): NonNullable<ServerKafka['client']> {
    this.client ??= this.createClient();
    return this.client as NonNullable<ServerKafka['client']>;
  }

  private setConnected(connected: boolean): void {
    this.connected = connected;
    this._status$.next(connected ? ('connected' as never) : ('disconnected' as never));
  }
}
