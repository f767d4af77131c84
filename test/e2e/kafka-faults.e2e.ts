import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import type { RecentEventsMessage } from '@auren/contracts';
import { AppProcess, postJson } from '../harness/apps';
import { connectClient, ConnectedClient } from '../harness/clients';
import { KafkaBroker, testKafkaBrokers } from '../harness/kafka';
import { freePort } from '../harness/ports';
import { RedisServer } from '../harness/redis';
import { waitFor } from '../harness/wait';

/**
 * Backends going away under load, with separate ingest and gateway processes, a Kafka broker and
 * a redis-server of this file's own (they are killed here).
 */
describe('Kafka and hybrid backends when a backend dies', () => {
  let broker: KafkaBroker;
  let redis: RedisServer;
  const running: AppProcess[] = [];
  const clients: ConnectedClient[] = [];
  let seq = 0;

  beforeAll(async () => {
    [broker, redis] = await Promise.all([KafkaBroker.start(), RedisServer.start()]);
  }, 120_000);
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await Promise.all(running.splice(0).map((p) => p.stop()));
  });
  afterAll(async () => {
    await Promise.all([broker?.dispose(), redis?.dispose()]);
  });

  /** One ingest and one gateway process for `backend`, on a topic and stream key of their own. */
  async function stack(backend: 'kafka' | 'hybrid', env: Record<string, string> = {}) {
    const common = {
      AUREN_STREAM_BACKEND: backend,
      KAFKA_BROKERS: broker.bootstrapServers,
      AUREN_KAFKA_TOPIC: `faults.${Date.now()}.${seq++}`,
      REDIS_URL: redis.url,
      AUREN_STREAM_KEY: `faults:${Date.now()}:${seq++}`,
      AUREN_RETRY_AFTER_SECONDS: '2',
      ...env,
    };
    const [ingestPort, gatewayPort] = [await freePort(), await freePort()];
    const ingest = AppProcess.spawn('ingest', { ...common, INGEST_PORT: String(ingestPort) });
    const gateway = AppProcess.spawn('gateway', { ...common, GATEWAY_PORT: String(gatewayPort) });
    running.push(ingest, gateway);
    const urls = {
      ingest: `http://127.0.0.1:${ingestPort}`,
      gateway: `http://127.0.0.1:${gatewayPort}`,
    };
    await Promise.all([
      ingest.ready(`${urls.ingest}/health/ready`, 60_000),
      gateway.ready(`${urls.gateway}/health/ready`, 60_000),
    ]);
    return { ...urls, ingestProcess: ingest, gatewayProcess: gateway, env: common };
  }

  const event = (agent: string, prefix: string) => ({
    event_id: `${prefix}-${Date.now()}-${seq++}`,
    event_type: 'tool_usage',
    source_agent: { id: agent },
  });

  /** Posts until one is accepted (a backend coming back); answers the refused event_ids. */
  async function postUntilAccepted(
    url: string,
    agent: string,
  ): Promise<{ refused: string[]; accepted: string }> {
    const refused: string[] = [];
    const accepted = await waitFor(
      async () => {
        const probe = event(agent, 'probe');
        const reply = await postJson(`${url}/v1/events`, probe);
        if (reply.status === 202) return probe.event_id;
        refused.push(probe.event_id);
        return undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'ingest to accept events again' },
    );
    return { refused, accepted };
  }

  it('Kafka mode: broker down → 503 with Retry-After, and nothing refused shows up after it returns', async () => {
    const s = await stack('kafka');
    const client = await connectClient(s.gateway, { token: 'test', agent_filter: ['down-a'] });
    clients.push(client);
    const first = event('down-a', 'before');
    expect((await postJson(`${s.ingest}/v1/events`, first)).status).toBe(202);
    await client.waitForEvents(1);

    await broker.kill();
    const refusedEvent = event('down-a', 'refused');
    const refusal = await postJson(`${s.ingest}/v1/events`, refusedEvent);
    expect(refusal.status).toBe(503);
    expect(refusal.headers.get('retry-after')).toBe('2');
    expect(refusal.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });

    await broker.restart();
    const { refused, accepted } = await postUntilAccepted(s.ingest, 'down-a');
    const last = event('down-a', 'after');
    expect((await postJson(`${s.ingest}/v1/events`, last)).status).toBe(202);

    await waitFor(() => client.events.some((e) => e.event_id === last.event_id), {
      timeoutMs: 60_000,
      what: 'the gateway to deliver again after the broker came back',
    });
    const delivered = client.events.map((e) => e.event_id);
    expect(delivered).toEqual([first.event_id, accepted, last.event_id]);
    for (const id of [refusedEvent.event_id, ...refused]) expect(delivered).not.toContain(id);

    // Nor is any refused event in the topic.
    const kafka = new Kafka({
      clientId: 'faults-check',
      brokers: [broker.bootstrapServers],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(s.env.AUREN_KAFKA_TOPIC);
    await admin.disconnect();
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(3);
  });

  /**
   * Posts `total` events in batches of 25, four requests at a time, and calls `fault` once
   * `faultAfter` events were accepted. Answers the accepted and refused event_ids.
   */
  async function burst(
    url: string,
    agent: string,
    total: number,
    faultAfter: number,
    fault: () => Promise<void>,
  ) {
    const accepted: string[] = [];
    const refused: string[] = [];
    const batches = Array.from({ length: total / 25 }, () =>
      Array.from({ length: 25 }, () => event(agent, 'burst')),
    );
    let faulted: Promise<void> | undefined;
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        const reply = await postJson(`${url}/v1/events/batch`, { events: batch });
        (reply.status === 202 ? accepted : refused).push(...batch.map((e) => e.event_id));
        if (!faulted && accepted.length >= faultAfter) faulted = fault();
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    await faulted;
    return { accepted, refused };
  }

  async function expectExactlyOnce(client: ConnectedClient, accepted: string[], refused: string[]) {
    const want = new Set(accepted);
    await waitFor(
      () => {
        const have = new Set(client.events.map((e) => e.event_id));
        return [...want].every((id) => have.has(id));
      },
      {
        timeoutMs: 90_000,
        what: `all ${want.size} accepted events (have ${client.events.length})`,
      },
    );
    const ids = client.events.map((e) => e.event_id);
    expect(ids.length).toBe(new Set(ids).size); // no event twice
    for (const id of refused) expect(want.has(id) || !ids.includes(id)).toBe(true);
    expect(ids.filter((id) => id.startsWith('burst') && !want.has(id))).toEqual([]);
  }

  it('hybrid any: Redis killed mid-burst → every event answered 202 reaches the client exactly once', async () => {
    const s = await stack('hybrid');
    const client = await connectClient(s.gateway, { token: 'test', agent_filter: ['burst-r'] });
    clients.push(client);
    const { accepted, refused } = await burst(s.ingest, 'burst-r', 5000, 1000, () =>
      redis.stop('SIGKILL'),
    );
    expect(accepted.length).toBeGreaterThan(4000);
    await expectExactlyOnce(client, accepted, refused);
    await redis.launch();
  });

  it('hybrid any: Kafka killed mid-burst → every event answered 202 reaches the client exactly once', async () => {
    const s = await stack('hybrid');
    const client = await connectClient(s.gateway, { token: 'test', agent_filter: ['burst-k'] });
    clients.push(client);
    const { accepted, refused } = await burst(s.ingest, 'burst-k', 5000, 1000, () => broker.kill());
    expect(accepted.length).toBeGreaterThan(4000);
    await expectExactlyOnce(client, accepted, refused);
    await broker.restart();
  });

  it('hybrid all: one backend down → 503, and the half-written event never reaches a dashboard', async () => {
    const s = await stack('hybrid', {
      AUREN_HYBRID_ACK: 'all',
      AUREN_HYBRID_PAIR_WAIT_MS: '30000',
    });
    const client = await connectClient(s.gateway, { token: 'test', agent_filter: ['all-a'] });
    clients.push(client);
    const ok = event('all-a', 'ok');
    expect((await postJson(`${s.ingest}/v1/events`, ok)).status).toBe(202);
    await client.waitForEvents(1);

    // Kafka down: Redis stores it, ingest takes it back with a tombstone and answers 503.
    await broker.kill();
    const halfInRedis = event('all-a', 'half');
    expect((await postJson(`${s.ingest}/v1/events`, halfInRedis)).status).toBe(503);
    const records = await new Redis(redis.url).xrange(s.env.AUREN_STREAM_KEY, '-', '+');
    expect(records.some(([, fields]) => fields[1].includes(halfInRedis.event_id))).toBe(true);
    await broker.restart();
    const back = await postUntilAccepted(s.ingest, 'all-a');

    // Redis down: Kafka stores it, ingest takes it back there.
    await redis.stop('SIGKILL');
    const halfInKafka = event('all-a', 'half');
    expect((await postJson(`${s.ingest}/v1/events`, halfInKafka)).status).toBe(503);
    await redis.launch();
    const back2 = await postUntilAccepted(s.ingest, 'all-a');
    const last = event('all-a', 'last');
    expect((await postJson(`${s.ingest}/v1/events`, last)).status).toBe(202);

    await waitFor(() => client.events.some((e) => e.event_id === last.event_id), {
      timeoutMs: 60_000,
      what: 'the last event',
    });
    // Nothing waits for a second copy any more, and the half-written events were cancelled by
    // their tombstones rather than released alone. The pairing wait is long here (30 s): a
    // gateway's Kafka reader can take several seconds to come back after the broker restarts,
    // and `last` can only be delivered as a pair once that reader has passed the tombstones
    // (same agent, same partition, written before it).
    const metric = async (pattern: RegExp) => {
      const text = await (await fetch(`${s.gateway}/metrics`)).text();
      return Number(pattern.exec(text)?.[1] ?? 0);
    };
    await waitFor(async () => (await metric(/auren_gateway_copies_waiting (\d+)/)) === 0, {
      timeoutMs: 10_000,
      what: 'no event waiting for its second copy',
    });
    expect(
      await metric(/auren_gateway_copies_total\{outcome="cancelled"\} (\d+)/),
    ).toBeGreaterThanOrEqual(2);
    expect(await metric(/auren_gateway_copies_total\{outcome="released_alone"\} (\d+)/)).toBe(0);
    const ids = client.events.map((e) => e.event_id);
    expect(ids).toEqual([ok.event_id, back.accepted, back2.accepted, last.event_id]);
    for (const id of [
      halfInRedis.event_id,
      halfInKafka.event_id,
      ...back.refused,
      ...back2.refused,
    ])
      expect(ids).not.toContain(id);
    const recent = (await client.socket
      .timeout(5000)
      .emitWithAck('get_recent', { limit: 50 })) as RecentEventsMessage;
    expect(recent.events.map((e) => e.event_id)).not.toContain(halfInRedis.event_id);
  });
});

describe('Kafka mode with separate processes: one ingest, two gateways, the shared broker', () => {
  const brokers = testKafkaBrokers().join(',');
  const env = {
    AUREN_STREAM_BACKEND: 'kafka',
    KAFKA_BROKERS: brokers,
    AUREN_KAFKA_TOPIC: `e2e.kafka.${Date.now()}`,
  };
  let processes: AppProcess[] = [];
  const clients: ConnectedClient[] = [];
  afterAll(async () => {
    for (const client of clients) client.close();
    await Promise.all(processes.map((p) => p.stop()));
  });

  it('delivers POSTed events to filtered clients on both gateways and logs a skipped poison record', async () => {
    const [ingestPort, g1, g2] = [await freePort(), await freePort(), await freePort()];
    const ingest = AppProcess.spawn('ingest', { ...env, INGEST_PORT: String(ingestPort) });
    const gateways = [g1, g2].map((port) =>
      AppProcess.spawn('gateway', { ...env, GATEWAY_PORT: String(port) }),
    );
    processes = [ingest, ...gateways];
    const ingestUrl = `http://127.0.0.1:${ingestPort}`;
    const urls = [g1, g2].map((port) => `http://127.0.0.1:${port}`);
    await ingest.ready(`${ingestUrl}/health/ready`, 60_000);
    await Promise.all(gateways.map((g, i) => g.ready(`${urls[i]}/health/ready`, 60_000)));

    const filters = [['scout'], ['critic', 'scout'], []];
    for (const url of urls)
      for (const agent_filter of filters)
        clients.push(await connectClient(url, { token: 'test', agent_filter }));

    const producer = new Kafka({
      clientId: 'e2e-poison',
      brokers: brokers.split(','),
      logLevel: logLevel.NOTHING,
    }).producer();
    await producer.connect();
    await producer.send({
      topic: env.AUREN_KAFKA_TOPIC,
      messages: [{ key: 'scout', value: 'oops' }],
    });
    await producer.disconnect();

    const agents = ['scout', 'critic', 'planner'];
    const events = Array.from({ length: 90 }, (_, i) => ({
      event_id: `kafka-e2e-${i}`,
      event_type: 'agent_decision',
      source_agent: { id: agents[i % 3] },
    }));
    expect((await postJson(`${ingestUrl}/v1/events/batch`, { events })).status).toBe(202);
    for (const [i, client] of clients.entries()) {
      const filter = filters[i % filters.length];
      const want = events
        .filter((e) => filter.length === 0 || filter.includes(e.source_agent.id))
        .map((e) => e.event_id);
      await client.waitForEvents(want.length, 30_000);
      // Per agent in order, each once, nothing else.
      const got = client.events.map((e) => e.event_id);
      for (const agent of agents) {
        const mine = (ids: string[]) =>
          ids.filter((id) => agents[Number(id.split('-')[2]) % 3] === agent);
        expect(mine(got)).toEqual(mine(want));
      }
      expect([...got].sort()).toEqual([...want].sort());
    }
    for (const gateway of gateways)
      expect(gateway.text).toMatch(/Skipped Kafka record \d+-\d+: not JSON/);
  });
});
