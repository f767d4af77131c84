/**
 * The test harness's Kafka: the shared broker of the global setup answers kafkajs (admin,
 * idempotent producer, consumer group), and a broker of a test's own survives kill() and restart()
 * with its data.
 */
import { randomBytes } from 'node:crypto';
import { Consumer, Kafka, KafkaMessage, logLevel, Partitioners, Producer } from 'kafkajs';
import { KafkaBroker, testKafkaBrokers } from '../harness/kafka';
import { waitFor } from '../harness/wait';

interface Received {
  partition: number;
  message: KafkaMessage;
}

const random = () => randomBytes(4).toString('hex');

/** Reads `topic` from the beginning in a fresh consumer group until `count` messages are in. */
async function readAll(kafka: Kafka, topic: string, count: number): Promise<Received[]> {
  // disconnect() waits for the fetch in flight, which long-polls for up to maxWaitTimeInMs (5 s by default).
  const consumer: Consumer = kafka.consumer({
    groupId: `test-group-${random()}`,
    maxWaitTimeInMs: 250,
  });
  const received: Received[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        received.push({ partition, message });
        return Promise.resolve();
      },
    });
    await waitFor(() => received.length >= count, {
      timeoutMs: 30_000,
      what: `${count} messages from ${topic} (have ${received.length})`,
    });
  } finally {
    await consumer.disconnect();
  }
  return received;
}

describe('the shared Kafka broker', () => {
  const kafka = new Kafka({
    clientId: 'kafka-broker-test',
    brokers: testKafkaBrokers(),
    logLevel: logLevel.WARN,
  });
  const admin = kafka.admin();
  let producer: Producer;

  beforeAll(async () => {
    await admin.connect();
    producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await admin.disconnect();
  });

  it('takes keyed messages with headers from an idempotent producer and gives them back to a consumer group', async () => {
    const topic = `test-broker-${random()}`;
    expect(
      await admin.createTopics({
        topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
        waitForLeaders: true,
      }),
    ).toBe(true);
    const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    expect(metadata.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);

    const sent = Array.from({ length: 12 }, (_, i) => ({
      key: `agent-${i}`,
      value: JSON.stringify({ i }),
      partition: i % 3,
      headers: { seq: String(i), topic },
    }));
    const acks = await producer.send({ topic, acks: -1, messages: sent });
    expect(acks.every((ack) => ack.errorCode === 0)).toBe(true);

    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.map((o) => [o.partition, o.high]).sort()).toEqual([
      [0, '4'],
      [1, '4'],
      [2, '4'],
    ]);

    const received = await readAll(kafka, topic, sent.length);
    expect(received).toHaveLength(sent.length);
    const bySeq = new Map(received.map((r) => [String(r.message.headers?.seq), r]));
    for (const [i, message] of sent.entries()) {
      const got = bySeq.get(String(i));
      expect(got).toBeDefined();
      expect(got?.partition).toBe(message.partition);
      expect(got?.message.key?.toString()).toBe(message.key);
      expect(got?.message.value?.toString()).toBe(message.value);
      expect(String(got?.message.headers?.topic)).toBe(topic);
      // Per partition, in the order they were sent: i = partition + 3 * offset.
      expect(Number(got?.message.offset)).toBe(Math.floor(i / 3));
    }
  });

  it('refuses to create topics on the fly (auto.create.topics.enable=false)', async () => {
    const topic = `test-missing-${random()}`;
    const strict = new Kafka({
      clientId: 'kafka-broker-test',
      brokers: testKafkaBrokers(),
      logLevel: logLevel.NOTHING,
      retry: { retries: 1, initialRetryTime: 50 },
    });
    const lone = strict.producer({
      allowAutoTopicCreation: true,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await lone.connect();
    try {
      await expect(lone.send({ topic, messages: [{ value: 'x' }] })).rejects.toThrow(
        /does not host this topic-partition|UNKNOWN_TOPIC_OR_PARTITION|retries/i,
      );
    } finally {
      await lone.disconnect();
    }
    expect(await admin.listTopics()).not.toContain(topic);
  });
});

describe('a Kafka broker of its own, killed and restarted', () => {
  let broker: KafkaBroker;

  beforeAll(async () => {
    broker = await KafkaBroker.start();
  });

  afterAll(async () => {
    await broker?.dispose();
  });

  it('fails sends while killed and works again after restart(), with the data from before the kill', async () => {
    const topic = `test-restart-${random()}`;
    const kafka = new Kafka({
      clientId: 'kafka-broker-restart-test',
      brokers: broker.brokers,
      logLevel: logLevel.NOTHING, // connection errors are the point of this test
      connectionTimeout: 1000,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
    });
    const admin = kafka.admin();
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      await producer.connect();
      const before = ['b0', 'b1', 'b2'];
      await producer.send({ topic, acks: -1, messages: before.map((value) => ({ value })) });

      const pid = broker.pid;
      await broker.kill();
      expect(broker.running).toBe(false);
      await expect(
        producer.send({ topic, acks: -1, messages: [{ value: 'while-dead' }] }),
      ).rejects.toThrow();

      await broker.restart();
      expect(broker.running).toBe(true);
      expect(broker.pid).not.toBe(pid);
      await producer.send({ topic, acks: -1, messages: [{ value: 'after' }] });

      const [offsets] = await admin.fetchTopicOffsets(topic);
      expect(offsets.high).toBe('4');
      const received = await readAll(kafka, topic, 4);
      expect(received.map((r) => r.message.value?.toString())).toEqual([...before, 'after']);
    } finally {
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  });
});
