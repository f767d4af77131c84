import Redis from 'ioredis';
import { postJson, RunningApp, startIngest, testConfig } from '../harness/apps';
import { freePort } from '../harness/ports';
import { RedisServer } from '../harness/redis';
import { signHs } from '../harness/jwt';

const event = (over: Record<string, unknown> = {}) => ({
  event_type: 'llm_call',
  source_agent: { id: 'neuroscientist', role: 'Neuroscientist' },
  performance_metrics: {
    latency_ms: 120,
    tokens_used: 300,
    token_cost: 0.002,
    confidence_score: 0.9,
  },
  ...over,
});

describe('Ingest over HTTP with a real Redis', () => {
  let ingest: RunningApp;
  let redis: Redis;
  let key: string;

  beforeAll(async () => {
    const config = await testConfig();
    key = config.stream.key;
    ingest = await startIngest(config);
    redis = new Redis(process.env.AUREN_TEST_REDIS_URL as string);
  });
  afterAll(async () => {
    await ingest.close();
    redis.disconnect();
  });

  const post = (body: unknown, headers?: Record<string, string>) =>
    postJson(`${ingest.url}/v1/events`, body, headers);
  const streamLength = () => redis.xlen(key);

  it('answers 202 with the stream position and writes readable canonical JSON', async () => {
    const before = await streamLength();
    const reply = await post(event({ event_id: 'evt-happy-1', user_id: 'alice' }));
    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({ accepted: 1, event_id: 'evt-happy-1', duplicate: false });
    const [[id, fields]] = (await redis.xrange(
      key,
      reply.body.stream_id as string,
      reply.body.stream_id as string,
    )) as [string, string[]][];
    expect(id).toBe(reply.body.stream_id);
    expect(fields[0]).toBe('event');
    const stored = JSON.parse(fields[1]) as Record<string, unknown>;
    expect(Object.keys(stored)).toEqual([
      'event_id',
      'event_type',
      'timestamp',
      'received_at',
      'user_id',
      'source_agent',
      'payload',
      'metadata',
      'performance_metrics',
    ]);
    expect(stored).toMatchObject({
      event_id: 'evt-happy-1',
      user_id: 'alice',
      payload: {},
      metadata: {},
    });
    expect(await streamLength()).toBe(before + 1);
  });

  it('accepts a duplicate event_id once and answers duplicate: true with the first position', async () => {
    const first = await post(event({ event_id: 'evt-dup-1' }));
    const before = await streamLength();
    const second = await post(event({ event_id: 'evt-dup-1', payload: { different: true } }));
    expect(second.status).toBe(202);
    expect(second.body).toMatchObject({
      accepted: 0,
      duplicate: true,
      stream_id: first.body.stream_id,
    });
    expect(await streamLength()).toBe(before);
  });

  describe('bad input gets a clear error and writes nothing', () => {
    const cases: Array<
      [string, () => Promise<{ status: number; body: Record<string, unknown> }>, number, string]
    > = [
      ['malformed JSON', () => post('{"event_type": "llm_call", '), 400, 'malformed JSON'],
      ['wrong types', () => post(event({ event_type: 42, payload: [1, 2] })), 400, 'event_type'],
      [
        'missing source_agent.id',
        () => post(event({ source_agent: { role: 'x' } })),
        400,
        'source_agent.id',
      ],
      [
        'unknown event_type',
        () => post(event({ event_type: 'agent_sneezed' })),
        400,
        'agent_execution_started',
      ],
      [
        'an id over 128 characters',
        () => post(event({ source_agent: { id: 'a'.repeat(129) } })),
        400,
        'source_agent.id',
      ],
      [
        'a trace_id over 128 characters',
        () => post(event({ trace_id: 't'.repeat(129) })),
        400,
        'trace_id',
      ],
      ['nesting over 32', () => post(event({ payload: nested(33) })), 400, 'payload'],
      [
        'confidence over 1',
        () => post(event({ performance_metrics: { confidence_score: 1.5 } })),
        400,
        'performance_metrics.confidence_score',
      ],
      ['a non-JSON media type', () => fetchText('text/plain', 'hello'), 415, 'application/json'],
    ];
    it.each(cases)('%s', async (_name, send, status, mention) => {
      const before = await streamLength();
      const reply = await send();
      expect(reply.status).toBe(status);
      expect(reply.body.statusCode).toBe(status);
      expect(JSON.stringify(reply.body)).toContain(mention);
      expect(await streamLength()).toBe(before);
    });

    it('names the field in details', async () => {
      const reply = await post(event({ source_agent: {} }));
      expect(reply.body.details).toEqual([
        { field: 'source_agent.id', message: expect.stringContaining('source_agent.id') },
      ]);
    });

    it('lists the allowed event types for an unknown one', async () => {
      const reply = await post(event({ event_type: 'nope' }));
      expect(reply.body.message).toContain('llm_call');
      expect(reply.body.message).toContain('custom.');
    });

    it('accepts nesting of exactly 32', async () => {
      expect((await post(event({ payload: nested(32) }))).status).toBe(202);
    });

    it('refuses a body of 1 MiB + 1 byte with 413', async () => {
      const before = await streamLength();
      const base = JSON.stringify(event({ payload: { pad: '' } }));
      const body = base.replace('"pad":""', `"pad":"${'x'.repeat(1024 * 1024 + 1 - base.length)}"`);
      expect(Buffer.byteLength(body)).toBe(1024 * 1024 + 1);
      const reply = await post(body);
      expect(reply.status).toBe(413);
      expect(reply.body.message).toContain('1 MiB');
      expect(await streamLength()).toBe(before);
    });

    it('refuses a batch of 1,001 events', async () => {
      const before = await streamLength();
      const reply = await postJson(`${ingest.url}/v1/events/batch`, {
        events: Array.from({ length: 1001 }, () => event()),
      });
      expect(reply.status).toBe(400);
      expect(reply.body.message).toContain('1000');
      expect(await streamLength()).toBe(before);
    });

    it('refuses a whole batch when one event is bad, naming index and field', async () => {
      const before = await streamLength();
      const reply = await postJson(`${ingest.url}/v1/events/batch`, {
        events: [
          event(),
          event(),
          event({ source_agent: { id: '' } }),
          event({ event_type: 'bogus' }),
        ],
      });
      expect(reply.status).toBe(400);
      expect(reply.body.details).toEqual([
        expect.objectContaining({ index: 2, field: 'events[2].source_agent.id' }),
        expect.objectContaining({ index: 3, field: 'events[3].event_type' }),
      ]);
      expect(await streamLength()).toBe(before);
    });
  });

  it('writes a valid batch in order and answers each position', async () => {
    const before = await streamLength();
    const reply = await postJson(`${ingest.url}/v1/events/batch`, {
      events: [event({ event_id: 'b-1' }), event({ event_id: 'b-2' }), event({ event_id: 'b-1' })],
    });
    expect(reply.status).toBe(202);
    const results = reply.body.results as Array<{
      event_id: string;
      stream_id: string;
      duplicate: boolean;
    }>;
    expect(reply.body.accepted).toBe(2);
    expect(results.map((r) => [r.event_id, r.duplicate])).toEqual([
      ['b-1', false],
      ['b-2', false],
      ['b-1', true],
    ]);
    expect(results[2].stream_id).toBe(results[0].stream_id);
    expect(await streamLength()).toBe(before + 2);
  });

  it('serves health, metrics and the OpenAPI document', async () => {
    expect((await fetch(`${ingest.url}/health/live`)).status).toBe(200);
    expect((await fetch(`${ingest.url}/health/ready`)).status).toBe(200);
    const metrics = await (await fetch(`${ingest.url}/metrics`)).text();
    expect(metrics).toMatch(/auren_ingest_events_accepted_total \d+/);
    expect(metrics).toMatch(/auren_ingest_requests_rejected_total\{reason="validation"\} \d+/);
    expect(metrics).toMatch(/auren_ingest_requests_rejected_total\{reason="too_large"\} 1/);
    expect(metrics).toContain('auren_ingest_backend_write_seconds_bucket');
    const docs = (await (await fetch(`${ingest.url}/docs-json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(docs.paths)).toEqual(
      expect.arrayContaining(['/v1/events', '/v1/events/batch']),
    );
    const ui = await fetch(`${ingest.url}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
  });

  async function fetchText(type: string, body: string) {
    const response = await fetch(`${ingest.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }
});

describe('Ingest credentials in production mode', () => {
  const secret = 'a-production-secret-of-more-than-32-characters';
  let ingest: RunningApp;
  let redis: Redis;
  let key: string;

  beforeAll(async () => {
    const config = await testConfig({
      NODE_ENV: 'production',
      AUREN_JWT_SECRET: secret,
      AUREN_API_KEYS: 'ingest-key-0123456789:carol',
    });
    key = config.stream.key;
    ingest = await startIngest(config);
    redis = new Redis(process.env.AUREN_TEST_REDIS_URL as string);
  });
  afterAll(async () => {
    await ingest.close();
    redis.disconnect();
  });

  const post = (headers: Record<string, string>, body: unknown = event({ user_id: 'mallory' })) =>
    postJson(`${ingest.url}/v1/events`, body, headers);

  it('refuses a missing credential and a test key with 401, writing nothing', async () => {
    expect((await post({})).status).toBe(401);
    const test = await post({ authorization: 'Bearer test-token-123' });
    expect(test.status).toBe(401);
    expect(test.body.message).toContain('production');
    expect(await redis.xlen(key)).toBe(0);
  });

  it('writes the user a JWT is bound to, whatever the event says', async () => {
    const token = signHs({ sub: 'alice' }, secret);
    const reply = await post({ authorization: `Bearer ${token}` });
    expect(reply.status).toBe(202);
    const [[, fields]] = (await redis.xrange(key, '-', '+')) as [string, string[]][];
    expect(JSON.parse(fields[1])).toMatchObject({ user_id: 'alice' });
  });

  it('writes the user an API key is bound to', async () => {
    const reply = await post({ authorization: 'Bearer ingest-key-0123456789' });
    expect(reply.status).toBe(202);
    const entries = (await redis.xrevrange(key, '+', '-', 'COUNT', 1)) as [string, string[]][];
    expect(JSON.parse(entries[0][1][1])).toMatchObject({ user_id: 'carol' });
  });

  it('refuses a JWT with a bad signature', async () => {
    const token = signHs({ sub: 'alice' }, 'another-secret-another-secret-another');
    expect((await post({ authorization: `Bearer ${token}` })).status).toBe(401);
  });
});

describe('Ingest when the stream backend is down', () => {
  it('answers 503 with Retry-After, then accepts again; nothing refused shows up', async () => {
    const server = await RedisServer.start();
    const config = await testConfig({ REDIS_URL: server.url });
    const ingest = await startIngest(config);
    const redis = new Redis(server.url, { lazyConnect: true });
    redis.on('error', () => undefined);
    try {
      expect(
        (await postJson(`${ingest.url}/v1/events`, event({ event_id: 'before-crash' }))).status,
      ).toBe(202);
      await server.stop('SIGKILL');

      const refused = await postJson(`${ingest.url}/v1/events`, event({ event_id: 'while-down' }));
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.body.message).toContain('nothing was accepted');
      expect((await fetch(`${ingest.url}/health/ready`)).status).toBe(503);

      await server.launch();
      await waitForStatus(`${ingest.url}/health/ready`, 200);
      const after = await postJson(`${ingest.url}/v1/events`, event({ event_id: 'after-restart' }));
      expect(after.status).toBe(202);
      await redis.connect();
      const ids = ((await redis.xrange(config.stream.key, '-', '+')) as [string, string[]][]).map(
        ([, f]) => (JSON.parse(f[1]) as { event_id: string }).event_id,
      );
      expect(ids).toEqual(['after-restart']);
    } finally {
      redis.disconnect();
      await ingest.close();
      await server.dispose();
    }
  });

  it('answers 503 when Redis was never there', async () => {
    const config = await testConfig({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    const ingest = await startIngest(config);
    try {
      const reply = await postJson(`${ingest.url}/v1/events`, event());
      expect(reply.status).toBe(503);
      expect(reply.headers.get('retry-after')).toBeTruthy();
    } finally {
      await ingest.close();
    }
  });
});

async function waitForStatus(url: string, status: number): Promise<void> {
  const { waitFor } = await import('../harness/wait');
  await waitFor(async () => (await fetch(url)).status === status, {
    timeoutMs: 15_000,
    what: `${url} → ${status}`,
  });
}

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 1; i < depth; i++) value = { next: value };
  return value;
}
