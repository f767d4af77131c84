import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { ServerKafka } from '@nestjs/microservices';
import type { Consumer, EachMessagePayload, KafkaConfig } from 'kafkajs';
import { isObservable } from 'rxjs';
import { isStoredEvent, type StreamedEvent } from '@auren/contracts';
import { STREAM_EVENT_PATTERN, StreamContext } from '../stream-transport.strategy';
import type { StreamEntry } from '../stream.interfaces';
import { KafkaHistory } from './kafka-history';
import { formatKafkaToken, kafkaRecordId, nextOffset, OffsetVector } from './kafka-position';
import { TOMBSTONE_FIELD, TOPIC_CONFIG } from './kafka-constants';

export interface KafkaStreamOptions {
  brokers: string[];
  topic: string;
  /** Partitions of the topic if this pod has to create it. */
  partitions: number;
  /** This pod's consumer group is `<prefix>-<host>-<pid>-<random>`: its own, so it sees everything. */
  groupPrefix?: string;
  /** Records to read back into history when the pod starts (0: start at the live end, no history). */
  warmUpRecords: number;
  onPoison?: (entry: StreamEntry, reason: string) => void;
  /** A hybrid `all` write was taken back (see HybridSink). */
  onTombstone?: (eventId: string) => void;
  /** Awaited once history is loaded, before the first live record is dispatched. */
  beforeStart?: (position: string) => Promise<void>;
  client?: Partial<KafkaConfig>;
}

interface Pending {
  partition: number;
  offset: number;
  json: string;
}

/**
 * The gateway's Kafka reader: NestJS's Kafka transport (`ServerKafka`, Transport.KAFKA) with the
 * parts AUREN needs changed. Each pod has its own consumer group (CONTRACT §5: a shared group
 * would split the events between pods), reads every partition from the offsets it chooses (the
 * live end, after loading recent history), dispatches every record to the
 * `@EventPattern(STREAM_EVENT_PATTERN)` handler in order, and never lets one record stop a
 * partition: a record that is not an event is logged, counted and passed.
 */
export class KafkaStreamServer extends ServerKafka {
  private running = false;
  private live = false;
  private loop?: Promise<void>;
  private kafkaConsumer: Consumer | null = null;
  /** Per partition: the next offset this pod accepts (history, or held until warm-up ends). */
  private fetched: OffsetVector = [];
  private liveFrom: OffsetVector = [];
  private held: Pending[] = [];
  private started = false;
  private goingLive = false;
  private connected = false;
  private handlerRef: ((data: unknown, ctx: StreamContext) => unknown) | null = null;

  constructor(
    private readonly history: KafkaHistory,
    private readonly settings: KafkaStreamOptions,
  ) {
    super({
      postfixId: '',
      client: {
        clientId: 'auren-gateway',
        brokers: settings.brokers,
        connectionTimeout: 1000,
        retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2000 },
        ...settings.client,
      },
      consumer: {
        groupId: `${settings.groupPrefix ?? 'auren-gateway'}-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`,
        maxWaitTimeInMs: 100,
        sessionTimeout: 10_000,
        heartbeatInterval: 1000,
        allowAutoTopicCreation: false,
      },
    });
  }

  /** True while the consumer is connected and delivering live (history loaded, position known). */
  get isConnected(): boolean {
    return this.connected && this.live;
  }

  /** Starts in the background and returns at once, like the Redis reader: a pod starts (not ready) while Kafka is away. */
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
  }

  private async keepRunning(): Promise<void> {
    for (let failures = 0; this.running;) {
      try {
        await this.startConsumer();
        return;
      } catch (error) {
        failures += 1;
        if (failures === 1)
          this.logger.warn(`Kafka reader not started (${(error as Error).message}); retrying`);
        await this.kafkaConsumer?.disconnect().catch(() => undefined);
        this.kafkaConsumer = null;
        await new Promise((resolve) => setTimeout(resolve, Math.min(200 * 2 ** failures, 5000)));
      }
    }
  }

  private async startConsumer(): Promise<void> {
    const client = this.kafkaClient();
    const { topic } = this.settings;
    if (!this.started) await this.planStart();
    const consumer = client.consumer({ ...this.options.consumer, groupId: this.groupId });
    this.kafkaConsumer = consumer;
    consumer.on(consumer.events.CONNECT, () => this.setConnected(true));
    consumer.on(consumer.events.DISCONNECT, () => this.setConnected(false));
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.setConnected(true);
      // Whatever kafkajs would resume from, this pod continues exactly where it is.
      this.fetched.forEach((offset, partition) =>
        consumer.seek({ topic, partition, offset: String(offset) }),
      );
    });
    consumer.on(consumer.events.CRASH, (event) => {
      this.setConnected(false);
      this.logger.warn(`Kafka reader crashed: ${event.payload.error.message}`);
      if (!event.payload.restart && this.running) {
        void consumer.disconnect().finally(() => {
          if (this.running) this.loop = this.keepRunning();
        });
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachMessage: (payload) => Promise.resolve(this.onRecord(payload)),
    });
    this.fetched.forEach((offset, partition) =>
      consumer.seek({ topic, partition, offset: String(offset) }),
    );
    if (!this.live && this.warmUpDone()) void this.goLive();
  }

  /** Where this pod starts: the live end, minus the records it loads into history first. */
  private async planStart(): Promise<void> {
    const admin = this.kafkaClient().admin();
    await admin.connect();
    try {
      if (!(await admin.listTopics()).includes(this.settings.topic)) {
        // Created here too, with the same settings as ingest, so that gateways can start first.
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
      const offsets = await admin.fetchTopicOffsets(this.settings.topic);
      const partitions = offsets.length;
      const perPartition = Math.ceil(this.settings.warmUpRecords / Math.max(1, partitions));
      this.liveFrom = new Array<number>(partitions).fill(0);
      const start = new Array<number>(partitions).fill(0);
      for (const { partition, high, low } of offsets) {
        this.liveFrom[partition] = Number(high);
        start[partition] = Math.max(Number(low), Number(high) - perPartition);
      }
      this.history.reset(start);
      this.fetched = [...start];
      this.started = true;
    } finally {
      await admin.disconnect();
    }
  }

  private onRecord({ partition, message }: EachMessagePayload): void {
    const offset = Number(message.offset);
    if (offset < nextOffset(this.fetched, partition)) return; // already had it (a re-fetch after a rejoin)
    this.fetched[partition] = offset + 1;
    const json = message.value?.toString('utf8') ?? '';
    if (this.live) return this.dispatch(partition, offset, json);
    if (offset < nextOffset(this.liveFrom, partition)) {
      this.history.append(partition, offset, json);
      if (this.warmUpDone()) void this.goLive();
    } else {
      this.held.push({ partition, offset, json });
    }
  }

  private warmUpDone(): boolean {
    return this.liveFrom.every((high, p) => nextOffset(this.history.position, p) >= high);
  }

  private async goLive(): Promise<void> {
    if (this.goingLive) return;
    this.goingLive = true;
    const position = formatKafkaToken(this.history.position);
    for (;;) {
      try {
        await this.settings.beforeStart?.(position);
        break;
      } catch (error) {
        this.logger.warn(`Start-up step failed (${(error as Error).message}); retrying`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    this.live = true;
    const held = this.held;
    this.held = [];
    for (const record of held) this.dispatch(record.partition, record.offset, record.json);
    this.logger.log(
      `Reading Kafka topic ${this.settings.topic} live from ${position} (${this.history.size} records of history)`,
    );
  }

  private dispatch(partition: number, offset: number, json: string): void {
    const position = this.history.append(partition, offset, json);
    const streamId = kafkaRecordId(partition, offset);
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      return this.poison({ id: position, json, streamId }, 'not JSON');
    }
    const tombstone = (value as Record<string, unknown> | null)?.[TOMBSTONE_FIELD];
    if (typeof tombstone === 'string') return this.settings.onTombstone?.(tombstone);
    if (!isStoredEvent(value))
      return this.poison({ id: position, json, streamId }, 'not an AUREN event');
    const event = value as StreamedEvent;
    event.stream_id = streamId;
    event.resume_token = position;
    try {
      this.handlerRef ??= this.getHandlerByPattern(STREAM_EVENT_PATTERN) as typeof this.handlerRef;
      if (!this.handlerRef)
        throw new Error(`no @EventPattern('${STREAM_EVENT_PATTERN}') handler is registered`);
      const result = this.handlerRef(event, new StreamContext([position]));
      if (isObservable(result))
        result.subscribe({ error: (e: Error) => this.logger.error(e.message) });
    } catch (error) {
      this.logger.error(`Handler failed for ${streamId}: ${(error as Error).message}`);
    }
  }

  private poison(entry: StreamEntry, reason: string): void {
    this.logger.warn(`Skipped Kafka record ${entry.streamId ?? entry.id}: ${reason}`);
    this.settings.onPoison?.(entry, reason);
  }

  private kafkaClient(): NonNullable<ServerKafka['client']> {
    this.client ??= this.createClient();
    return this.client as NonNullable<ServerKafka['client']>;
  }

  private setConnected(connected: boolean): void {
    this.connected = connected;
    this.history.setReachable(connected);
    this._status$.next(connected ? ('connected' as never) : ('disconnected' as never));
  }
}
