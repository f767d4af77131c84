import * as grpc from '@grpc/grpc-js';
import Redis from 'ioredis';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { keyIdOf } from '@auren/auth';
import { DEVELOPMENT_JWT_SECRET } from '@auren/config';
import { jsonEventToProto } from '@auren/contracts';
import { decodeRpcStatus } from '../../apps/ingest/src/grpc/google-rpc-status';
import { grpcIngestPort } from '../../apps/ingest/src/grpc/grpc-ingest.server';
import { postJson, RunningApp, startIngest, testConfig } from '../harness/apps';
import { connectIngestGrpc, EventIngestClient, streamCall, unaryCall } from '../harness/grpc';
import { signHs } from '../harness/jwt';
import { RedisServer } from '../harness/redis';
import { waitFor } from '../harness/wait';

/*
 * Rates here are tiny (one event every 100 s): a bucket refills by at most a few events while a
 * test runs, so "the burst, then 429" holds on a slow machine too, without timing assertions.
 */
const RATE = '0.01';
const KEYS = {
  alpha: 'key-alpha-0123456789',
  bravo: 'key-bravo-0123456789',
  charlie: 'key-charlie-012345678',
  delta: 'key-delta-0123456789',
  echo: 'key-echo-01234567890',
  foxtrot: 'key-foxtrot-012345678',
};
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** GenAI spans from the OpenTelemetry SDK: one chat span per name. */
async function chatSpans(names: string[]): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('auren-rate-limit-test');
  for (const name of names) {
    tracer
      .startSpan(name, {
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.agent.id': 'rate-limited-agent',
        },
      })
      .end();
  }
  await provider.forceFlush();
  return exporter.getFinishedSpans();
}

let counter = 0;
const event = (id = `rl-${process.pid}-${++counter}`) => ({
  event_id: id,
  event_type: 'llm_call',
  source_agent: { id: 'planner', role: 'Planner' },
});
const batch = (size: number, prefix: string) =>
  Array.from({ length: size }, (_, i) => event(`${prefix}-${i}`));

describe('Ingest rate limits (two ingest apps sharing them through a real Redis)', () => {
  let a: RunningApp;
  let b: RunningApp;
  let redis: Redis;
  let streamKey: string;

  beforeAll(async () => {
    const env = {
      AUREN_API_KEYS: Object.values(KEYS).join(','),
      AUREN_RATE_LIMIT_EVENTS_PER_SECOND: RATE,
      AUREN_RATE_LIMIT_BURST: '1000',
      AUREN_RATE_LIMIT_KEYS: `key:${keyIdOf(KEYS.charlie)}=${RATE}:2000,key:${keyIdOf(KEYS.echo)}=0`,
    };
    const configA = await testConfig(env);
    streamKey = configA.stream.key;
    a = await startIngest(configA);
    b = await startIngest(await testConfig({ ...env, AUREN_STREAM_KEY: streamKey }));
    redis = new Redis(process.env.AUREN_TEST_REDIS_URL as string);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    redis?.disconnect();
  });

  const stored = async (): Promise<Set<string>> => {
    const entries = await redis.xrange(streamKey, '-', '+');
    return new Set(
      entries.map(([, fields]) => (JSON.parse(fields[1]) as { event_id: string }).event_id),
    );
  };

  it('lets a credential send its burst, then answers 429 on the other pod with Retry-After and RateLimit headers', async () => {
    const first = await postJson(
      `${a.url}/v1/events/batch`,
      { events: batch(1000, 'alpha') },
      bearer(KEYS.alpha),
    );
    expect(first.status).toBe(202);
    expect(first.body.accepted).toBe(1000);

    const over = await postJson(`${b.url}/v1/events`, event('alpha-over'), bearer(KEYS.alpha));
    expect(over.status).toBe(429);
    expect(over.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringMatching(
        new RegExp(
          `^rate limit of key:${keyIdOf(KEYS.alpha)} exceeded \\(0.01 events/s, burst 1000\\); nothing was accepted, retry after \\d+ s$`,
        ),
      ) as unknown,
    });
    const retryAfter = Number(over.headers.get('retry-after'));
    // The bucket is empty: one event takes 100 s to come back (less what the test has taken).
    expect(retryAfter).toBeGreaterThan(50);
    expect(retryAfter).toBeLessThanOrEqual(100);
    expect(over.headers.get('ratelimit-policy')).toBe('"events";q=1000;w=100000');
    expect(over.headers.get('ratelimit')).toBe(`"events";r=0;t=${retryAfter}`);
    // The pod that took the burst refuses too.
    expect((await postJson(`${a.url}/v1/events`, event(), bearer(KEYS.alpha))).status).toBe(429);
    // The key lives in Redis, under the stream key (one hash tag for every credential, so that
    // one call's keys share a Redis Cluster slot), by key id (never the key itself).
    expect(await redis.exists(`{${streamKey}:ratelimit}:key:${keyIdOf(KEYS.alpha)}`)).toBe(1);
  });

  it('counts a batch as its events, all or nothing, and writes nothing that was refused', async () => {
    expect(
      (
        await postJson(
          `${a.url}/v1/events/batch`,
          { events: batch(999, 'bravo') },
          bearer(KEYS.bravo),
        )
      ).status,
    ).toBe(202);
    const two = await postJson(
      `${b.url}/v1/events/batch`,
      { events: batch(2, 'bravo-refused') },
      bearer(KEYS.bravo),
    );
    expect(two.status).toBe(429);
    const one = await postJson(`${a.url}/v1/events`, event('bravo-last'), bearer(KEYS.bravo));
    expect(one.status).toBe(202);
    expect(
      (await postJson(`${b.url}/v1/events`, event('bravo-refused-2'), bearer(KEYS.bravo))).status,
    ).toBe(429);

    const ids = await stored();
    expect(ids.has('bravo-0')).toBe(true);
    expect(ids.has('bravo-998')).toBe(true);
    expect(ids.has('bravo-last')).toBe(true);
    expect(ids.has('bravo-refused-0')).toBe(false);
    expect(ids.has('bravo-refused-1')).toBe(false);
    expect(ids.has('bravo-refused-2')).toBe(false);
    expect(ids.has('alpha-over')).toBe(false);
  });

  it('applies a per-key override (a larger burst) and leaves a key with rate 0 unlimited', async () => {
    // Both batches on one pod: a pod holds a small lease (5 % of the rate, here 1 event) that the
    // other pod cannot use until it expires, so a burst split across pods may come up short by it.
    for (const part of [1, 2]) {
      const reply = await postJson(
        `${a.url}/v1/events/batch`,
        { events: batch(1000, `charlie-${part}`) },
        bearer(KEYS.charlie),
      );
      expect(reply.status).toBe(202);
    }
    const over = await postJson(`${b.url}/v1/events`, event(), bearer(KEYS.charlie));
    expect(over.status).toBe(429);
    expect(over.headers.get('ratelimit-policy')).toBe('"events";q=2000;w=200000');

    for (let i = 0; i < 3; i += 1) {
      const reply = await postJson(
        `${[a, b][i % 2].url}/v1/events/batch`,
        { events: batch(1000, `echo-${i}`) },
        bearer(KEYS.echo),
      );
      expect(reply.status).toBe(202);
    }
  });

  it('keeps credentials independent: one over its limit does not touch another', async () => {
    expect((await postJson(`${a.url}/v1/events`, event(), bearer(KEYS.alpha))).status).toBe(429);
    const other = await postJson(
      `${b.url}/v1/events/batch`,
      { events: batch(1000, 'delta') },
      bearer(KEYS.delta),
    );
    expect(other.status).toBe(202);
    // Anonymous development traffic goes by client address, apart from every key.
    expect((await postJson(`${a.url}/v1/events`, event())).status).toBe(202);
  });

  it('limits a JWT by its subject, apart from other subjects', async () => {
    const token = (sub: string) => ({
      authorization: `Bearer ${signHs({ sub }, DEVELOPMENT_JWT_SECRET)}`,
    });
    const carol = token(`rl-carol-${process.pid}`);
    const full = await postJson(
      `${a.url}/v1/events/batch`,
      { events: batch(1000, 'carol') },
      carol,
    );
    expect(full.status).toBe(202);
    const over = await postJson(`${b.url}/v1/events`, event(), carol);
    expect(over.status).toBe(429);
    expect(over.body.message).toMatch(
      new RegExp(`^rate limit of sub:rl-carol-${process.pid} exceeded`),
    );
    // The same subject in a new token is the same credential; another subject is not.
    expect(
      (await postJson(`${a.url}/v1/events`, event(), token(`rl-carol-${process.pid}`))).status,
    ).toBe(429);
    expect(
      (await postJson(`${a.url}/v1/events`, event(), token(`rl-dave-${process.pid}`))).status,
    ).toBe(202);
  });

  describe('on the other doors, once a credential has used its burst', () => {
    let client: EventIngestClient;
    beforeAll(async () => {
      const reply = await postJson(
        `${a.url}/v1/events/batch`,
        { events: batch(1000, 'foxtrot') },
        bearer(KEYS.foxtrot),
      );
      expect(reply.status).toBe(202);
      client = connectIngestGrpc(grpcIngestPort(b.app) as number);
    });
    afterAll(() => client?.close());

    it('gRPC answers RESOURCE_EXHAUSTED with retry-after, the RateLimit fields and google.rpc.RetryInfo', async () => {
      const { error } = await unaryCall(
        client,
        'Publish',
        jsonEventToProto(event('foxtrot-grpc')),
        KEYS.foxtrot,
      );
      expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(error?.details).toMatch(/^rate limit of key:[0-9a-f]{12} exceeded/);
      const retryAfter = Number(error?.metadata.get('retry-after')[0]);
      expect(retryAfter).toBeGreaterThan(50);
      expect(error?.metadata.get('ratelimit')[0]).toBe(`"events";r=0;t=${retryAfter}`);
      expect(error?.metadata.get('ratelimit-policy')[0]).toBe('"events";q=1000;w=100000');
      const details = decodeRpcStatus(error?.metadata.get('grpc-status-details-bin')[0] as Buffer);
      expect(details).toEqual({
        code: grpc.status.RESOURCE_EXHAUSTED,
        message: error?.details,
        retryAfterSeconds: retryAfter,
      });
    });

    it('gRPC PublishStream stops at the first write over the limit, writing none of it', async () => {
      const { error } = await streamCall(
        client,
        [0, 1, 2].map((i) => jsonEventToProto(event(`foxtrot-stream-${i}`))),
        KEYS.foxtrot,
      );
      expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(error?.metadata.get('retry-after')).toHaveLength(1);
    });

    it('OTLP/HTTP answers 429 with Retry-After and a google.rpc.Status body encoded like the request', async () => {
      const spans = await chatSpans(['chat foxtrot-otlp-1', 'chat foxtrot-otlp-2']);
      const protobuf = await fetch(`${b.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', ...bearer(KEYS.foxtrot) },
        body: ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array,
      });
      expect(protobuf.status).toBe(429);
      expect(protobuf.headers.get('content-type')).toContain('application/x-protobuf');
      const retryAfter = Number(protobuf.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(50);
      expect(protobuf.headers.get('ratelimit')).toBe(`"events";r=0;t=${retryAfter}`);
      const status = decodeRpcStatus(new Uint8Array(await protobuf.arrayBuffer()));
      expect(status).toEqual({
        code: grpc.status.RESOURCE_EXHAUSTED,
        message: expect.stringMatching(/^rate limit of key:/) as unknown,
        retryAfterSeconds: retryAfter,
      });

      const json = await fetch(`${b.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer(KEYS.foxtrot) },
        body: JsonTraceSerializer.serializeRequest(spans) as Uint8Array,
      });
      expect(json.status).toBe(429);
      expect(json.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await json.json()).toEqual({
        code: grpc.status.RESOURCE_EXHAUSTED,
        message: expect.stringMatching(/^rate limit of key:/) as unknown,
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.RetryInfo',
            retryDelay: expect.stringMatching(/^\d+s$/) as unknown,
          },
        ],
      });
    });

    it('writes nothing any door refused', async () => {
      const entries = await redis.xrange(streamKey, '-', '+');
      const texts = entries.map(([, fields]) => fields[1]);
      expect(texts.filter((t) => t.includes('foxtrot-0'))).toHaveLength(1);
      expect(
        texts.filter((t) => t.includes('foxtrot-grpc') || t.includes('foxtrot-stream')),
      ).toEqual([]);
      expect(texts.filter((t) => t.includes('rate-limited-agent'))).toEqual([]);
    });
  });

  it('counts refusals in the metrics', async () => {
    const text = await (await fetch(`${a.url}/metrics`)).text();
    expect(text).toMatch(/auren_ingest_requests_rejected_total\{reason="rate_limited"\} [1-9]/);
    expect(text).toMatch(/auren_ingest_rate_limited_events_total [1-9]/);
    expect(text).toMatch(/auren_ingest_rate_limit_redis_calls_total\{outcome="ok"\} [1-9]/);
    expect(text).toMatch(/auren_ingest_rate_limit_local_only 0/);
  });
});

describe('Ingest rate limits while their Redis is down', () => {
  let server: RedisServer;
  let ingest: RunningApp;

  beforeAll(async () => {
    server = await RedisServer.start();
    ingest = await startIngest(
      await testConfig({
        AUREN_STREAM_BACKEND: 'memory',
        AUREN_RATE_LIMIT_REDIS_URL: server.url,
        AUREN_RATE_LIMIT_EVENTS_PER_SECOND: RATE,
        AUREN_RATE_LIMIT_BURST: '1000',
      }),
    );
  });
  afterAll(async () => {
    await ingest?.close();
    await server?.dispose();
  });

  it('fails open to a per-pod limit with the same rule, and says so in the metrics', async () => {
    // While Redis answers, the limit is shared: one event goes through it.
    expect((await postJson(`${ingest.url}/v1/events`, event())).status).toBe(202);
    await server.stop('SIGKILL');

    // Events keep being accepted (no 5xx) up to the pod's own bucket, then 429.
    const accepted: number[] = [];
    await waitFor(
      async () => {
        const reply = await postJson(`${ingest.url}/v1/events/batch`, {
          events: batch(100, `down-${accepted.length}`),
        });
        accepted.push(reply.status);
        return reply.status === 429;
      },
      { timeoutMs: 30_000, what: 'the per-pod limit to refuse' },
    );
    expect(accepted.slice(0, -1).every((status) => status === 202)).toBe(true);
    expect(accepted.length).toBeGreaterThanOrEqual(10);
    const text = await (await fetch(`${ingest.url}/metrics`)).text();
    expect(text).toMatch(/auren_ingest_rate_limit_local_only 1/);
  });
});
