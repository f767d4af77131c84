import type { StreamedEvent, StreamGapMessage } from '@auren/contracts';
import { postJson, RunningApp, startGateway, startIngest, testConfig } from '../harness/apps';
import { Client, connectClient, ConnectedClient, refusal, tcpOf } from '../harness/clients';
import { readMetrics, sample } from '../harness/metrics';
import { nextEvent, waitFor } from '../harness/wait';

let seq = 0;
const ev = (agent: string, over: Record<string, unknown> = {}) => ({
  event_id: `batch-${Date.now()}-${seq++}`,
  event_type: 'agent_decision',
  source_agent: { id: agent },
  ...over,
});
const ids = (events: StreamedEvent[]) => events.map((e) => e.event_id);

/** Round trip on the same connection: everything emitted to it before has arrived after this. */
async function settle(client: Client): Promise<void> {
  await client.timeout(5000).emitWithAck('ping', {});
}

/** A mix over three agents and four types, some with a confidence score. */
function mixed(count: number): Array<Record<string, unknown>> {
  const agents = ['b-alpha', 'b-beta', 'b-gamma'];
  return Array.from({ length: count }, (_, i) => {
    const agent = agents[i % 3];
    if (i % 4 === 0)
      return ev(agent, {
        event_type: 'llm_call',
        performance_metrics: { latency_ms: 10 + i, confidence_score: (i % 10) / 10 },
      });
    if (i % 4 === 1) return ev(agent, { event_type: 'tool_usage', payload: { tool_name: 't' } });
    if (i % 4 === 2) return ev(agent, { event_type: 'agent_collaboration' });
    return ev(agent);
  });
}

describe("delivery: 'batch' — stream_events over a real Redis", () => {
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

  beforeAll(async () => {
    const config = await testConfig();
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

  it('is granted in connection_established; a bad value is refused naming the field', async () => {
    const batch = await connect({ token: 'test-batch', delivery: 'batch' });
    const plain = await connect({ token: 'test-plain' });
    expect(batch.established.delivery).toBe('batch');
    expect(plain.established.delivery).toBe('event');
    const data = await refusal(gateway.url, {
      token: 'test-bad',
      delivery: 'bulk' as unknown as 'batch',
    });
    expect(data.code).toBe('BAD_HANDSHAKE');
    expect(data.message).toMatch(/delivery must be one of event, batch/);
  });

  it('delivers exactly what a stream_event connection with the same filters gets, in order, in fewer messages', async () => {
    const shapes: Array<Parameters<typeof connectClient>[1]> = [
      {},
      { agent_filter: ['b-beta'] },
      { performance_threshold: 0.5 },
      { subscriptions: ['llm_usage', 'tool_usage'] },
      // An llm_call with performance_metrics selects both subscriptions' rooms: once, still.
      { subscriptions: ['all_events', 'agent_performance'], agent_filter: ['b-alpha', 'b-gamma'] },
    ];
    const pairs: Array<{ plain: ConnectedClient; batch: ConnectedClient; twin: ConnectedClient }> =
      [];
    for (const [i, shape] of shapes.entries()) {
      pairs.push({
        plain: await connect({ token: `test-p${i}`, ...shape }),
        batch: await connect({ token: `test-b${i}`, ...shape, delivery: 'batch' }),
        // A second batch connection of the same filters shares the group: gets the same.
        twin: await connect({ token: `test-t${i}`, ...shape, delivery: 'batch' }),
      });
    }
    const events = mixed(300);
    await publish(events.slice(0, 150));
    await publish(events.slice(150));
    const last = events.at(-1)!.event_id as string;
    // The first shape sees everything: once it has the last event, every connection has been sent
    // what it will get (one stream, one reader, emits in stream order).
    await waitFor(() => ids(pairs[0].plain.events).includes(last), { what: 'the last event' });
    for (const { plain, batch, twin } of pairs) {
      await Promise.all([settle(plain.socket), settle(batch.socket), settle(twin.socket)]);
      expect(plain.events.length).toBeGreaterThan(0);
      expect(ids(batch.events)).toEqual(ids(plain.events));
      expect(ids(twin.events)).toEqual(ids(plain.events));
      // Every event of the batches carries its position, as a stream_event would.
      expect(batch.events.map((e) => e.stream_id)).toEqual(plain.events.map((e) => e.stream_id));
      expect(plain.batches).toEqual([]);
      expect(batch.batches.reduce((a, b) => a + b, 0)).toBe(batch.events.length);
    }
    // Batched: the 300 events of two stream reads came in far fewer messages.
    expect(pairs[0].batch.batches.length).toBeLessThan(pairs[0].batch.events.length / 10);
  });

  it('follows filter_update and subscribe into another group', async () => {
    const client = await connect({
      token: 'test-fu',
      agent_filter: ['b-alpha'],
      delivery: 'batch',
    });
    await publish([ev('b-alpha'), ev('b-beta')]);
    await client.waitForEvents(1);
    await client.socket
      .timeout(5000)
      .emitWithAck('filter_update', { agent_filter: ['b-beta'], performance_threshold: 0 });
    const next = [ev('b-alpha'), ev('b-beta'), ev('b-beta')];
    await publish(next);
    await client.waitForEvents(3);
    await settle(client.socket);
    expect(client.events.map((e) => e.source_agent.id)).toEqual(['b-alpha', 'b-beta', 'b-beta']);
    await client.socket.timeout(5000).emitWithAck('subscribe', { subscription: 'llm_usage' });
    await client.socket.timeout(5000).emitWithAck('unsubscribe', { subscription: 'all_events' });
    const llm = ev('b-beta', { event_type: 'llm_call' });
    await publish([ev('b-beta'), llm]);
    await client.waitForEvents(4);
    await settle(client.socket);
    expect(client.events.at(-1)!.event_id).toBe(llm.event_id);
    expect(client.events).toHaveLength(4);
  });

  it('resumes from the last position of a batch: the replay comes as stream_events, no gap, no duplicate', async () => {
    const first = await connect({ token: 'test-r', agent_filter: ['b-resume'], delivery: 'batch' });
    await publish([ev('b-resume'), ev('b-resume')]);
    const seen = await first.waitForEvents(2);
    first.close();
    const missed = Array.from({ length: 250 }, (_, i) =>
      ev(i % 2 ? 'b-resume' : 'b-other', { event_type: 'tool_usage' }),
    );
    await publish(missed);
    const again = await connect({
      token: 'test-r',
      agent_filter: ['b-resume'],
      delivery: 'batch',
      resume_from: seen.at(-1)!.stream_id,
    });
    const expected = missed.filter((e) => e.source_agent.id === 'b-resume').map((e) => e.event_id);
    expect(again.established.resume).toEqual({
      recovered: true,
      replayed: expected.length,
      from: seen.at(-1)!.stream_id,
    });
    expect(again.batches.length).toBeGreaterThan(0);
    expect(again.batches.length).toBeLessThan(expected.length);
    const live = ev('b-resume');
    await publish([live]);
    await again.waitForEvents(expected.length + 1);
    await settle(again.socket);
    expect(ids(again.events)).toEqual([...expected, live.event_id]);
  });
});

describe("delivery: 'batch' — a batch connection that stops reading", () => {
  // The bound counts events whatever the delivery: two queued batches of a full read pass it.
  const QUEUE_LIMIT = 501;
  const TOTAL = 12_000;
  let ingest: RunningApp;
  let gateway: RunningApp;

  beforeAll(async () => {
    const config = await testConfig({ AUREN_CLIENT_QUEUE_LIMIT: String(QUEUE_LIMIT) });
    ingest = await startIngest(config);
    gateway = await startGateway(config);
  });
  afterAll(async () => {
    await gateway.close();
    await ingest.close();
  });

  it('is left out at its queue bound and told exactly what it missed after the last event of its last batch', async () => {
    const slow = await connectClient(gateway.url, {
      token: 'test-slow-batch',
      agent_filter: ['b-flood'],
      delivery: 'batch',
    });
    const tcp = tcpOf(slow);
    tcp.pause();
    const padding = 'x'.repeat(4096);
    const streamIds: string[] = [];
    for (let i = 0; i < TOTAL; i += 200) {
      const events = Array.from({ length: 200 }, (_, j) => ({
        event_id: `b-flood-${Date.now()}-${i + j}`,
        event_type: 'tool_usage',
        source_agent: { id: 'b-flood' },
        payload: { padding },
      }));
      const reply = await postJson(`${ingest.url}/v1/events/batch`, { events });
      expect(reply.status).toBe(202);
      streamIds.push(
        ...(reply.body.results as Array<{ stream_id: string }>).map((r) => r.stream_id),
      );
    }
    const gap = nextEvent<StreamGapMessage>(slow.socket, 'stream_gap', 30_000);
    tcp.resume();
    const notice = await gap;
    // The bound held, in events: at most the limit plus one batch.
    const highWater = sample(
      await readMetrics(gateway.url),
      'auren_gateway_client_queue_high_water',
    );
    expect(highWater).toBeGreaterThanOrEqual(QUEUE_LIMIT);
    expect(highWater).toBeLessThan(QUEUE_LIMIT + 500);
    const received = slow.events.map((e) => e.stream_id);
    expect(received.length).toBeGreaterThan(0);
    expect(received.length).toBeLessThan(TOTAL);
    expect(received).toEqual(streamIds.slice(0, received.length));
    expect(notice).toEqual({
      type: 'stream_gap',
      from: streamIds[received.length],
      to: streamIds[TOTAL - 1],
      skipped: TOTAL - received.length,
    });
    const after = await postJson(`${ingest.url}/v1/events`, {
      event_type: 'tool_usage',
      source_agent: { id: 'b-flood' },
    });
    await waitFor(() => slow.events.some((e) => e.stream_id === after.body.stream_id), {
      what: 'a live event after the gap',
    });
    slow.close();
  });
});
