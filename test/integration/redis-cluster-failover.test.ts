import { Cluster } from 'ioredis';
import type { AgentEvent } from '@auren/contracts';
import { RedisGroupSource } from '@auren/streaming';
import { postJson, RunningApp, startGateway, startIngest, testConfig } from '../harness/apps';
import { connectClient, ConnectedClient } from '../harness/clients';
import { RedisCluster } from '../harness/redis-cluster';
import { waitFor } from '../harness/wait';

/**
 * Issue 14, Redis Cluster failover: events are posted without pause while the master of the
 * stream's slot is failed over, once with `CLUSTER FAILOVER` on its replica and once with SIGKILL
 * (the replica is promoted after cluster-node-timeout; the killed node is started again and
 * rejoins as a replica). Ingest waits for one replica (AUREN_REDIS_MIN_REPLICAS=1). Every request
 * is answered 202 or 503, never anything else; a 503'd event is sent again with its event_id
 * until it is answered 202, as a client should. At the end every event is in the stream exactly
 * once, a socket.io client connected through it all received each exactly once, and the history
 * consumer group read every one.
 */
jest.setTimeout(120_000);

const WORKERS = 8;

const event = (eventId: string) => ({
  event_id: eventId,
  event_type: 'agent_decision',
  source_agent: { id: `agent-${eventId.split('-')[1]}` },
  payload: { eventId },
});

interface Load {
  /** Answered 202, in the order of the answers. */
  acknowledged: string[];
  /** Status codes other than 202 and how often. */
  refusals: Map<number, number>;
  /** Answers that are neither 202 nor 503 (must stay empty). */
  unexpected: string[];
  stop(): Promise<void>;
}

/** Posts events from `WORKERS` loops; each event is retried with its event_id until 202. */
function startLoad(ingestUrl: string, prefix: string): Load {
  const load: Load = {
    acknowledged: [],
    refusals: new Map(),
    unexpected: [],
    stop: () => Promise.resolve(),
  };
  let running = true;
  const loops = Array.from({ length: WORKERS }, async (_, worker) => {
    for (let n = 0; running; n += 1) {
      const id = `${prefix}-${worker}-${n}`;
      for (;;) {
        const reply = await postJson(`${ingestUrl}/v1/events`, event(id));
        if (reply.status === 202) {
          load.acknowledged.push(id);
          break;
        }
        load.refusals.set(reply.status, (load.refusals.get(reply.status) ?? 0) + 1);
        if (reply.status !== 503)
          load.unexpected.push(`${id}: ${reply.status} ${JSON.stringify(reply.body)}`);
        // A client's retry backoff (not a synchronisation).
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
  });
  load.stop = async () => {
    running = false;
    await Promise.all(loops);
  };
  return load;
}

describe('Redis Cluster failover of the stream slot under load', () => {
  let cluster: RedisCluster;
  let ingest: RunningApp;
  let gateway: RunningApp;
  let client: ConnectedClient;
  let admin: Cluster;
  let group: RedisGroupSource;
  let key: string;
  const grouped: string[] = [];
  let reading = true;
  let groupLoop: Promise<void> | undefined;

  beforeAll(async () => {
    cluster = await RedisCluster.start();
    const config = await testConfig({
      ...cluster.env(),
      AUREN_REDIS_MIN_REPLICAS: '1',
      AUREN_REDIS_REPLICA_TIMEOUT_MS: '500',
      AUREN_GRPC_ENABLED: 'false',
      AUREN_CLIENT_QUEUE_LIMIT: '100000',
    });
    key = config.stream.key;
    ingest = await startIngest(config);
    gateway = await startGateway(config);
    client = await connectClient(gateway.url, { token: 'test-token' });
    admin = new Cluster(cluster.live.map((n) => ({ host: '127.0.0.1', port: n.port })));
    admin.on('error', () => undefined);
    group = new RedisGroupSource({
      url: cluster.url,
      cluster: { seeds: cluster.live.map((n) => `127.0.0.1:${n.port}`) },
      key,
      group: 'history-failover',
      claimIdleMs: 30_000,
    });
    // The history writers' side: read, acknowledge, go on after failures (as its transport does).
    groupLoop = (async () => {
      while (reading) {
        try {
          const entries = await group.next(500, 200);
          grouped.push(...entries.map((e) => (JSON.parse(e.json) as AgentEvent).event_id));
          await group.ack(entries);
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50)); // backoff after a failure
        }
      }
    })();
  }, 60_000);

  afterAll(async () => {
    reading = false;
    await groupLoop;
    await group?.close();
    client?.close();
    admin?.disconnect();
    await gateway?.close();
    await ingest?.close();
    await cluster?.dispose();
  });

  /** Every acknowledged event is in the stream once, with the client once, in the group. */
  async function expectNothingLost(acknowledged: string[]): Promise<void> {
    const entries = (await admin.xrange(key, '-', '+')) as Array<[string, string[]]>;
    const inStream = new Map<string, number>();
    for (const [, fields] of entries) {
      const id = (JSON.parse(fields[1]) as AgentEvent).event_id;
      inStream.set(id, (inStream.get(id) ?? 0) + 1);
    }
    expect(acknowledged.filter((id) => inStream.get(id) !== 1)).toEqual([]);
    // Nothing in the stream that no one acknowledged (every event was retried until 202).
    expect(entries.length).toBe(inStream.size);
    await waitFor(
      () => {
        const received = new Set(client.events.map((e) => e.event_id));
        return acknowledged.every((id) => received.has(id));
      },
      { timeoutMs: 30_000, what: 'the client to receive every acknowledged event' },
    );
    const received = client.events.map((e) => e.event_id);
    expect(received.length).toBe(new Set(received).size);
    await waitFor(
      () => {
        const seen = new Set(grouped);
        return acknowledged.every((id) => seen.has(id));
      },
      { timeoutMs: 30_000, what: 'the consumer group to read every acknowledged event' },
    );
  }

  /** Runs load, fails over when `before` events are in, and goes on until `after` more are. */
  async function failoverUnderLoad(
    prefix: string,
    act: () => Promise<void>,
  ): Promise<{ load: Load; failoverMs: number; acknowledgedDuring: number }> {
    const load = startLoad(ingest.url, prefix);
    try {
      await waitFor(() => load.acknowledged.length >= 300, {
        timeoutMs: 30_000,
        what: '300 events before the failover',
      });
      const at = load.acknowledged.length;
      const started = Date.now();
      await act();
      const failoverMs = Date.now() - started;
      const acknowledgedDuring = load.acknowledged.length - at;
      const resumed = load.acknowledged.length;
      await waitFor(() => load.acknowledged.length >= resumed + 300, {
        timeoutMs: 30_000,
        what: '300 events after the failover',
      });
      return { load, failoverMs, acknowledgedDuring };
    } finally {
      await load.stop();
    }
  }

  it('CLUSTER FAILOVER on the replica: only 202s and 503s, nothing acknowledged lost or doubled', async () => {
    let moved = { from: 0, to: 0 };
    const { load, failoverMs, acknowledgedDuring } = await failoverUnderLoad('manual', async () => {
      moved = await cluster.failover(key, 'manual');
    });
    process.stderr.write(
      `manual failover ${moved.from} -> ${moved.to} in ${failoverMs} ms; ${load.acknowledged.length} events acknowledged (${acknowledgedDuring} during the failover), refusals ${JSON.stringify([...load.refusals])}\n`,
    );
    expect(load.unexpected).toEqual([]);
    expect((await cluster.whereIs(key)).master).toBe(moved.to);
    await expectNothingLost(load.acknowledged);
  });

  it('SIGKILL of the master: the replica is promoted, only 202s and 503s, nothing acknowledged lost or doubled', async () => {
    await cluster.waitHealthy();
    let moved = { from: 0, to: 0 };
    const { load, failoverMs } = await failoverUnderLoad('kill', async () => {
      moved = await cluster.failover(key, 'kill');
      const promotedAt = Date.now();
      // The promoted master has no replica: with AUREN_REDIS_MIN_REPLICAS=1 writes get 503
      // until the killed node is back as its replica.
      await cluster.restart(moved.from);
      process.stderr.write(`killed node back as a replica after ${Date.now() - promotedAt} ms\n`);
    });
    process.stderr.write(
      `kill failover ${moved.from} -> ${moved.to}, replica back, in ${failoverMs} ms; ${load.acknowledged.length} events acknowledged, refusals ${JSON.stringify([...load.refusals])}\n`,
    );
    expect(load.unexpected).toEqual([]);
    expect(load.refusals.get(503) ?? 0).toBeGreaterThan(0);
    await expectNothingLost(load.acknowledged);
  });
});
