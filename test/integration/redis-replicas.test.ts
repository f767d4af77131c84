import Redis from 'ioredis';
import { streamKeys } from '@auren/streaming';
import type { AurenConfig } from '@auren/config';
import { postJson, RunningApp, startIngest, testConfig } from '../harness/apps';
import { RedisServer } from '../harness/redis';
import { waitFor } from '../harness/wait';

/**
 * Issue 10 §2, replicated durability: with AUREN_REDIS_MIN_REPLICAS=1 ingest answers 202 only
 * after a real replica (`redis-server --replicaof`) confirmed the write (`WAIT`); without it, 503
 * and nothing of the request stays in the stream or the dedupe keys.
 */
const event = (eventId: string) => ({
  event_id: eventId,
  event_type: 'agent_decision',
  source_agent: { id: 'replica-test' },
  payload: { eventId },
});

/** The event_ids in a Redis's copy of the stream, oldest first. */
async function eventIds(redis: Redis, key: string): Promise<string[]> {
  const entries = (await redis.xrange(key, '-', '+')) as [string, string[]][];
  return entries.map(([, fields]) => (JSON.parse(fields[1]) as { event_id: string }).event_id);
}

/** A primary, a replica of it (in sync), and ingest on the primary waiting for one replica. */
async function startPair(): Promise<{
  primary: RedisServer;
  replica: RedisServer;
  config: AurenConfig;
  ingest: RunningApp;
  onPrimary: Redis;
  onReplica: Redis;
  close(): Promise<void>;
}> {
  const primary = await RedisServer.start();
  const replica = await RedisServer.start(undefined, {
    args: ['--replicaof', '127.0.0.1', String(primary.port)],
  });
  const onPrimary = new Redis(primary.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
  const onReplica = new Redis(replica.url);
  for (const client of [onPrimary, onReplica]) client.on('error', () => undefined);
  await waitFor(async () => /master_link_status:up/.test(await onReplica.info('replication')), {
    timeoutMs: 20_000,
    what: 'the replica to be in sync',
  });
  const config = await testConfig({
    REDIS_URL: primary.url,
    AUREN_REDIS_MIN_REPLICAS: '1',
    AUREN_REDIS_REPLICA_TIMEOUT_MS: '300',
    AUREN_GRPC_ENABLED: 'false',
  });
  const ingest = await startIngest(config);
  return {
    primary,
    replica,
    config,
    ingest,
    onPrimary,
    onReplica,
    async close() {
      onPrimary.disconnect();
      onReplica.disconnect();
      await ingest.close();
      await Promise.all([primary.dispose(), replica.dispose()]);
    },
  };
}

describe('Ingest with AUREN_REDIS_MIN_REPLICAS=1 and a real replica', () => {
  let pair: Awaited<ReturnType<typeof startPair>>;
  beforeAll(async () => {
    pair = await startPair();
  });
  afterAll(async () => {
    await pair?.close();
  });

  const postBatch = (ids: string[]) =>
    postJson(`${pair.ingest.url}/v1/events/batch`, { events: ids.map(event) });

  it('answers 202 only once the replica has the events: they are on it at the answer', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `on-replica-${i}`);

    const reply = await postBatch(ids);

    expect(reply.status).toBe(202);
    expect(reply.body.accepted).toBe(20);
    // No wait: WAIT returned, so the replica has applied them already.
    expect(await eventIds(pair.onReplica, pair.config.stream.key)).toEqual(ids);
  });

  it('with the replica stopped: 503, nothing of the request in the stream, the event_ids retry later', async () => {
    const key = pair.config.stream.key;
    const before = await eventIds(pair.onPrimary, key);
    const ids = Array.from({ length: 5 }, (_, i) => `refused-${i}`);
    const earlier = before[0];
    const earlierStreamId = await pair.onPrimary.get(`${streamKeys(key).dedupePrefix}${earlier}`);
    expect(earlierStreamId).toBeTruthy();
    pair.replica.pause();
    try {
      // With a repeat of an event acknowledged earlier: the take-back must leave that one alone.
      const refused = await postBatch([...ids, earlier]);

      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.body.message).toContain('replicas did not confirm the write (1 required, 0');
      expect(refused.body.message).toContain('nothing was accepted');
      // Taken back on the primary: not in the stream, no dedupe key left behind.
      expect(await eventIds(pair.onPrimary, key)).toEqual(before);
      for (const id of ids)
        expect(await pair.onPrimary.exists(`${streamKeys(key).dedupePrefix}${id}`)).toBe(0);
      expect(await pair.onPrimary.get(`${streamKeys(key).dedupePrefix}${earlier}`)).toBe(
        earlierStreamId,
      );
      // A single event is refused the same way.
      const one = await postJson(`${pair.ingest.url}/v1/events`, event('refused-single'));
      expect(one.status).toBe(503);
    } finally {
      pair.replica.resume();
    }

    // Once the replica is back, the same event_ids are accepted as new events, once.
    const retried = await waitFor(
      async () => {
        const reply = await postBatch(ids);
        return reply.status === 202 ? reply : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'the retry to be accepted' },
    );
    expect((retried.body.results as { duplicate: boolean }[]).map((r) => r.duplicate)).toEqual(
      ids.map(() => false),
    );
    expect(await eventIds(pair.onReplica, key)).toEqual([...before, ...ids]);
    expect(await eventIds(pair.onPrimary, key)).toEqual([...before, ...ids]);
  });
});

describe('A replicated run loses nothing acknowledged when the primary is killed', () => {
  it('every event answered 202 before SIGKILL of the primary is on the replica', async () => {
    const pair = await startPair();
    try {
      // Concurrent single posts and batches: several groups, one WAIT in flight at a time.
      const acknowledged: string[] = [];
      const send = async (ids: string[]) => {
        const reply =
          ids.length === 1
            ? await postJson(`${pair.ingest.url}/v1/events`, event(ids[0]))
            : await postJson(`${pair.ingest.url}/v1/events/batch`, { events: ids.map(event) });
        if (reply.status === 202) acknowledged.push(...ids);
        return reply.status;
      };
      const statuses = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          send(i % 10 === 0 ? [`kill-${i}-a`, `kill-${i}-b`, `kill-${i}-c`] : [`kill-${i}`]),
        ),
      );
      expect(statuses.filter((status) => status === 202).length).toBe(200);

      await pair.primary.stop('SIGKILL');

      const onReplica = new Set(await eventIds(pair.onReplica, pair.config.stream.key));
      expect(acknowledged.length).toBe(240);
      expect(acknowledged.filter((id) => !onReplica.has(id))).toEqual([]);
      // And no 202 after the primary is gone.
      expect(await send(['after-kill'])).toBe(503);
    } finally {
      await pair.close();
    }
  });
});
