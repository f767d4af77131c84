import type { StreamGapMessage } from '@auren/contracts';
import { postJson, RunningApp, startGateway, startIngest, testConfig } from '../harness/apps';
import { connectClient, tcpOf } from '../harness/clients';
import { readMetrics, sample } from '../harness/metrics';
import { nextEvent, waitFor } from '../harness/wait';

// Above the transport's read batch (500): a healthy client that gets a burst in one tick is not "slow".
const QUEUE_LIMIT = 1000;
const TOTAL = 6000;

/** A sample of the gateway's /metrics (NaN when absent). */
async function metric(url: string, name: string): Promise<number> {
  return sample(await readMetrics(url), name) ?? NaN;
}

describe('A client that stops reading', () => {
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

  it('is left out at its queue bound, gets a stream_gap naming what it missed, and is live again after', async () => {
    const healthy = await connectClient(gateway.url, {
      token: 'test-healthy',
      agent_filter: ['flood'],
    });
    const slow = await connectClient(gateway.url, { token: 'test-slow', agent_filter: ['flood'] });
    const tcp = tcpOf(slow);
    tcp.pause();

    const padding = 'x'.repeat(2048);
    const streamIds: string[] = [];
    for (let i = 0; i < TOTAL; i += 200) {
      const events = Array.from({ length: 200 }, (_, j) => ({
        event_id: `flood-${i + j}`,
        event_type: 'tool_usage',
        source_agent: { id: 'flood' },
        payload: { padding },
      }));
      const reply = await postJson(`${ingest.url}/v1/events/batch`, { events });
      expect(reply.status).toBe(202);
      streamIds.push(
        ...(reply.body.results as Array<{ stream_id: string }>).map((r) => r.stream_id),
      );
    }
    await healthy.waitForEvents(TOTAL, 30_000);
    expect(healthy.events.map((e) => e.stream_id)).toEqual(streamIds);

    await waitFor(
      async () => (await metric(gateway.url, 'auren_gateway_slow_consumers_total')) >= 1,
      { what: 'the slow mark' },
    );
    // The bound holds: the queue never grew past the limit (plus the odd ping).
    const highWater = await metric(gateway.url, 'auren_gateway_client_queue_high_water');
    expect(highWater).toBeGreaterThanOrEqual(QUEUE_LIMIT);
    expect(highWater).toBeLessThanOrEqual(QUEUE_LIMIT + 5);

    const gap = nextEvent<StreamGapMessage>(slow.socket, 'stream_gap', 30_000);
    tcp.resume();
    const notice = await gap;
    const received = slow.events.map((e) => e.stream_id);
    // What arrived is a prefix of the stream, and the gap covers exactly the rest.
    expect(received).toEqual(streamIds.slice(0, received.length));
    expect(notice).toEqual({
      type: 'stream_gap',
      from: streamIds[received.length],
      to: streamIds[TOTAL - 1],
      skipped: TOTAL - received.length,
    });

    const after = await postJson(`${ingest.url}/v1/events`, {
      event_type: 'tool_usage',
      source_agent: { id: 'flood' },
    });
    await waitFor(() => slow.events.some((e) => e.stream_id === after.body.stream_id), {
      what: 'a live event after the gap',
    });
    healthy.close();
    slow.close();
  });
});

describe('Client health limits', () => {
  let gateway: RunningApp;

  beforeAll(async () => {
    gateway = await startGateway(
      await testConfig({ AUREN_PING_INTERVAL_MS: '300', AUREN_PING_TIMEOUT_MS: '300' }),
    );
  });
  afterAll(() => gateway.close());

  it('drops a client that stops answering pings within interval + timeout', async () => {
    const client = await connectClient(gateway.url, { token: 'test-silent' });
    await waitFor(async () => (await metric(gateway.url, 'auren_gateway_connections')) === 1, {
      what: 'one connection',
    });
    const started = Date.now();
    tcpOf(client).pause();
    await waitFor(async () => (await metric(gateway.url, 'auren_gateway_connections')) === 0, {
      timeoutMs: 10_000,
      what: 'the silent client to be dropped',
    });
    expect(Date.now() - started).toBeLessThan(3000);
    client.close();
  });

  it('closes a connection that sends a message over 1 MiB', async () => {
    const client = await connectClient(gateway.url, { token: 'test-big' });
    const closed = nextEvent<string>(client.socket, 'disconnect');
    client.socket.emit('get_recent', {
      limit: 1,
      event_types: ['x'.repeat(1024 * 1024 + 1)],
    } as never);
    expect(await closed).toBe('transport close');
  });
});

describe('A long resume', () => {
  let ingest: RunningApp;
  let gateway: RunningApp;

  beforeAll(async () => {
    const config = await testConfig({
      AUREN_CLIENT_QUEUE_LIMIT: '600',
      AUREN_RESUME_MAX_EVENTS: '5000',
    });
    ingest = await startIngest(config);
    gateway = await startGateway(config);
  });
  afterAll(async () => {
    await gateway.close();
    await ingest.close();
  });

  const post = async (count: number, agent: string): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 500) {
      const events = Array.from({ length: Math.min(500, count - i) }, () => ({
        event_type: 'llm_call',
        source_agent: { id: agent },
      }));
      const reply = await postJson(`${ingest.url}/v1/events/batch`, { events });
      ids.push(...(reply.body.results as Array<{ stream_id: string }>).map((r) => r.stream_id));
    }
    return ids;
  };

  it('is sent a page at a time: the queue stays within its bound and no gap follows', async () => {
    const [first] = await post(1, 'replayer');
    const missed = await post(3000, 'replayer');
    const client = await connectClient(gateway.url, {
      token: 'test-r',
      agent_filter: ['replayer'],
      resume_from: first,
    });
    expect(client.established.resume).toEqual({ recovered: true, replayed: 3000, from: first });
    // Replayed events arrive before connection_established, which opens live delivery.
    expect(client.events.map((e) => e.stream_id)).toEqual(missed);
    expect(await metric(gateway.url, 'auren_gateway_client_queue_high_water')).toBeLessThanOrEqual(
      600,
    );
    expect(await metric(gateway.url, 'auren_gateway_slow_consumers_total')).toBe(0);
    client.close();
  });

  it('stops at AUREN_RESUME_MAX_EVENTS and says recovered: false', async () => {
    const [first] = await post(1, 'capped');
    await post(6000, 'capped');
    const client = await connectClient(gateway.url, {
      token: 'test-r',
      agent_filter: ['capped'],
      resume_from: first,
    });
    expect(client.established.resume).toMatchObject({ recovered: false, from: first });
    expect(client.established.resume?.replayed).toBeGreaterThanOrEqual(5000);
    expect(client.established.resume?.replayed).toBeLessThan(6000);
    client.close();
  });
});
