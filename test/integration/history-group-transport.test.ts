import { Controller, Module } from '@nestjs/common';
import type { INestMicroservice } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import Redis from 'ioredis';
import type { AgentEvent, StreamedEvent } from '@auren/contracts';
import {
  RedisGroupSource,
  RedisGroupSourceOptions,
  RedisStream,
  STREAM_BATCH_PATTERN,
  StreamBatchContext,
  StreamGroupTransport,
  streamKeys,
} from '@auren/streaming';
import { RedisServer } from '../harness/redis';
import { waitFor } from '../harness/wait';

/** What the batch handler does: record, fail (the database down) or hold (a slow commit). */
const handler = {
  batches: [] as Array<{ ids: string[]; attempt: number }>,
  /** Ids of the batches the handler resolved (committed). */
  done: [] as string[],
  failing: false,
  hold: null as Promise<void> | null,
};

@Controller()
class BatchConsumer {
  @EventPattern(STREAM_BATCH_PATTERN)
  async onBatch(@Payload() events: StreamedEvent[], @Ctx() ctx: StreamBatchContext) {
    handler.batches.push({ ids: events.map((e) => e.event_id), attempt: ctx.info.attempt });
    if (handler.hold) await handler.hold;
    if (handler.failing) throw new Error('database down');
    handler.done.push(...events.map((e) => e.event_id));
  }
}

@Module({ controllers: [BatchConsumer] })
class ConsumerModule {}

const event = (id: string): AgentEvent => ({
  event_id: id,
  event_type: 'agent_decision',
  timestamp: new Date().toISOString(),
  received_at: new Date().toISOString(),
  source_agent: { id: 'group-test' },
  payload: {},
  metadata: {},
});

const written = () => handler.done;

describe(StreamGroupTransport.name, () => {
  const url = process.env.AUREN_TEST_REDIS_URL as string;
  let admin: Redis;
  let key: string;
  let stream: RedisStream;
  const running: Array<{ app: INestMicroservice; source: RedisGroupSource }> = [];
  const poison: string[] = [];

  async function start(options: Partial<RedisGroupSourceOptions> = {}) {
    const source = new RedisGroupSource({
      url: options.url ?? url,
      key,
      group: 'writers',
      claimIdleMs: 60_000,
      ...options,
    });
    const sut = new StreamGroupTransport(source, {
      batchSize: 50,
      blockMs: 200,
      maxBackoffMs: 200,
      onPoison: (_entry, reason) => poison.push(reason),
    });
    const moduleRef = await Test.createTestingModule({ imports: [ConsumerModule] }).compile();
    const app = moduleRef.createNestMicroservice({ strategy: sut, logger: false });
    await app.listen();
    running.push({ app, source });
    return { app, sut, source };
  }

  const append = async (ids: string[]) => {
    await stream.waitUntilReady(5000);
    return stream.append(ids.map((id) => ({ event: event(id), dedupe: true })));
  };
  const pending = async (): Promise<number> =>
    Number(((await admin.xpending(key, 'writers')) as [number])[0]);
  const consumers = async (): Promise<string[]> =>
    ((await admin.xinfo('CONSUMERS', key, 'writers')) as unknown[][]).map((c) =>
      String(c[c.indexOf('name') + 1]),
    );

  beforeAll(() => {
    admin = new Redis(url);
  });

  beforeEach(() => {
    key = `test:group:${Math.random().toString(36).slice(2)}`;
    stream = new RedisStream({ url, key, maxLen: 10_000, dedupeWindowSeconds: 60 });
    handler.batches = [];
    handler.done = [];
    handler.failing = false;
    handler.hold = null;
    poison.length = 0;
  });

  afterEach(async () => {
    handler.hold = null;
    handler.failing = false;
    for (const { app } of running.splice(0)) await app.close().catch(() => undefined);
    stream.close();
    await admin.del(key, streamKeys(key).generation);
  });

  afterAll(() => admin.disconnect());

  it('reads what the stream held before the group existed, and acknowledges a batch only after the handler resolved', async () => {
    await append(['a-1', 'a-2']);
    let release!: () => void;
    handler.hold = new Promise((resolve) => (release = resolve));
    const { sut } = await start();
    await waitFor(() => handler.batches.length === 1, { what: 'the first batch' });
    expect(handler.batches[0].ids).toEqual(['a-1', 'a-2']);
    // In the handler (committing): delivered, not acknowledged.
    expect(await pending()).toBe(2);
    expect(await sut.lag()).toBe(2);
    release();
    await waitFor(async () => (await pending()) === 0, { what: 'the acknowledgement' });
    expect(await sut.lag()).toBe(0);
    await append(['a-3']);
    await waitFor(() => handler.batches.length === 2, { what: 'a new event' });
    expect(written()).toEqual(['a-1', 'a-2', 'a-3']);
  });

  it('counts the lag itself when Redis cannot (an entry deleted after the last delivered one)', async () => {
    const outcomes = await append(Array.from({ length: 60 }, (_, i) => `l-${i}`));
    let release!: () => void;
    handler.hold = new Promise((resolve) => (release = resolve));
    const { sut } = await start();
    // 50 delivered and held in the handler, 10 not delivered yet; one of those is deleted.
    await waitFor(() => handler.batches.length === 1, { what: 'the first batch' });
    await admin.xdel(key, outcomes[55].stream_id);
    const groups = (await admin.xinfo('GROUPS', key)) as unknown[][];
    expect(groups[0][groups[0].indexOf('lag') + 1]).toBeNull();
    expect(await sut.lag()).toBe(59);
    release();
    await waitFor(async () => (await sut.lag()) === 0, { what: 'lag 0' });
    expect(written()).toHaveLength(59);
  });

  it('retries the same batch while the handler fails, reading nothing new meanwhile; nothing is lost', async () => {
    await append(['b-1', 'b-2']);
    handler.failing = true;
    const { sut } = await start();
    await waitFor(() => handler.batches.length >= 3, { what: 'three attempts' });
    await append(['b-3', 'b-4']);
    await waitFor(() => handler.batches.length >= 5, { what: 'two more attempts' });
    // Every attempt is the first batch again, numbered.
    for (const [i, batch] of handler.batches.entries()) {
      expect(batch.ids).toEqual(['b-1', 'b-2']);
      expect(batch.attempt).toBe(i + 1);
    }
    expect(await sut.lag()).toBe(4);
    handler.failing = false;
    await waitFor(async () => (await sut.lag()) === 0, { what: 'catching up' });
    const ids = handler.batches.flatMap((b) => b.ids);
    expect(ids.slice(-2)).toEqual(['b-3', 'b-4']);
    expect(new Set(ids)).toEqual(new Set(['b-1', 'b-2', 'b-3', 'b-4']));
  });

  it('re-reads its own pending entries first (a reply lost with the connection)', async () => {
    await append(['c-1', 'c-2', 'c-3']);
    await admin.xgroup('CREATE', key, 'writers', '0');
    // Delivered to this consumer name, never seen by it.
    await admin.xreadgroup('GROUP', 'writers', 'me', 'COUNT', 2, 'STREAMS', key, '>');
    await start({ consumer: 'me' });
    await waitFor(async () => (await pending()) === 0 && handler.batches.length >= 2, {
      what: 'pending then new',
    });
    expect(handler.batches.map((b) => b.ids)).toEqual([['c-1', 'c-2'], ['c-3']]);
  });

  it("claims a dead writer's pending entries once they are idle, writes them once, and removes the idle consumer", async () => {
    await append(['d-1', 'd-2', 'd-3']);
    await admin.xgroup('CREATE', key, 'writers', '0');
    // A writer that read two entries and died before writing them.
    await admin.xreadgroup('GROUP', 'writers', 'dead', 'COUNT', 2, 'STREAMS', key, '>');
    await start({ claimIdleMs: 300, claimEveryMs: 100, consumerIdleMs: 200 });
    await waitFor(async () => (await pending()) === 0 && written().length === 3, {
      timeoutMs: 10_000,
      what: 'the claim',
    });
    expect(written().sort()).toEqual(['d-1', 'd-2', 'd-3']);
    await waitFor(async () => !(await consumers()).includes('dead'), {
      what: 'the dead consumer to be removed',
    });
  });

  it('acknowledges and counts poison records without handing them over or blocking the group', async () => {
    await append(['e-1']);
    await admin.xadd(key, '*', 'event', '{not json');
    await admin.xadd(key, '*', 'event', JSON.stringify({ hello: 'world' }));
    await admin.xadd(key, '*', 'other', 'field');
    await append(['e-2']);
    const { sut } = await start();
    await waitFor(async () => (await sut.lag()) === 0 && written().length === 2, {
      what: 'the batch',
    });
    expect(written()).toEqual(['e-1', 'e-2']);
    expect(poison.sort()).toEqual(['not JSON', 'not JSON', 'not an AUREN event']);
    expect(await pending()).toBe(0);
  });

  it('recreates the group when the stream is reset (key deleted: NOGROUP) and writes the new stream', async () => {
    await append(['f-1']);
    const { sut } = await start();
    await waitFor(() => written().length === 1, { what: 'the first event' });
    await admin.del(key, streamKeys(key).generation);
    stream.close();
    stream = new RedisStream({ url, key, maxLen: 10_000, dedupeWindowSeconds: 60 });
    // The dedupe key of f-1 lives on: a new id.
    await append(['f-2', 'f-3']);
    await waitFor(() => written().length === 3, { timeoutMs: 10_000, what: 'the new stream' });
    expect(written()).toEqual(['f-1', 'f-2', 'f-3']);
    await waitFor(async () => (await sut.lag()) === 0, { what: 'lag 0 on the new group' });
  });

  it('after Redis restarted empty (NOGROUP, no stream), waits for the new stream and writes it from its start', async () => {
    const server = await RedisServer.start();
    const own = new RedisStream({ url: server.url, key, maxLen: 10_000, dedupeWindowSeconds: 60 });
    try {
      await own.waitUntilReady(5000);
      await own.append([{ event: event('r-1'), dedupe: true }]);
      const { sut } = await start({ url: server.url });
      await waitFor(() => written().length === 1, { what: 'the first event' });
      await server.stop('SIGKILL');
      await waitFor(() => !sut.isConnected, { what: 'the outage to be noticed' });
      await server.launch();
      await own.waitUntilReady(5000);
      await own.append(['r-2', 'r-3'].map((id) => ({ event: event(id), dedupe: true })));
      await waitFor(() => written().length === 3, { timeoutMs: 15_000, what: 'the new stream' });
      expect(written()).toEqual(['r-1', 'r-2', 'r-3']);
      await waitFor(async () => (await sut.lag()) === 0, { what: 'lag 0' });
    } finally {
      for (const { app } of running.splice(0)) await app.close().catch(() => undefined);
      own.close();
      await server.dispose();
    }
  });

  it('leaves the group on a clean shutdown when nothing is pending, and stays in it otherwise', async () => {
    await append(['g-1']);
    const first = await start({ consumer: 'clean' });
    await waitFor(async () => written().length === 1 && (await pending()) === 0, {
      what: 'the event',
    });
    expect(await consumers()).toContain('clean');
    await first.app.close();
    expect(await consumers()).not.toContain('clean');

    handler.failing = true;
    await append(['g-2']);
    const second = await start({ consumer: 'stuck' });
    await waitFor(() => handler.batches.length >= 3, { what: 'failing attempts' });
    await second.app.close();
    // Its entry stays pending under its name, for another writer to claim.
    expect(await consumers()).toContain('stuck');
    expect(await pending()).toBe(1);
  });
});
