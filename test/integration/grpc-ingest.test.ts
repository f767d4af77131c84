import * as grpc from '@grpc/grpc-js';
import Redis from 'ioredis';
import { jsonEventToProto } from '@auren/contracts';
import { grpcIngestPort } from '../../apps/ingest/src/grpc/grpc-ingest.server';
import { RunningApp, startIngest, testConfig } from '../harness/apps';
import { connectIngestGrpc, EventIngestClient, streamCall, unaryCall } from '../harness/grpc';
import { freePort } from '../harness/ports';
import { RedisServer } from '../harness/redis';
import { waitFor } from '../harness/wait';
import { signHs } from '../harness/jwt';

type Json = Record<string, unknown>;
const event = (over: Json = {}): Json => ({
  event_type: 'tool_usage',
  source_agent: { id: 'neuroscientist', role: 'Neuroscientist', goal: 'map the cortex' },
  ...over,
});
const message = (over: Json = {}) => jsonEventToProto(event(over));

function nested(depth: number): Json {
  let value: Json = { leaf: true };
  for (let i = 1; i < depth; i++) value = { next: value };
  return value;
}

async function stored(redis: Redis, key: string): Promise<Array<{ id: string; event: Json }>> {
  const entries = (await redis.xrange(key, '-', '+')) as [string, string[]][];
  return entries.map(([id, fields]) => ({ id, event: JSON.parse(fields[1]) as Json }));
}

describe('gRPC ingest with a real grpc-js client and Redis', () => {
  let ingest: RunningApp;
  let redis: Redis;
  let key: string;
  let client: EventIngestClient;
  let port: number;

  beforeAll(async () => {
    const config = await testConfig();
    key = config.stream.key;
    ingest = await startIngest(config);
    port = grpcIngestPort(ingest.app) as number;
    expect(port).toBe(config.grpcPort);
    client = connectIngestGrpc(port);
    redis = new Redis(process.env.AUREN_TEST_REDIS_URL as string);
  });
  afterAll(async () => {
    client.close();
    await ingest.close();
    redis.disconnect();
  });

  it('Publish stores the event in the Redis stream at the stream_id it answers, Structs as JSON', async () => {
    const payload = {
      tool: 'search',
      args: {
        query: 'hippocampus',
        limit: 5,
        exact: false,
        tags: ['a', 1, null, { deep: [true] }],
      },
      nothing: null,
    };
    const { error, reply } = await unaryCall(
      client,
      'Publish',
      message({
        event_id: 'grpc-one-1',
        user_id: 'alice',
        trace_id: 'trace-1',
        target_agent: { id: 'coach' },
        payload,
        metadata: { run: 7 },
        performance_metrics: { latency_ms: 12.5, tokens_used: 300, success: true },
      }),
    );
    expect(error).toBeNull();
    expect(reply).toEqual({
      accepted: 1,
      event_id: 'grpc-one-1',
      stream_id: expect.stringMatching(/^\d+-\d+$/),
      duplicate: false,
    });
    const [entry] = (await redis.xrange(
      key,
      reply?.stream_id as string,
      reply?.stream_id as string,
    )) as [string, string[]][];
    const json = JSON.parse(entry[1][1]) as Json;
    expect(json).toMatchObject({
      event_id: 'grpc-one-1',
      event_type: 'tool_usage',
      user_id: 'alice',
      trace_id: 'trace-1',
      source_agent: { id: 'neuroscientist', role: 'Neuroscientist', goal: 'map the cortex' },
      target_agent: { id: 'coach' },
      payload,
      metadata: { run: 7 },
      performance_metrics: { latency_ms: 12.5, tokens_used: 300, success: true },
    });
    expect(typeof json.received_at).toBe('string');
  });

  it('Publish of an invalid event is INVALID_ARGUMENT naming the field and why; nothing written', async () => {
    const before = await redis.xlen(key);
    const { error } = await unaryCall(
      client,
      'Publish',
      message({ event_type: 'made_up', source_agent: undefined }),
    );
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error?.details).toContain('event_type must be one of');
    expect(error?.details).toContain('source_agent.id is required');
    const details = JSON.parse(error?.metadata.get('auren-error-details')[0] as string) as Json[];
    expect(details.map((d) => d.field).sort()).toEqual(['event_type', 'source_agent.id']);

    const deep = await unaryCall(client, 'Publish', message({ payload: nested(40) }));
    expect(deep.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(deep.error?.details).toContain('payload nests deeper than 32 levels');
    expect(await redis.xlen(key)).toBe(before);
  });

  it('the same event_id twice: one record, the second answer duplicate with the first stream_id', async () => {
    const first = await unaryCall(client, 'Publish', message({ event_id: 'grpc-dup-1' }));
    const second = await unaryCall(
      client,
      'Publish',
      message({ event_id: 'grpc-dup-1', payload: { x: 1 } }),
    );
    expect(second.error).toBeNull();
    expect(second.reply).toMatchObject({
      accepted: 0,
      duplicate: true,
      event_id: 'grpc-dup-1',
      stream_id: first.reply?.stream_id,
    });
    const copies = (await stored(redis, key)).filter((e) => e.event.event_id === 'grpc-dup-1');
    expect(copies).toHaveLength(1);
  });

  it('PublishBatch stores every event in order; one bad event refuses the whole batch', async () => {
    const events = [0, 1, 2].map((i) => message({ event_id: `grpc-batch-${i}` }));
    const { error, reply } = await unaryCall(client, 'PublishBatch', { events });
    expect(error).toBeNull();
    expect(reply?.accepted).toBe(3);
    const results = reply?.results as Json[];
    expect(results.map((r) => [r.index, r.event_id])).toEqual([
      [0, 'grpc-batch-0'],
      [1, 'grpc-batch-1'],
      [2, 'grpc-batch-2'],
    ]);
    const all = await stored(redis, key);
    for (const result of results) {
      expect(all.find((e) => e.id === result.stream_id)?.event.event_id).toBe(result.event_id);
    }

    const before = await redis.xlen(key);
    const bad = await unaryCall(client, 'PublishBatch', {
      events: [
        message(),
        message({ event_type: 'nope' }),
        message({ performance_metrics: { confidence_score: 2 } }),
      ],
    });
    expect(bad.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.error?.details).toContain('events[1]: event_type must be one of');
    expect(bad.error?.details).toContain('events[2]: performance_metrics.confidence_score');
    const tooMany = await unaryCall(client, 'PublishBatch', {
      events: Array.from({ length: 1001 }, () => message()),
    });
    expect(tooMany.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(tooMany.error?.details).toContain('at most 1000');
    const empty = await unaryCall(client, 'PublishBatch', { events: [] });
    expect(empty.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(await redis.xlen(key)).toBe(before);
  });

  it('PublishStream accepts the good events among bad ones and reports each bad one by index', async () => {
    const before = await redis.xlen(key);
    const { error, reply } = await streamCall(client, [
      message({ event_id: 'grpc-stream-0' }),
      message({ event_id: 'grpc-stream-1', event_type: 'not_a_type' }),
      message({ event_id: 'grpc-stream-2' }),
      message({ event_id: 'grpc-stream-3', source_agent: { id: '' } }),
      message({ event_id: 'grpc-stream-0' }), // duplicate of the first
      message({ event_id: 'grpc-stream-5' }),
    ]);
    expect(error).toBeNull();
    expect(reply?.accepted).toBe(3);
    expect((reply?.results as Json[]).map((r) => [r.index, r.event_id, r.duplicate])).toEqual([
      [0, 'grpc-stream-0', false],
      [2, 'grpc-stream-2', false],
      [4, 'grpc-stream-0', true],
      [5, 'grpc-stream-5', false],
    ]);
    const rejected = reply?.rejected as Array<{
      index: number;
      message: string;
      violations: Json[];
    }>;
    expect(rejected.map((r) => r.index)).toEqual([1, 3]);
    expect(rejected[0].violations).toEqual([
      { field: 'event_type', message: expect.stringContaining('must be one of') },
    ]);
    expect(rejected[1].violations[0].field).toBe('source_agent.id');
    const ids = (await stored(redis, key)).slice(before).map((e) => e.event.event_id);
    expect(ids).toEqual(['grpc-stream-0', 'grpc-stream-2', 'grpc-stream-5']);
  });

  it('PublishStream carries thousands of events (written in chunks as they arrive)', async () => {
    const before = await redis.xlen(key);
    const messages = Array.from({ length: 2500 }, (_, i) =>
      message({ event_id: `grpc-many-${i}` }),
    );
    const { error, reply } = await streamCall(client, messages);
    expect(error).toBeNull();
    expect(reply?.accepted).toBe(2500);
    expect((reply?.results as Json[]).map((r) => r.index)).toEqual(messages.map((_, i) => i));
    expect(await redis.xlen(key)).toBe(before + 2500);
  });

  it('garbage bytes fail with INVALID_ARGUMENT or INTERNAL and write nothing', async () => {
    const before = await redis.xlen(key);
    const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const error = await new Promise<grpc.ServiceError | null>((resolve) => {
        raw.makeUnaryRequest(
          '/auren.events.v1.EventIngest/Publish',
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x03, 0x61]),
          (e) => resolve(e),
        );
      });
      expect([grpc.status.INVALID_ARGUMENT, grpc.status.INTERNAL]).toContain(error?.code);
    } finally {
      raw.close();
    }
    expect(await redis.xlen(key)).toBe(before);
  });

  it('a message over 1 MiB is RESOURCE_EXHAUSTED and writes nothing', async () => {
    const before = await redis.xlen(key);
    const { error } = await unaryCall(
      client,
      'Publish',
      message({ payload: { blob: 'x'.repeat(1024 * 1024 + 10) } }),
    );
    expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const inStream = await streamCall(client, [
      message({ payload: { blob: 'y'.repeat(1100 * 1024) } }),
    ]);
    expect(inStream.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(await redis.xlen(key)).toBe(before);
  });

  it('counts gRPC calls and rejections in /metrics like HTTP', async () => {
    const text = await (await fetch(`${ingest.url}/metrics`)).text();
    expect(text).toMatch(/auren_ingest_grpc_calls_total\{method="Publish",code="OK"\} [1-9]/);
    expect(text).toMatch(
      /auren_ingest_grpc_calls_total\{method="PublishBatch",code="INVALID_ARGUMENT"\} [1-9]/,
    );
    expect(text).toMatch(/auren_ingest_requests_rejected_total\{reason="validation"\} [1-9]/);
    const accepted = /auren_ingest_events_accepted_total (\d+)/.exec(text);
    expect(Number(accepted?.[1])).toBeGreaterThanOrEqual(2500 + 3 + 3);
  });
});

describe('gRPC ingest credentials in production mode', () => {
  const secret = 'a-production-secret-of-more-than-32-characters';
  let ingest: RunningApp;
  let redis: Redis;
  let key: string;
  let client: EventIngestClient;

  beforeAll(async () => {
    const config = await testConfig({
      NODE_ENV: 'production',
      AUREN_JWT_SECRET: secret,
      AUREN_API_KEYS: 'grpc-key-0123456789:carol',
    });
    key = config.stream.key;
    ingest = await startIngest(config);
    client = connectIngestGrpc(grpcIngestPort(ingest.app) as number);
    redis = new Redis(process.env.AUREN_TEST_REDIS_URL as string);
  });
  afterAll(async () => {
    client.close();
    await ingest.close();
    redis.disconnect();
  });

  it('refuses a missing credential, a test key and a forged JWT with UNAUTHENTICATED; writes nothing', async () => {
    const missing = await unaryCall(client, 'Publish', message());
    expect(missing.error?.code).toBe(grpc.status.UNAUTHENTICATED);
    const test = await unaryCall(client, 'Publish', message(), 'test-token-123');
    expect(test.error?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(test.error?.details).toContain('production');
    const forged = signHs({ sub: 'alice' }, 'another-secret-another-secret-another');
    expect(
      (await unaryCall(client, 'PublishBatch', { events: [message()] }, forged)).error?.code,
    ).toBe(grpc.status.UNAUTHENTICATED);
    expect((await streamCall(client, [message()])).error?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(await redis.xlen(key)).toBe(0);
  });

  it('writes the user the credential is bound to, whatever the event says', async () => {
    const keyed = await unaryCall(
      client,
      'Publish',
      message({ user_id: 'mallory' }),
      'grpc-key-0123456789',
    );
    expect(keyed.error).toBeNull();
    const token = signHs({ sub: 'alice' }, secret);
    const streamed = await streamCall(client, [message({ user_id: 'mallory' })], token);
    expect(streamed.error).toBeNull();
    expect((await stored(redis, key)).map((e) => e.event.user_id)).toEqual(['carol', 'alice']);
  });
});

describe('gRPC ingest when the stream backend is down', () => {
  it('answers UNAVAILABLE with retry-after, accepts again after a restart; nothing refused shows up', async () => {
    const server = await RedisServer.start();
    const config = await testConfig({ REDIS_URL: server.url });
    const ingest = await startIngest(config);
    const client = connectIngestGrpc(grpcIngestPort(ingest.app) as number);
    const redis = new Redis(server.url, { lazyConnect: true });
    redis.on('error', () => undefined);
    try {
      expect(
        (await unaryCall(client, 'Publish', message({ event_id: 'before-crash' }))).error,
      ).toBeNull();
      await server.stop('SIGKILL');

      const one = await unaryCall(client, 'Publish', message({ event_id: 'while-down-1' }));
      expect(one.error?.code).toBe(grpc.status.UNAVAILABLE);
      expect(one.error?.details).toContain('nothing was accepted');
      expect(one.error?.metadata.get('retry-after')).toEqual(['1']);
      const batch = await unaryCall(client, 'PublishBatch', {
        events: [message({ event_id: 'while-down-2' })],
      });
      expect(batch.error?.code).toBe(grpc.status.UNAVAILABLE);
      const streamed = await streamCall(client, [message({ event_id: 'while-down-3' })]);
      expect(streamed.error?.code).toBe(grpc.status.UNAVAILABLE);

      await server.launch();
      await waitFor(async () => (await fetch(`${ingest.url}/health/ready`)).status === 200, {
        timeoutMs: 15_000,
        what: 'ingest ready again',
      });
      expect(
        (await unaryCall(client, 'Publish', message({ event_id: 'after-restart' }))).error,
      ).toBeNull();
      await redis.connect();
      expect((await stored(redis, config.stream.key)).map((e) => e.event.event_id)).toEqual([
        'after-restart',
      ]);
    } finally {
      client.close();
      redis.disconnect();
      await ingest.close();
      await server.dispose();
    }
  });

  it('answers UNAVAILABLE when Redis was never there', async () => {
    const config = await testConfig({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    const ingest = await startIngest(config);
    const client = connectIngestGrpc(grpcIngestPort(ingest.app) as number);
    try {
      expect((await unaryCall(client, 'Publish', message())).error?.code).toBe(
        grpc.status.UNAVAILABLE,
      );
    } finally {
      client.close();
      await ingest.close();
    }
  });
});

describe('gRPC ingest switches', () => {
  it('AUREN_GRPC_ENABLED=false starts no gRPC server; GRPC_PORT=0 picks a free port', async () => {
    const off = await startIngest(await testConfig({ AUREN_GRPC_ENABLED: 'false' }));
    const any = await startIngest(await testConfig({ GRPC_PORT: '0' }));
    try {
      expect(grpcIngestPort(off.app)).toBeUndefined();
      const port = grpcIngestPort(any.app) as number;
      expect(port).toBeGreaterThan(0);
      const client = connectIngestGrpc(port);
      try {
        expect((await unaryCall(client, 'Publish', message())).error).toBeNull();
      } finally {
        client.close();
      }
    } finally {
      await off.close();
      await any.close();
    }
  });
});
