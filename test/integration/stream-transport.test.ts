import { Controller, Module } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import type { INestMicroservice } from '@nestjs/common';
import type { AgentEvent, StreamedEvent } from '@auren/contracts';
import {
  EventLog,
  RedisStream,
  STREAM_EVENT_PATTERN,
  StreamReset,
  StreamTransportStrategy,
  streamKeys,
} from '@auren/streaming';
import Redis from 'ioredis';
import { RedisServer } from '../harness/redis';
import { waitFor } from '../harness/wait';

const received: StreamedEvent[] = [];

@Controller()
class Consumer {
  @EventPattern(STREAM_EVENT_PATTERN)
  handle(@Payload() event: StreamedEvent): void {
    received.push(event);
  }
}

@Module({ controllers: [Consumer] })
class ConsumerModule {}

const event = (id: string): AgentEvent => ({
  event_id: id,
  event_type: 'agent_decision',
  timestamp: new Date().toISOString(),
  received_at: new Date().toISOString(),
  source_agent: { id: 'transport-test' },
  payload: {},
  metadata: {},
});

/** Counts attempts to reach the stream (reads and identity looks), so that a retry loop can be told from a hot loop. */
function counting(log: RedisStream): { log: EventLog; reads: () => number } {
  let reads = 0;
  const proxy: EventLog = Object.create(log) as EventLog;
  proxy.readAfter = (...args) => {
    reads += 1;
    return log.readAfter(...args);
  };
  proxy.identity = () => {
    reads += 1;
    return log.identity();
  };
  return { log: proxy, reads: () => reads };
}

describe(StreamTransportStrategy.name, () => {
  let server: RedisServer;
  let stream: RedisStream;
  let writer: RedisStream;
  let app: INestMicroservice;
  let sut: StreamTransportStrategy;
  let reads: () => number;
  const resets: StreamReset[] = [];

  beforeAll(async () => {
    server = await RedisServer.start();
    const options = {
      url: server.url,
      key: 'transport:events',
      maxLen: 10_000,
      dedupeWindowSeconds: 60,
    };
    stream = new RedisStream(options);
    writer = new RedisStream(options);
    await writer.waitUntilReady(5000);
    await writer.append([{ event: event('before-start'), dedupe: true }]);
    const counted = counting(stream);
    reads = counted.reads;
    sut = new StreamTransportStrategy(counted.log, {
      blockMs: 200,
      maxBackoffMs: 400,
      onReset: (reset) => void resets.push(reset),
    });
    const moduleRef = await Test.createTestingModule({ imports: [ConsumerModule] }).compile();
    app = moduleRef.createNestMicroservice({ strategy: sut, logger: false });
    await app.listen();
    await waitFor(() => sut.isConnected, { what: 'the transport to start' });
  });

  afterAll(async () => {
    await app.close();
    stream.close();
    writer.close();
    await server.dispose();
  });

  it('starts at the live end and hands each new event to the @EventPattern handler, in order, with its stream_id', async () => {
    const outcomes = await writer.append(
      ['t-1', 't-2', 't-3'].map((id) => ({ event: event(id), dedupe: true })),
    );
    await waitFor(() => received.length >= 3, { what: '3 events' });
    expect(received.map((e) => e.event_id)).toEqual(['t-1', 't-2', 't-3']);
    expect(received.map((e) => e.stream_id)).toEqual(outcomes.map((o) => o.stream_id));
    expect(sut.lastPosition).toBe(outcomes[2].stream_id);
  });

  it('survives a Redis crash: backs off instead of spinning, then reports the lost stream and reads the new one from its start', async () => {
    const positionBefore = sut.lastPosition;
    await server.stop('SIGKILL');
    await waitFor(() => !sut.isConnected, { what: 'the transport to notice' });
    const readsAtCrash = reads();
    const started = Date.now();
    await waitFor(() => reads() - readsAtCrash >= 4, { timeoutMs: 15_000, what: 'four retries' });
    // Backoff 100, 200, 400, 400 ms: four retries take at least 0.7 s; a hot loop would take microseconds.
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);

    // The server comes back empty (no persistence): the stream the transport read is gone.
    await server.launch();
    await waitFor(() => sut.isConnected, { timeoutMs: 15_000, what: 'reconnection' });
    await waitFor(() => resets.length >= 1, { timeoutMs: 15_000, what: 'the reset' });
    expect(resets).toEqual([{ reason: 'stream_lost', previous: positionBefore, position: '0-0' }]);
    received.length = 0;
    const [outcome] = await writer.append([{ event: event('after-restart'), dedupe: true }]);
    await waitFor(() => received.length >= 1, {
      timeoutMs: 15_000,
      what: 'an event after the restart',
    });
    expect(received.map((e) => e.event_id)).toEqual(['after-restart']);
    await waitFor(() => sut.lastPosition === outcome.stream_id, { what: 'the new position' });
  });

  it('a stream deleted and written again between two looks is reported as recreated, and read from its start', async () => {
    const admin = new Redis(server.url);
    try {
      // In one transaction, as the sink would write a new stream: the transport sees it before or after.
      const id = `${Date.now() + 1000}-0`;
      await admin
        .multi()
        .del('transport:events')
        .xadd('transport:events', id, 'event', JSON.stringify(event('recreated')))
        .set(streamKeys('transport:events').generation, id)
        .exec();
      await waitFor(() => resets.length >= 2, { timeoutMs: 15_000, what: 'the second reset' });
      expect(resets[1]).toMatchObject({ reason: 'stream_recreated', position: '0-0' });
      await waitFor(() => received.some((e) => e.event_id === 'recreated'), {
        what: 'the event of the new stream',
      });
      expect(sut.lastPosition).toBe(id);
    } finally {
      admin.disconnect();
    }
  });
});
