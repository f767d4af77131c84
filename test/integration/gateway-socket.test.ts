import Redis from 'ioredis';
import type { AurenConfig } from '@auren/config';
import type { ErrorMessage, RecentEventsMessage, StreamedEvent } from '@auren/contracts';
import { postJson, RunningApp, startGateway, startIngest, testConfig } from '../harness/apps';
import { Client, connectClient, ConnectedClient, refusal } from '../harness/clients';
import { signHs, type TokenOptions } from '../harness/jwt';
import { freePort } from '../harness/ports';
import { nextEvent, waitFor } from '../harness/wait';

const SECRET = 'integration-secret-integration-secret-0123';
const token = (claims: Record<string, unknown>, options: TokenOptions = {}) =>
  signHs(claims, SECRET, options);

let seq = 0;
const ev = (agent: string, over: Record<string, unknown> = {}) => ({
  event_id: `gw-${Date.now()}-${seq++}`,
  event_type: 'agent_decision',
  source_agent: { id: agent },
  ...over,
});

/** Round trip on the same connection: everything emitted to it before has arrived after this. */
async function settle(client: Client): Promise<void> {
  await client.timeout(5000).emitWithAck('ping', {});
}

describe('Gateway over Socket.IO with a real Redis', () => {
  let config: AurenConfig;
  let ingest: RunningApp;
  let gateway: RunningApp;
  const clients: ConnectedClient[] = [];

  const connect = async (auth: Parameters<typeof connectClient>[1]) => {
    const client = await connectClient(gateway.url, auth);
    clients.push(client);
    return client;
  };
  const publish = async (events: Array<Record<string, unknown>>) => {
    const reply = await postJson(`${ingest.url}/v1/events/batch`, { events });
    expect(reply.status).toBe(202);
    return (reply.body.results as Array<{ stream_id: string }>).map((r) => r.stream_id);
  };
  const ids = (events: StreamedEvent[]) => events.map((e) => e.event_id);

  beforeAll(async () => {
    config = await testConfig({ AUREN_JWT_SECRET: SECRET });
    ingest = await startIngest(config);
    gateway = await startGateway(config);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await gateway.close();
    await ingest.close();
  });

  it('answers the handshake with connection_established', async () => {
    const client = await connect({
      token: 'test-token-123',
      agent_filter: ['neuroscientist'],
      performance_threshold: 0.5,
    });
    expect(client.established).toMatchObject({
      type: 'connection_established',
      user_id: 'test_user',
      subscriptions: ['all_events'],
      agent_filter: ['neuroscientist'],
      performance_threshold: 0.5,
    });
    expect(client.established.available_subscriptions).toHaveLength(11);
    expect(client.established.available_subscriptions).toContain('alerts');
    expect(client.established.resume).toBeUndefined();
  });

  it('routes each event to exactly the clients whose filters select it, once, in order', async () => {
    const all = await connect({ token: 'test-a' });
    const neuro = await connect({ token: 'test-b', agent_filter: ['neuroscientist'] });
    const confident = await connect({ token: 'test-c', performance_threshold: 0.8 });
    const llm = await connect({ token: 'test-d', subscriptions: ['llm_usage', 'tool_usage'] });
    const perf = await connect({
      token: 'test-e',
      subscriptions: ['agent_performance'],
      agent_filter: ['coach', 'neuroscientist'],
    });

    const events = [
      ev('neuroscientist'),
      ev('coach', {
        event_type: 'llm_call',
        performance_metrics: { confidence_score: 0.9, tokens_used: 10 },
      }),
      ev('neuroscientist', {
        event_type: 'llm_call',
        performance_metrics: { confidence_score: 0.5 },
      }),
      ev('nutritionist', { event_type: 'tool_usage' }),
      ev('coach', { event_type: 'memory_tier_access', performance_metrics: { latency_ms: 3 } }),
    ];
    await publish(events);
    const expected = (indices: number[]) => indices.map((i) => events[i].event_id);

    await all.waitForEvents(5);
    for (const c of [all, neuro, confident, llm, perf]) await settle(c.socket);
    expect(ids(all.events)).toEqual(expected([0, 1, 2, 3, 4]));
    expect(ids(neuro.events)).toEqual(expected([0, 2]));
    // Threshold 0.8: events without metrics pass, 0.5 does not, metrics without a score do not.
    expect(ids(confident.events)).toEqual(expected([0, 1, 3]));
    expect(ids(llm.events)).toEqual(expected([1, 2, 3]));
    expect(ids(perf.events)).toEqual(expected([1, 2, 4]));
    expect(all.events.every((e) => /^\d+-\d+$/.test(e.stream_id))).toBe(true);
  });

  it('isolates users: own and unowned events only, unless the token has the all permission', async () => {
    const alice = await connect({ token: token({ sub: 'alice' }) });
    const admin = await connect({ token: token({ sub: 'root', permissions: ['all'] }) });
    const onlyCoach = await connect({ token: token({ sub: 'carol', permissions: ['coach'] }) });
    const mine = await connect({
      token: token({ sub: 'alice' }),
      subscriptions: ['user_specific'],
    });

    const events = [
      ev('coach', { user_id: 'alice' }),
      ev('coach', { user_id: 'bob' }),
      ev('neuroscientist'),
      ev('coach'),
    ];
    await publish(events);
    await admin.waitForEvents(4);
    for (const c of [alice, admin, onlyCoach, mine]) await settle(c.socket);
    expect(ids(alice.events)).toEqual([events[0], events[2], events[3]].map((e) => e.event_id));
    expect(ids(admin.events)).toEqual(events.map((e) => e.event_id));
    expect(ids(onlyCoach.events)).toEqual([events[3].event_id]);
    expect(ids(mine.events)).toEqual([events[0].event_id]);
  });

  describe('refused handshakes', () => {
    it.each([
      ['no token', {}, 'AUTH_REQUIRED'],
      [
        'a bad signature',
        { token: signHs({ sub: 'x' }, 'wrong-secret-wrong-secret-wrong-secret') },
        'AUTH_FAILED',
      ],
      [
        'alg none',
        {
          token: `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x', permissions: ['all'] })}.`,
        },
        'AUTH_FAILED',
      ],
      [
        'an expired token',
        { token: token({ sub: 'x', exp: Math.floor(Date.now() / 1000) - 120 }) },
        'TOKEN_EXPIRED',
      ],
      [
        'an unknown subscription',
        { token: 'test-token', subscriptions: ['everything'] },
        'BAD_HANDSHAKE',
      ],
      ['a threshold above 1', { token: 'test-token', performance_threshold: 2 }, 'BAD_HANDSHAKE'],
      [
        'a malformed resume_from',
        { token: 'test-token', resume_from: 'yesterday' },
        'BAD_HANDSHAKE',
      ],
    ])('%s', async (_name, auth, code) => {
      const data = await refusal(gateway.url, auth);
      expect(data.code).toBe(code);
      expect(data.message.length).toBeGreaterThan(5);
    });

    it('refuses the 51st connection of a user, and lets it in again after one leaves', async () => {
      const dave = () => ({ token: token({ sub: 'dave' }) });
      const held: ConnectedClient[] = [];
      for (let i = 0; i < 50; i++) held.push(await connect(dave()));
      expect((await refusal(gateway.url, dave())).code).toBe('USER_CONNECTION_LIMIT');
      const gone = nextEvent(held[0].socket, 'disconnect');
      held[0].close();
      await gone;
      await waitFor(async () => (await connect(dave()).catch(() => undefined)) !== undefined, {
        what: 'a free slot',
      });
    });
  });

  describe('client messages', () => {
    it('subscribe: confirms a known subscription and starts delivering it; refuses an unknown one', async () => {
      const client = await connect({ token: 'test-token', subscriptions: ['tool_usage'] });
      const bad = (await client.socket
        .timeout(5000)
        .emitWithAck('subscribe', { subscription: 'nope' })) as ErrorMessage;
      expect(bad).toMatchObject({ type: 'error', code: 'UNKNOWN_SUBSCRIPTION' });
      const confirmed = nextEvent(client.socket, 'subscription_confirmed');
      const ack = await client.socket
        .timeout(5000)
        .emitWithAck('subscribe', { subscription: 'llm_usage' });
      expect(ack).toEqual({ type: 'subscription_confirmed', subscription: 'llm_usage' });
      expect(await confirmed).toEqual(ack);
      const [llm] = [ev('x', { event_type: 'llm_call' })];
      await publish([llm]);
      expect(ids(await client.waitForEvents(1))).toEqual([llm.event_id]);
    });

    it('unsubscribe and filter_update change what arrives', async () => {
      const client = await connect({
        token: 'test-token',
        subscriptions: ['all_events', 'llm_usage'],
      });
      expect(
        await client.socket
          .timeout(5000)
          .emitWithAck('unsubscribe', { subscription: 'all_events' }),
      ).toEqual({
        type: 'unsubscription_confirmed',
        subscription: 'all_events',
      });
      expect(
        await client.socket
          .timeout(5000)
          .emitWithAck('filter_update', { agent_filter: ['a2'], performance_threshold: 0.3 }),
      ).toEqual({
        type: 'filter_updated',
        agent_filter: ['a2'],
        performance_threshold: 0.3,
      });
      const events = [
        ev('a1', { event_type: 'llm_call' }),
        ev('a2', { event_type: 'tool_usage' }),
        ev('a2', { event_type: 'llm_call' }),
      ];
      await publish(events);
      await client.waitForEvents(1);
      await settle(client.socket);
      expect(ids(client.events)).toEqual([events[2].event_id]);
    });

    it('get_recent: refuses a limit of 10^6, returns the newest matching events oldest first', async () => {
      const client = await connect({ token: 'test-token', agent_filter: ['historian'] });
      const bad = (await client.socket
        .timeout(5000)
        .emitWithAck('get_recent', { limit: 1_000_000 })) as ErrorMessage;
      expect(bad).toMatchObject({ type: 'error', code: 'LIMIT_OUT_OF_RANGE' });
      expect(bad.message).toContain('1000');
      const events = Array.from({ length: 6 }, (_, i) => ev(i % 2 ? 'historian' : 'other'));
      await publish(events);
      await client.waitForEvents(3);
      const reply = (await client.socket
        .timeout(5000)
        .emitWithAck('get_recent', { limit: 2 })) as RecentEventsMessage;
      expect(reply.type).toBe('recent_events');
      expect(reply.count).toBe(2);
      expect(ids(reply.events)).toEqual([events[3].event_id, events[5].event_id]);
    });

    it('answers an unknown message with BAD_MESSAGE', async () => {
      const client = await connect({ token: 'test-token' });
      const untyped = client.socket as unknown as {
        timeout(ms: number): { emitWithAck(event: string, body: unknown): Promise<unknown> };
      };
      const reply = (await untyped.timeout(5000).emitWithAck('make_coffee', {})) as ErrorMessage;
      expect(reply).toMatchObject({ type: 'error', code: 'BAD_MESSAGE' });
      expect(reply.message).toContain('make_coffee');
    });

    it('ping answers pong with the server time', async () => {
      const client = await connect({ token: 'test-token' });
      const reply = (await client.socket.timeout(5000).emitWithAck('ping', {})) as {
        type: string;
        server_time: string;
      };
      expect(reply.type).toBe('pong');
      expect(Date.parse(reply.server_time)).not.toBeNaN();
    });

    it('rate-limits client messages with RATE_LIMITED and keeps the connection', async () => {
      const client = await connect({ token: 'test-token' });
      const errors: ErrorMessage[] = [];
      client.socket.on('error', (e) => errors.push(e));
      for (let i = 0; i < 100; i++) await client.socket.timeout(5000).emitWithAck('ping', {});
      expect(errors).toEqual([]);
      client.socket.emit('ping', {});
      await waitFor(() => errors.length > 0, { what: 'RATE_LIMITED' });
      expect(errors[0].code).toBe('RATE_LIMITED');
      expect(client.socket.connected).toBe(true);
    });
  });

  describe('resume', () => {
    it('replays exactly the missed matching events, in order, before live ones', async () => {
      const first = await connect({ token: 'test-token', agent_filter: ['resumer'] });
      const seen = [ev('resumer')];
      await publish(seen);
      const [last] = await first.waitForEvents(1);
      first.close();

      const missed = Array.from({ length: 30 }, (_, i) => ev(i % 3 ? 'resumer' : 'someone-else'));
      await publish(missed);
      const again = await connect({
        token: 'test-token',
        agent_filter: ['resumer'],
        resume_from: last.stream_id,
      });
      const expected = missed.filter((e) => e.source_agent.id === 'resumer').map((e) => e.event_id);
      expect(again.established.resume).toEqual({
        recovered: true,
        replayed: expected.length,
        from: last.stream_id,
      });
      const live = ev('resumer');
      await publish([live]);
      await again.waitForEvents(expected.length + 1);
      await settle(again.socket);
      expect(ids(again.events)).toEqual([...expected, live.event_id]);
    });

    it('replays on a gateway that has just started, before any live event went through it', async () => {
      const first = await connect({ token: 'test-token', agent_filter: ['late-pod'] });
      await publish([ev('late-pod')]);
      const [last] = await first.waitForEvents(1);
      first.close();
      const missed = [ev('late-pod'), ev('late-pod')];
      await publish(missed);
      const fresh = await startGateway({ ...config, gatewayPort: await freePort() });
      try {
        const again = await connectClient(fresh.url, {
          token: 'test-token',
          agent_filter: ['late-pod'],
          resume_from: last.stream_id,
        });
        expect(again.established.resume).toEqual({
          recovered: true,
          replayed: 2,
          from: last.stream_id,
        });
        await again.waitForEvents(2);
        expect(ids(again.events)).toEqual(missed.map((e) => e.event_id));
        again.close();
      } finally {
        await fresh.close();
      }
    });

    it('gives a connection that has received nothing yet a position to resume from', async () => {
      const quiet = await connect({ token: 'test-token', agent_filter: ['quiet-one'] });
      const position = quiet.established.position as string;
      expect(position).toMatch(/^\d+-\d+$/);
      quiet.close();
      const missed = [ev('quiet-one'), ev('someone-else'), ev('quiet-one')];
      await publish(missed);
      const again = await connect({
        token: 'test-token',
        agent_filter: ['quiet-one'],
        resume_from: position,
      });
      const expected = [missed[0].event_id, missed[2].event_id];
      expect(again.established.resume).toMatchObject({ recovered: true });
      await again.waitForEvents(2);
      await settle(again.socket);
      expect(ids(again.events)).toEqual(expected);
    });

    it('says recovered: false for a position the stream does not hold', async () => {
      const client = await connect({ token: 'test-token', resume_from: '1-0' });
      expect(client.established.resume?.recovered).toBe(false);
    });
  });

  it('skips a record that is not an event and keeps delivering', async () => {
    const client = await connect({ token: 'test-token', agent_filter: ['after-poison'] });
    const redis = new Redis(process.env.AUREN_TEST_REDIS_URL as string);
    try {
      await redis.xadd(config.stream.key, '*', 'event', '{not json');
      await redis.xadd(config.stream.key, '*', 'event', '{"event_type":"llm_call"}');
    } finally {
      redis.disconnect();
    }
    const after = ev('after-poison');
    await publish([after]);
    expect(ids(await client.waitForEvents(1))).toEqual([after.event_id]);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/auren_gateway_stream_poison_total 2/);
  });
});

describe('Gateway at capacity', () => {
  it('refuses a connection over AUREN_MAX_CONNECTIONS with SERVER_AT_CAPACITY', async () => {
    const gateway = await startGateway(await testConfig({ AUREN_MAX_CONNECTIONS: '2' }));
    const held = [
      await connectClient(gateway.url, { token: 'test-1' }),
      await connectClient(gateway.url, { token: 'test-2' }),
    ];
    try {
      const refused = await refusal(gateway.url, { token: 'test-3' });
      expect(refused).toEqual({
        code: 'SERVER_AT_CAPACITY',
        message: expect.stringContaining('capacity'),
      });
      const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
      expect(metrics).toMatch(
        /auren_gateway_connections_refused_total\{code="SERVER_AT_CAPACITY"\} 1/,
      );
      expect(metrics).toMatch(/auren_gateway_stream_lag_ms \d+/);
    } finally {
      for (const c of held) c.close();
      await gateway.close();
    }
  });
});

describe('Gateway in production mode', () => {
  it('refuses test tokens and accepts a signed JWT with exp', async () => {
    const config = await testConfig({ NODE_ENV: 'production', AUREN_JWT_SECRET: SECRET });
    const gateway = await startGateway(config);
    try {
      const refused = await refusal(gateway.url, { token: 'test-token-123' });
      expect(refused.code).toBe('AUTH_FAILED');
      expect((await refusal(gateway.url, { token: token({ sub: 'x' }, { exp: null }) })).code).toBe(
        'AUTH_FAILED',
      );
      const client = await connectClient(gateway.url, { token: token({ sub: 'erin' }) });
      expect(client.established.user_id).toBe('erin');
      client.close();
    } finally {
      await gateway.close();
    }
  });
});

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
