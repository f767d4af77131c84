import Redis from 'ioredis';
import { io } from 'socket.io-client';
import {
  AGENT_EVENT_TYPES,
  type ConnectErrorData,
  type ConnectionEstablishedMessage,
  type HandshakeAuth,
  type StreamedEvent,
  type StreamGapMessage,
} from '@auren/contracts';
import { AppProcess, postJson } from '../harness/apps';
import type { Client } from '../harness/clients';
import { NginxProxy } from '../harness/nginx';
import { freePort } from '../harness/ports';
import { waitFor } from '../harness/wait';

/**
 * Horizontal scale (issue 4, part 5; CONTRACT §4 resume, §5 fan-out): one ingest and two gateway
 * processes on a real Redis, a real nginx in front of the gateways, real socket.io-clients that
 * reconnect by themselves and resume from the last stream_id they saw.
 */

const AGENTS = ['neuroscientist', 'training_coach', 'nutritionist', 'sleep_analyst'];
/** Mixed agent filters: all agents, one, two, and another one. */
const FILTERS: string[][] = [
  [],
  ['neuroscientist'],
  ['training_coach', 'sleep_analyst'],
  ['nutritionist'],
  ['sleep_analyst'],
];
const TOKEN = 'test-token-scale';

interface Posted {
  event_id: string;
  stream_id: string;
  agent: string;
}

/** Measurements printed at the end (docs/scaling.md quotes them). */
const measured: Record<string, unknown> = {};

let sequence = 0;
function makeEvents(count: number, agents: string[] = AGENTS) {
  return Array.from({ length: count }, () => {
    const n = sequence++;
    return {
      event_id: `scale-${n}`,
      event_type: AGENT_EVENT_TYPES[n % AGENT_EVENT_TYPES.length],
      source_agent: { id: agents[n % agents.length] },
    };
  });
}

/** Posts events in batches of at most 500 and returns what ingest answered, in stream order. */
async function post(
  ingestUrl: string,
  events: ReturnType<typeof makeEvents>,
  batchSize = 500,
): Promise<Posted[]> {
  const posted: Posted[] = [];
  for (let i = 0; i < events.length; i += batchSize) {
    const batch = events.slice(i, i + batchSize);
    const reply = await postJson(`${ingestUrl}/v1/events/batch`, { events: batch });
    if (reply.status !== 202)
      throw new Error(`ingest answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    const results = reply.body.results as { event_id: string; stream_id: string }[];
    results.forEach((r, j) => posted.push({ ...r, agent: batch[j].source_agent.id }));
  }
  return posted;
}

function matching(posted: Posted[], filter: string[]): Posted[] {
  return posted.filter((p) => filter.length === 0 || filter.includes(p.agent));
}

/** A compact comparison, so that a failure says what went wrong instead of printing 10,000 ids. */
function compare(received: StreamedEvent[], expected: Posted[]) {
  const ids = received.map((e) => e.stream_id);
  const seen = new Set<string>();
  let duplicates = 0;
  for (const id of ids) {
    if (seen.has(id)) duplicates += 1;
    seen.add(id);
  }
  const missing = expected.filter((p) => !seen.has(p.stream_id)).length;
  const wanted = new Set(expected.map((p) => p.stream_id));
  const unexpected = ids.filter((id) => !wanted.has(id)).length;
  const firstDifference = expected.findIndex(
    (p, i) => ids[i] !== p.stream_id || received[i].event_id !== p.event_id,
  );
  return {
    received: ids.length,
    expected: expected.length,
    duplicates,
    missing,
    unexpected,
    identical: firstDifference === -1 && ids.length === expected.length,
    firstDifference,
  };
}

const exact = (expected: Posted[]) => ({
  received: expected.length,
  expected: expected.length,
  duplicates: 0,
  missing: 0,
  unexpected: 0,
  identical: true,
  firstDifference: -1,
});

/**
 * A socket.io-client as an application would write it: automatic reconnection, and `auth` as a
 * function so that every (re)connection sends the last stream_id seen as `resume_from`.
 */
class ResumingClient {
  readonly socket: Client;
  readonly events: StreamedEvent[] = [];
  readonly established: ConnectionEstablishedMessage[] = [];
  readonly gaps: StreamGapMessage[] = [];
  readonly refusals: ConnectErrorData[] = [];
  readonly disconnects: { reason: string; at: number }[] = [];
  /** Time from each disconnect to the next connection_established, in ms. */
  readonly reconnectMs: number[] = [];
  private last?: string;

  constructor(
    url: string,
    readonly filter: string[],
    options: { transports?: string[]; withCredentials?: boolean; resumeFrom?: string } = {},
  ) {
    this.last = options.resumeFrom;
    this.socket = io(url, {
      transports: options.transports ?? ['websocket'],
      withCredentials: options.withCredentials ?? false,
      forceNew: true,
      auth: (cb: (data: HandshakeAuth) => void) =>
        cb({
          token: TOKEN,
          agent_filter: filter,
          ...(this.last ? { resume_from: this.last } : {}),
        }),
    });
    this.socket.on('stream_event', ({ event }) => {
      this.events.push(event);
      this.last = event.stream_id;
    });
    this.socket.on('connection_established', (message) => {
      this.established.push(message);
      const lastDisconnect = this.disconnects[this.disconnects.length - 1];
      if (lastDisconnect && this.reconnectMs.length < this.disconnects.length)
        this.reconnectMs.push(Date.now() - lastDisconnect.at);
    });
    this.socket.on('stream_gap', (gap) => this.gaps.push(gap));
    this.socket.on('disconnect', (reason) => this.disconnects.push({ reason, at: Date.now() }));
    this.socket.on('connect_error', (error: Error & { data?: ConnectErrorData }) => {
      if (error.data) this.refusals.push(error.data);
    });
  }

  get lastStreamId(): string | undefined {
    return this.last;
  }

  /** Resolves on the first connection_established. */
  ready(timeoutMs = 10_000): Promise<this> {
    return waitFor(() => this.established.length > 0 && this, {
      timeoutMs,
      what: `connection_established (refusals: ${JSON.stringify(this.refusals)})`,
    });
  }

  /** Waits until the last expected event arrived (or more events than expected did). */
  async receivedAll(expected: Posted[], timeoutMs: number): Promise<void> {
    const last = expected[expected.length - 1]?.stream_id;
    await waitFor(
      () => this.events.length >= expected.length || this.events.some((e) => e.stream_id === last),
      {
        timeoutMs,
        what: `${expected.length} events for filter ${JSON.stringify(this.filter)} (have ${this.events.length}, gaps ${JSON.stringify(this.gaps)})`,
      },
    ).catch(() => undefined);
  }

  close(): void {
    this.socket.close();
  }
}

async function metric(gatewayUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} in ${gatewayUrl}/metrics`);
  return Number(line.slice(name.length + 1));
}

const connectionsOn = (gatewayUrl: string) => metric(gatewayUrl, 'auren_gateway_connections');

/** Delivery figures of a gateway, for the measurements. */
async function deliveryFigures(gatewayUrl: string): Promise<Record<string, number>> {
  const names = [
    'auren_gateway_events_replayed_total',
    'auren_gateway_slow_consumers_total',
    'auren_gateway_stream_gaps_total',
    'auren_gateway_client_queue_high_water',
  ];
  const values = await Promise.all(names.map((name) => metric(gatewayUrl, name)));
  return Object.fromEntries(
    names.map((name, i) => [name.replace('auren_gateway_', ''), values[i]]),
  );
}

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { count: sorted.length, min: sorted[0], median: at(0.5), max: sorted[sorted.length - 1] };
}

describe('Two gateways behind a real nginx', () => {
  const redisUrl = process.env.AUREN_TEST_REDIS_URL as string;
  const env = {
    REDIS_URL: redisUrl,
    AUREN_STREAM_KEY: `e2e-scale:${Date.now()}:${Math.random().toString(36).slice(2)}`,
  };
  let ingestUrl: string;
  const processes: AppProcess[] = [];
  let ingest: AppProcess;
  /** The current process of each gateway slot (a slot keeps its port when restarted). */
  const gateways: AppProcess[] = [];
  const ports: number[] = [];
  const gatewayUrls: string[] = [];
  let websocketLb: NginxProxy | undefined;
  let stickyLb: NginxProxy | undefined;
  const clients: ResumingClient[] = [];
  /** Gateways killed or drained on purpose. */
  const stopped = new Set<AppProcess>();

  function spawnGateway(slot: number): AppProcess {
    const gateway = AppProcess.spawn('gateway', { ...env, GATEWAY_PORT: String(ports[slot]) });
    processes.push(gateway);
    gateways[slot] = gateway;
    return gateway;
  }

  async function openClients(
    url: string,
    count: number,
    options: { transports?: string[]; withCredentials?: boolean } = {},
  ): Promise<ResumingClient[]> {
    const opened: ResumingClient[] = [];
    for (let i = 0; i < count; i++) {
      const client = new ResumingClient(url, FILTERS[i % FILTERS.length], options);
      clients.push(client);
      opened.push(await client.ready());
    }
    return opened;
  }

  async function closeClients(): Promise<void> {
    for (const client of clients.splice(0)) client.close();
    await waitFor(
      async () =>
        (
          await Promise.all(
            gateways.map((g, i) =>
              stopped.has(g) ? Promise.resolve(0) : connectionsOn(gatewayUrls[i]),
            ),
          )
        ).every((n) => n === 0),
      { timeoutMs: 10_000, what: 'every gateway to have 0 connections' },
    );
  }

  /** A warm-up event per agent, so that every client has a position to resume from. */
  async function warmUp(opened: ResumingClient[]): Promise<Posted[]> {
    const posted = await post(ingestUrl, makeEvents(AGENTS.length));
    await Promise.all(
      opened.map((c) =>
        waitFor(() => c.lastStreamId !== undefined, {
          timeoutMs: 10_000,
          what: 'a first event on every client',
        }),
      ),
    );
    return posted;
  }

  beforeAll(async () => {
    const ingestPort = await freePort();
    ports.push(await freePort(), await freePort());
    ingestUrl = `http://127.0.0.1:${ingestPort}`;
    gatewayUrls.push(...ports.map((p) => `http://127.0.0.1:${p}`));
    ingest = AppProcess.spawn('ingest', { ...env, INGEST_PORT: String(ingestPort) });
    processes.push(ingest);
    spawnGateway(0);
    spawnGateway(1);
    await ingest.ready(`${ingestUrl}/health/ready`);
    await Promise.all(gateways.map((g, i) => g.ready(`${gatewayUrls[i]}/health/ready`)));
    websocketLb = await NginxProxy.start(ports, 'websocket');
    stickyLb = await NginxProxy.start(ports, 'sticky');
  });

  // Each test starts with no connection on any pod (the spread checks count them).
  afterEach(() => closeClients());

  afterAll(async () => {
    for (const client of clients) client.close();
    await Promise.all([websocketLb?.dispose(), stickyLb?.dispose()]);
    await Promise.all(processes.map((p) => p.stop()));
    process.stdout.write(`scale measurements: ${JSON.stringify(measured)}\n`);
  });

  it('spreads 20 websocket clients over both pods; each gets exactly its matching events of 2,000, once, in order', async () => {
    const lb = websocketLb as NginxProxy;
    const opened = await openClients(lb.url, 20);
    const perPod = await Promise.all(gatewayUrls.map(connectionsOn));
    measured.roundRobinSpread = perPod;
    expect(perPod.every((n) => n > 0)).toBe(true);
    expect(perPod[0] + perPod[1]).toBe(20);

    const started = Date.now();
    const posted = await post(ingestUrl, makeEvents(2000));
    for (const client of opened) await client.receivedAll(matching(posted, client.filter), 30_000);
    measured.twoThousandEventsMs = Date.now() - started;
    for (const client of opened) {
      const expected = matching(posted, client.filter);
      expect(compare(client.events, expected)).toEqual(exact(expected));
      expect(client.gaps).toEqual([]);
    }
  });

  it('serves long-polling clients through nginx with sticky sessions', async () => {
    const lb = stickyLb as NginxProxy;
    // Node's socket.io-client keeps cookies (the auren_lb stickiness cookie) only with withCredentials.
    const opened = await openClients(lb.url, 10, {
      transports: ['polling'],
      withCredentials: true,
    });
    measured.stickyPollingSpread = await Promise.all(gatewayUrls.map(connectionsOn));
    const posted = await post(ingestUrl, makeEvents(400));
    for (const client of opened) await client.receivedAll(matching(posted, client.filter), 30_000);
    for (const client of opened) {
      const expected = matching(posted, client.filter);
      expect(compare(client.events, expected)).toEqual(exact(expected));
      expect(client.socket.io.engine.transport.name).toBe('polling');
      expect(client.disconnects).toEqual([]);
    }
  });

  it('resumes on the other pod: exactly the 500 matching events missed, in order, then live ones', async () => {
    const filter = ['neuroscientist', 'training_coach'];
    const first = new ResumingClient(gatewayUrls[0], filter);
    clients.push(first);
    await first.ready();
    const before = await post(ingestUrl, makeEvents(20));
    await first.receivedAll(matching(before, filter), 10_000);
    expect(compare(first.events, matching(before, filter))).toEqual(
      exact(matching(before, filter)),
    );
    first.close();
    const position = first.lastStreamId as string;

    // 500 events of its two agents, interleaved with 500 of the others.
    const missed = await post(
      ingestUrl,
      makeEvents(1000, ['neuroscientist', 'nutritionist', 'training_coach', 'sleep_analyst']),
    );
    const expectedReplay = matching(missed, filter);
    expect(expectedReplay).toHaveLength(500);

    const resumed = new ResumingClient(gatewayUrls[1], filter, { resumeFrom: position });
    clients.push(resumed);
    await resumed.ready();
    expect(resumed.established[0].resume).toEqual({
      recovered: true,
      replayed: 500,
      from: position,
    });
    const live = await post(ingestUrl, makeEvents(40));
    const expected = [...expectedReplay, ...matching(live, filter)];
    await resumed.receivedAll(expected, 15_000);
    expect(compare(resumed.events, expected)).toEqual(exact(expected));
  });

  it('kill -9 of one gateway during a 10,000-event burst: its clients reconnect through nginx to the survivor and resume, nothing lost or duplicated', async () => {
    const lb = websocketLb as NginxProxy;
    const opened = await openClients(lb.url, 20);
    const perPod = await Promise.all(gatewayUrls.map(connectionsOn));
    expect(perPod.every((n) => n > 0)).toBe(true);
    const posted = await warmUp(opened);

    const victim = gateways[1];
    const burst = makeEvents(10_000);
    const started = Date.now();
    let killedAt = 0;
    for (let i = 0; i < burst.length; i += 500) {
      posted.push(...(await post(ingestUrl, burst.slice(i, i + 500))));
      if (i + 500 === 3000) {
        stopped.add(victim);
        await victim.stop('SIGKILL');
        killedAt = Date.now();
      }
    }
    const postedMs = Date.now() - started;
    for (const client of opened) await client.receivedAll(matching(posted, client.filter), 60_000);

    const moved = opened.filter((c) => c.disconnects.length > 0);
    measured.kill9 = {
      clientsOnKilledPod: perPod[1],
      burstPostedMs: postedMs,
      allDeliveredAfterKillMs: Date.now() - killedAt,
      reconnectMs: stats(moved.flatMap((c) => c.reconnectMs)),
      replayed: moved.flatMap((c) => c.established.slice(1).map((e) => e.resume?.replayed)),
      survivor: await deliveryFigures(gatewayUrls[0]),
    };
    expect(moved).toHaveLength(perPod[1]);
    for (const client of moved) {
      // The proxied WebSocket ends when nginx loses the upstream: the client reconnects by itself.
      expect(client.disconnects).toHaveLength(1);
      expect(client.disconnects[0].reason).toMatch(/^transport (close|error)$/);
      expect(client.established).toHaveLength(2);
      expect(client.established[1].resume).toEqual(expect.objectContaining({ recovered: true }));
    }
    for (const client of opened) {
      const expected = matching(posted, client.filter);
      expect(compare(client.events, expected)).toEqual(exact(expected));
      expect(client.gaps).toEqual([]);
    }
    expect(await connectionsOn(gatewayUrls[0])).toBe(20);
  });

  it('SIGTERM drains a pod: its clients move to the other pod with resume while events keep flowing, and the process exits', async () => {
    // Slot 1 was killed above: start it again on the same port and wait until nginx uses it.
    const restarted = spawnGateway(1);
    await restarted.ready(`${gatewayUrls[1]}/health/ready`);
    const lb = websocketLb as NginxProxy;
    await waitFor(
      async () => {
        const seen = new Set<string>();
        for (let i = 0; i < 4; i++)
          seen.add((await fetch(`${lb.url}/health/live`)).headers.get('x-upstream') ?? '');
        return seen.size === 2;
      },
      { timeoutMs: 15_000, what: 'nginx to use both gateways again' },
    );

    const opened = await openClients(lb.url, 20);
    const perPod = await Promise.all(gatewayUrls.map(connectionsOn));
    expect(perPod.every((n) => n > 0)).toBe(true);
    const posted = await warmUp(opened);

    // Events keep flowing during the whole drain.
    let flowing = true;
    // Paced (50 events every ~20 ms, about 2,000 a second): a steady flow, not a synchronisation.
    const poster = (async () => {
      while (flowing) {
        posted.push(...(await post(ingestUrl, makeEvents(50))));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    try {
      await waitFor(() => posted.length >= 1000, { timeoutMs: 20_000, what: '1,000 events' });
      const drained = gateways[0];
      const signalledAt = Date.now();
      stopped.add(drained);
      process.kill(drained.pid as number, 'SIGTERM');
      const exitCode = await drained.exited(10_000);
      const exitMs = Date.now() - signalledAt;
      expect([0, null]).toContain(exitCode);
      const moved = await waitFor(
        () => {
          const disconnected = opened.filter((c) => c.disconnects.length > 0);
          return disconnected.length >= perPod[0] && disconnected;
        },
        { timeoutMs: 10_000, what: `the ${perPod[0]} clients of the drained pod to be told` },
      );
      await waitFor(() => moved.every((c) => c.established.length === 2), {
        timeoutMs: 15_000,
        what: 'the drained clients to reconnect',
      });
      const countAtReconnect = posted.length;
      await waitFor(() => posted.length >= countAtReconnect + 1000, {
        timeoutMs: 20_000,
        what: '1,000 more events after the reconnections',
      });
      flowing = false;
      await poster;

      for (const client of opened)
        await client.receivedAll(matching(posted, client.filter), 30_000);
      measured.sigtermDrain = {
        clientsOnDrainedPod: perPod[0],
        exitMs,
        exitCode,
        reconnectMs: stats(moved.flatMap((c) => c.reconnectMs)),
        replayed: moved.map((c) => c.established[1]?.resume?.replayed),
        refusals: moved.flatMap((c) => c.refusals.map((r) => r.code)),
        eventsPosted: posted.length,
        survivor: await deliveryFigures(gatewayUrls[1]),
      };
      expect(moved).toHaveLength(perPod[0]);
      for (const client of moved) {
        expect(client.disconnects.map((d) => d.reason)).toEqual(['transport close']);
        expect(client.established[1].resume).toEqual(expect.objectContaining({ recovered: true }));
      }
      for (const client of opened) {
        const expected = matching(posted, client.filter);
        expect(compare(client.events, expected)).toEqual(exact(expected));
        expect(client.gaps).toEqual([]);
      }
      expect(await connectionsOn(gatewayUrls[1])).toBe(20);
    } finally {
      flowing = false;
      await poster.catch(() => undefined);
    }
  });
});

describe('Resume from a position the stream has trimmed', () => {
  const redisUrl = process.env.AUREN_TEST_REDIS_URL as string;
  const key = `e2e-scale-trim:${Date.now()}:${Math.random().toString(36).slice(2)}`;
  const env = { REDIS_URL: redisUrl, AUREN_STREAM_KEY: key, AUREN_STREAM_MAXLEN: '50' };
  let ingest: AppProcess | undefined;
  let gateway: AppProcess | undefined;
  let ingestUrl: string;
  let gatewayUrl: string;
  const clients: ResumingClient[] = [];

  beforeAll(async () => {
    const [ingestPort, gatewayPort] = [await freePort(), await freePort()];
    ingestUrl = `http://127.0.0.1:${ingestPort}`;
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    ingest = AppProcess.spawn('ingest', { ...env, INGEST_PORT: String(ingestPort) });
    gateway = AppProcess.spawn('gateway', { ...env, GATEWAY_PORT: String(gatewayPort) });
    await ingest.ready(`${ingestUrl}/health/ready`);
    await gateway.ready(`${gatewayUrl}/health/ready`);
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await Promise.all([ingest?.stop(), gateway?.stop()]);
  });

  it('answers recovered: false for a trimmed position, and true for one still held', async () => {
    const posted = await post(ingestUrl, makeEvents(2000));
    const redis = new Redis(redisUrl);
    try {
      // MAXLEN ~ trims whole macro-nodes: the stream keeps more than 50, but not the first id.
      const first = posted[0].stream_id;
      expect(await redis.xrange(key, first, first)).toEqual([]);
      expect(await redis.xlen(key)).toBeLessThan(2000);
    } finally {
      redis.disconnect();
    }

    const trimmed = new ResumingClient(gatewayUrl, [], { resumeFrom: posted[0].stream_id });
    clients.push(trimmed);
    await trimmed.ready();
    expect(trimmed.established[0].resume).toEqual(
      expect.objectContaining({ recovered: false, from: posted[0].stream_id }),
    );

    const last = posted[posted.length - 1].stream_id;
    const held = new ResumingClient(gatewayUrl, [], { resumeFrom: last });
    clients.push(held);
    await held.ready();
    expect(held.established[0].resume).toEqual({ recovered: true, replayed: 0, from: last });
  });
});
