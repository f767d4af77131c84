import { Cluster } from 'ioredis';
import type { AgentEvent } from '@auren/contracts';
import { RedisGroupSource, streamKeys } from '@auren/streaming';
import { postJson, RunningApp, startGateway, startIngest, testConfig } from '../harness/apps';
import { connectClient } from '../harness/clients';
import { RedisCluster } from '../harness/redis-cluster';
import { waitFor } from '../harness/wait';

/**
 * Issue 14, Redis Cluster: the stream on a real 3-master cluster (3 replicas, AOF) made by the
 * harness. Ingest and a gateway run with AUREN_REDIS_CLUSTER=true; a socket.io client gets every
 * event; dedupe holds across the cluster (the dedupe keys share the stream's slot); the history
 * writers' consumer group reads and acknowledges on the cluster; writes wait for the slot's
 * replica (AUREN_REDIS_MIN_REPLICAS=1) and the durability check looks at every master.
 */
const event = (eventId: string, agent = 'cluster-agent') => ({
  event_id: eventId,
  event_type: 'agent_decision',
  source_agent: { id: agent },
  payload: { eventId },
});

describe('AUREN on a Redis Cluster (3 masters + 3 replicas)', () => {
  let cluster: RedisCluster;
  let ingest: RunningApp;
  let gateway: RunningApp;
  let admin: Cluster;
  let key: string;
  let started = 0;

  beforeAll(async () => {
    started = Date.now();
    cluster = await RedisCluster.start();
    process.stderr.write(`redis cluster ready in ${Date.now() - started} ms\n`);
    const config = await testConfig({
      ...cluster.env(),
      AUREN_REDIS_MIN_REPLICAS: '1',
      AUREN_GRPC_ENABLED: 'false',
    });
    key = config.stream.key;
    ingest = await startIngest(config);
    gateway = await startGateway(config);
    admin = new Cluster([{ host: '127.0.0.1', port: cluster.live[0].port }]);
    admin.on('error', () => undefined);
  }, 60_000);

  afterAll(async () => {
    admin?.disconnect();
    await gateway?.close();
    await ingest?.close();
    await cluster?.dispose();
  });

  it('puts the stream, its dedupe keys and its generation in one slot', async () => {
    const keys = streamKeys(key);
    const slotOf = (k: string) => admin.cluster('KEYSLOT', k);
    const slot = await slotOf(key);
    expect(await slotOf(`${keys.dedupePrefix}some-event`)).toBe(slot);
    expect(await slotOf(keys.generation)).toBe(slot);
  });

  it('streams events from ingest to a socket.io client, deduplicates, and answers 202 only when replicated', async () => {
    const client = await connectClient(gateway.url, { token: 'test-token' });
    try {
      const ids = Array.from({ length: 50 }, (_, i) => `c-${i}`);
      const batch = await postJson(`${ingest.url}/v1/events/batch`, {
        events: ids.map((id) => event(id)),
      });
      expect(batch.status).toBe(202);
      const single = await postJson(`${ingest.url}/v1/events`, event('c-single'));
      expect(single.status).toBe(202);
      expect(single.body.duplicate).toBe(false);
      // The same event_id again: accepted once, answered duplicate with the first position.
      const again = await postJson(`${ingest.url}/v1/events`, event('c-single'));
      expect(again.status).toBe(202);
      expect(again.body).toMatchObject({ duplicate: true, stream_id: single.body.stream_id });

      await client.waitForEvents(51, 20_000);
      expect(client.events.map((e) => e.event_id)).toEqual([...ids, 'c-single']);
      expect(await admin.xlen(key)).toBe(51);
      const { master, replicas } = await cluster.whereIs(key);
      expect(replicas.length).toBe(1);
      process.stderr.write(`stream ${key} on master ${master}, replica ${replicas[0]}\n`);
    } finally {
      client.close();
    }
  });

  it('reads and acknowledges through the history consumer group on the cluster', async () => {
    const source = new RedisGroupSource({
      url: cluster.url,
      cluster: { seeds: cluster.live.map((n) => `127.0.0.1:${n.port}`) },
      key,
      group: 'history-test',
      claimIdleMs: 30_000,
    });
    try {
      const seen: string[] = [];
      await waitFor(
        async () => {
          const entries = await source.next(100, 200);
          seen.push(...entries.map((e) => (JSON.parse(e.json) as AgentEvent).event_id));
          await source.ack(entries);
          return seen.length >= 51;
        },
        { timeoutMs: 20_000, what: 'the group to read the stream' },
      );
      expect(new Set(seen).size).toBe(51);
      expect(await source.lag()).toBe(0);
    } finally {
      await source.close();
    }
  });

  it('ingest checked every master: AOF on all three', async () => {
    const metrics = await (await fetch(`${ingest.url}/metrics`)).text();
    expect(metrics).toMatch(/auren_redis_durability\{mode="aof-everysec",volatile="false"\} 1/);
  });
});
