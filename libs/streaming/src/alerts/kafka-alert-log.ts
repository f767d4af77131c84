import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Admin, Consumer, Kafka, logLevel, Producer } from 'kafkajs';
import type { AlertTransition } from '@auren/contracts';
import {
  alertRecordJson,
  type AlertLog,
  type AlertLogPublisher,
  type AlertLogReader,
  type AlertLogRecord,
  type AlertPublishOutcome,
} from './alert-log';

export interface KafkaAlertLogOptions {
  brokers: string[];
  /** The topic (see alertLogNames): `auren.alerts` by default. */
  topic: string;
}

/**
 * Every record has this key, so that the whole log is one partition: readers get transitions in
 * alert_id order, which their dedupe (drop what is not above the last delivered) relies on.
 */
const RECORD_KEY = 'alerts';

function kafkaClient(options: KafkaAlertLogOptions, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: options.brokers,
    connectionTimeout: 1000,
    requestTimeout: 5000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: logLevel.NOTHING,
  });
}

/** Creates the topic (one partition) unless it exists; a concurrent creation is fine. */
async function ensureTopic(admin: Admin, topic: string): Promise<void> {
  if ((await admin.listTopics()).includes(topic)) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: 1, replicationFactor: -1 }],
  });
}

/**
 * The Kafka alerts log: topic `auren.alerts`, one partition, value the transition's JSON, header
 * `alert_id`; idempotent producer, acks from all in-sync replicas. Kafka cannot refuse a second
 * copy of an alert_id: a re-publish is a second record, which every reader drops.
 */
export class KafkaAlertLog implements AlertLog, AlertLogPublisher {
  readonly backendName = 'kafka';
  private readonly kafka: Kafka;
  private producer?: Producer;
  private ready?: Promise<void>;

  constructor(private readonly options: KafkaAlertLogOptions) {
    this.kafka = kafkaClient(options, 'auren-alerts');
  }

  get publisher(): AlertLogPublisher {
    return this;
  }

  get topic(): string {
    return this.options.topic;
  }

  async publish(transition: AlertTransition): Promise<AlertPublishOutcome> {
    const json = alertRecordJson(transition);
    await this.connect();
    await (this.producer as Producer).send({
      topic: this.options.topic,
      acks: -1,
      timeout: 5000,
      messages: [{ key: RECORD_KEY, value: json, headers: { alert_id: transition.alert_id } }],
    });
    return 'published';
  }

  createReaders(): AlertLogReader[] {
    return [new KafkaAlertReader(this.options)];
  }

  async close(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
  }

  /** Connects once (again after a failure) and makes sure the topic exists. */
  private connect(): Promise<void> {
    this.ready ??= (async () => {
      this.producer ??= this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
      });
      const admin = this.kafka.admin();
      await Promise.all([this.producer.connect(), admin.connect()]);
      try {
        await ensureTopic(admin, this.options.topic);
      } finally {
        await admin.disconnect();
      }
    })().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }
}

/**
 * Reads the alerts topic for one gateway pod: a consumer group of its own (a group shared by pods
 * would split the records between them, CONTRACT §5), offsets chosen by the pod (the end of each
 * partition at start, then wherever it got to: it seeks there on every group join), nothing
 * committed.
 */
export class KafkaAlertReader implements AlertLogReader {
  readonly backendName = 'kafka';
  private readonly kafka: Kafka;
  private consumer?: Consumer;
  /** Per partition: the next offset to hand over. */
  private next: number[] = [];
  private buffered: AlertLogRecord[] = [];
  private failure?: Error;
  private wake?: () => void;
  private closed = false;
  private readonly groupId = `auren-gateway-alerts-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;

  constructor(private readonly options: KafkaAlertLogOptions) {
    this.kafka = kafkaClient(options, 'auren-gateway-alerts');
  }

  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await ensureTopic(admin, this.options.topic);
      const offsets = await admin.fetchTopicOffsets(this.options.topic);
      this.next = [];
      for (const { partition, high } of offsets) this.next[partition] = Number(high);
    } finally {
      await admin.disconnect();
    }
    await this.openConsumer();
  }

  async read(blockMs: number): Promise<AlertLogRecord[]> {
    if (!this.consumer && !this.closed) await this.openConsumer();
    if (this.buffered.length === 0 && !this.failure && !this.closed) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, blockMs);
        this.wake = done;
      });
    }
    const failure = this.failure;
    this.failure = undefined;
    if (failure && this.buffered.length === 0) throw failure;
    return this.buffered.splice(0);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = undefined;
  }

  private async openConsumer(): Promise<void> {
    const { topic } = this.options;
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      maxWaitTimeInMs: 100,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      allowAutoTopicCreation: false,
    });
    const seekAll = () =>
      this.next.forEach((offset, partition) =>
        consumer.seek({ topic, partition, offset: String(offset) }),
      );
    consumer.on(consumer.events.GROUP_JOIN, seekAll);
    consumer.on(consumer.events.CRASH, (event) => {
      this.failure = event.payload.error;
      if (!event.payload.restart && this.consumer === consumer) {
        // kafkajs gave up on this consumer: the next read opens a new one where this one was.
        this.consumer = undefined;
        void consumer.disconnect().catch(() => undefined);
      }
      this.wake?.();
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: false });
      await consumer.run({
        autoCommit: false,
        eachMessage: ({ partition, message }) => {
          const offset = Number(message.offset);
          // A record handed over before (re-fetched after a rejoin) is not handed over again.
          if (offset >= (this.next[partition] ?? 0)) {
            this.next[partition] = offset + 1;
            this.buffered.push({
              position: `${partition}-${offset}`,
              json: message.value?.toString('utf8') ?? '',
            });
            this.wake?.();
          }
          return Promise.resolve();
        },
      });
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      // Closed while this consumer was being set up: it must not outlive the reader.
      await consumer.disconnect().catch(() => undefined);
      return;
    }
    seekAll();
    this.consumer = consumer;
  }
}
