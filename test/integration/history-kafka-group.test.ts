import { Controller, Module } from '@nestjs/common';
import type { INestMicroservice } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { Kafka, logLevel } from 'kafkajs';
import type { AgentEvent, StreamedEvent } from '@auren/contracts';
import { KafkaGroupServer, STREAM_BATCH_PATTERN, StreamBatchContext } from '@auren/streaming';
import { testKafkaBrokers } from '../harness/kafka';
import { waitFor } from '../harness/wait';

const handler = {
  attempts: [] as Array<{ ids: string[]; attempt: number }>,
  done: [] as StreamedEvent[],
  failing: true,
};

@Controller()
class BatchConsumer {
  @EventPattern(STREAM_BATCH_PATTERN)
  onBatch(@Payload() events: StreamedEvent[], @Ctx() ctx: StreamBatchContext): Promise<void> {
    handler.attempts.push({ ids: events.map((e) => e.event_id), attempt: ctx.info.attempt });
    if (handler.failing) return Promise.reject(new Error('database down'));
    handler.done.push(...events);
    return Promise.resolve();
  }
}

@Module({ controllers: [BatchConsumer] })
class ConsumerModule {}

const event = (id: string): AgentEvent => ({
  event_id: id,
  event_type: 'llm_call',
  timestamp: new Date().toISOString(),
  received_at: new Date().toISOString(),
  source_agent: { id: 'kafka-group-test' },
  payload: {},
  metadata: {},
});

describe(KafkaGroupServer.name, () => {
  const brokers = testKafkaBrokers();
  const suffix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const topic = `history-group-${suffix}`;
  const group = `history-group-${suffix}`;
  const kafka = new Kafka({ clientId: 'history-group-test', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  const poison: string[] = [];
  let sut: KafkaGroupServer;
  let app: INestMicroservice;

  const committed = async (): Promise<number> => {
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return offsets.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  };

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await producer.connect();
    // Before any writer: the group starts at the topic's start.
    await producer.send({
      topic,
      messages: [
        { value: JSON.stringify(event('k-1')) },
        { value: '{not json' },
        { value: JSON.stringify(event('k-2')) },
      ],
    });
    sut = new KafkaGroupServer({
      brokers,
      topic,
      partitions: 1,
      group,
      batchSize: 100,
      maxBackoffMs: 200,
      onPoison: (_entry, reason) => poison.push(reason),
    });
    const moduleRef = await Test.createTestingModule({ imports: [ConsumerModule] }).compile();
    app = moduleRef.createNestMicroservice({ strategy: sut, logger: false });
    await app.listen();
  });

  afterAll(async () => {
    await app.close();
    await producer.disconnect();
    await admin.disconnect();
  });

  it('retries the same batch while the handler fails and commits nothing meanwhile', async () => {
    await waitFor(() => handler.attempts.length >= 3, {
      timeoutMs: 30_000,
      what: 'three attempts',
    });
    await producer.send({ topic, messages: [{ value: JSON.stringify(event('k-3')) }] });
    await waitFor(() => handler.attempts.length >= 5, { what: 'two more attempts' });
    for (const [i, attempt] of handler.attempts.entries())
      expect(attempt).toEqual({ ids: ['k-1', 'k-2'], attempt: i + 1 });
    expect(await committed()).toBe(0);
    expect(await sut.lag()).toBe(4);
    expect(poison).toEqual(['not JSON']);
  });

  it('commits once the handler resolved; the lag is the high watermark minus the committed offset', async () => {
    handler.failing = false;
    await waitFor(async () => (await sut.lag()) === 0, { timeoutMs: 20_000, what: 'lag 0' });
    expect(handler.done.map((e) => e.event_id)).toEqual(['k-1', 'k-2', 'k-3']);
    expect(handler.done.map((e) => e.stream_id)).toEqual(['0-0', '0-2', '0-3']);
    expect(await committed()).toBe(4);
    expect(sut.isConnected).toBe(true);
  });
});
