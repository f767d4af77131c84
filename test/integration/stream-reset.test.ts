import Redis from 'ioredis';
import { streamKeys } from '@auren/streaming';
import type { StreamedEvent, StreamResetMessage } from '@auren/contracts';
import { postJson, RunningApp, startGateway, startIngest, testConfig } from '../harness/apps';
import { connectClient, ConnectedClient } from '../harness/clients';
import { RedisServer } from '../harness/redis';
import { waitFor } from '../harness/wait';

/** A connected client that also keeps every stream_reset it was sent. */
interface Watcher {
  name: string;
  client: ConnectedClient;
  resets: StreamResetMessage[];
  /** Which events of `sent` this client should get. */
  wants(event: { source_agent: { id: string } }): boolean;
}

const AGENTS = ['reset-a', 'reset-b', 'reset-c'];

function events(prefix: string, count: number) {
  return Array.from({ length: count }, (_, i) => ({
    event_id: `${prefix}-${i}`,
    event_type: 'agent_decision',
    source_agent: { id: AGENTS[i % AGENTS.length] },
    payload: { i },
  }));
}

async function metric(url: string, name: string): Promise<string> {
  return (await (await fetch(`${url}/metrics`)).text())
    .split('\n')
    .filter((line) => line.startsWith(name))
    .join('\n');
}

function ids(list: StreamedEvent[]): string[] {
  return list.map((e) => e.event_id);
}

describe('A stream that is reset or lost', () => {
  let redis: RedisServer;
  let ingest: RunningApp;
  let gateways: RunningApp[];
  let watchers: Watcher[];
  let key: string;

  /** Posts until the ingest answers 202 (it answers 503 while its Redis connection comes back). */
  async function post(batch: ReturnType<typeof events>) {
    return waitFor(
      async () => {
        const reply = await postJson(`${ingest.url}/v1/events/batch`, { events: batch });
        return reply.status === 202 && reply;
      },
      { timeoutMs: 20_000, what: 'the ingest to accept a batch' },
    );
  }

  /** Waits until every watcher got what it wants of `batch`. */
  async function delivered(batch: ReturnType<typeof events>): Promise<void> {
    for (const w of watchers) {
      const wanted = batch.filter((e) => w.wants(e)).map((e) => e.event_id);
      await waitFor(() => wanted.every((id) => ids(w.client.events).includes(id)), {
        timeoutMs: 20_000,
        what: `${w.name} to receive ${wanted.length} events`,
      });
    }
  }

  async function resetsReached(count: number): Promise<void> {
    for (const w of watchers) {
      await waitFor(() => w.resets.length >= count, {
        timeoutMs: 20_000,
        what: `${w.name} to get stream_reset #${count}`,
      });
    }
  }

  beforeAll(async () => {
    redis = await RedisServer.start();
    key = `reset:${Math.random().toString(36).slice(2)}`;
    const env = {
      REDIS_URL: redis.url,
      AUREN_STREAM_KEY: key,
      AUREN_STREAM_RESET_CHECK_MS: '200',
      AUREN_LOG_LEVEL: 'warn',
    };
    ingest = await startIngest(await testConfig(env));
    gateways = [
      await startGateway(await testConfig(env)),
      await startGateway(await testConfig(env)),
    ];
    const specs: Array<[string, number, string[] | undefined]> = [
      ['all@1', 0, undefined],
      ['a@1', 0, ['reset-a']],
      ['all@2', 1, undefined],
      ['b+c@2', 1, ['reset-b', 'reset-c']],
    ];
    watchers = await Promise.all(
      specs.map(async ([name, gateway, filter]) => {
        const client = await connectClient(gateways[gateway].url, {
          token: `test-${name}`,
          agent_filter: filter,
        });
        const resets: StreamResetMessage[] = [];
        client.socket.on('stream_reset', (message) => resets.push(message));
        return {
          name,
          client,
          resets,
          wants: (e: { source_agent: { id: string } }) =>
            !filter || filter.includes(e.source_agent.id),
        };
      }),
    );
  });

  afterAll(async () => {
    for (const w of watchers ?? []) w.client.close();
    for (const g of gateways ?? []) await g.close();
    await ingest?.close();
    await redis?.dispose();
  });

  let beforeRestart: string;

  it('Redis restarted empty mid-stream: every client gets stream_reset, later events arrive, retried event_ids are not delivered twice', async () => {
    const first = events('first', 30);
    const reply = await post(first);
    const results = reply.body.results as Array<{ stream_id: string }>;
    beforeRestart = results[results.length - 1].stream_id;
    await delivered(first);

    await redis.stop('SIGKILL');
    await redis.launch();
    await resetsReached(1);
    for (const w of watchers) {
      expect(w.resets[0]).toMatchObject({
        type: 'stream_reset',
        reason: 'stream_lost',
        previous: beforeRestart,
        position: '0-0',
      });
      expect(w.resets[0].message).toEqual(expect.any(String));
    }

    // The producer retries everything (it did not trust the 202s), then goes on.
    const retried = await post(first);
    // The new Redis has no dedupe keys: the stream holds the retried events a second time.
    expect((retried.body.results as Array<{ duplicate: boolean }>).every((r) => !r.duplicate)).toBe(
      true,
    );
    const later = events('later', 30);
    await post(later);
    await delivered(later);

    for (const w of watchers) {
      const got = ids(w.client.events);
      expect(new Set(got).size).toBe(got.length);
      expect(got).toEqual([...first, ...later].filter((e) => w.wants(e)).map((e) => e.event_id));
    }
    for (const g of gateways) {
      expect(await metric(g.url, 'auren_gateway_stream_resets_total')).toContain(
        'auren_gateway_stream_resets_total{reason="stream_lost"} 1',
      );
    }
  });

  it('a resume from a position before the reset answers recovered: false (stream_reset) and replays the new stream', async () => {
    const client = await connectClient(gateways[1].url, {
      token: 'test-resume',
      agent_filter: ['reset-a'],
      resume_from: beforeRestart,
    });
    try {
      expect(client.established.resume).toMatchObject({
        recovered: false,
        reason: 'stream_reset',
        from: beforeRestart,
      });
      // Everything of the new stream for reset-a, each event once.
      const wanted = events('later', 30)
        .filter((e) => e.source_agent.id === 'reset-a')
        .map((e) => e.event_id);
      expect(ids(client.events)).toEqual(wanted);
    } finally {
      client.close();
    }
  });

  it('the stream deleted (DEL) is detected as lost; delivery goes on with the new one', async () => {
    const admin = new Redis(redis.url);
    try {
      await admin.del(key);
      await resetsReached(2);
      for (const w of watchers) expect(w.resets[1]).toMatchObject({ reason: 'stream_lost' });
      const after = events('after-del', 9);
      await post(after);
      await delivered(after);
    } finally {
      admin.disconnect();
    }
  });

  it('ids going backwards (the stream replaced by an older copy) are detected', async () => {
    const admin = new Redis(redis.url);
    try {
      const generation = await admin.get(streamKeys(key).generation);
      // An older copy of the stream: one event the gateways delivered long ago, at an early id.
      const { stream_id: _, ...delivered0 } = watchers[0].client.events[0];
      // Atomically: the same generation, but ids far before what the gateways delivered.
      await admin
        .multi()
        .del(key)
        .xadd(key, '1-0', 'event', JSON.stringify(delivered0))
        .set(streamKeys(key).generation, generation ?? '1-0')
        .exec();
      await resetsReached(3);
      for (const w of watchers)
        expect(w.resets[2]).toMatchObject({ reason: 'stream_went_backwards' });
      const after = events('after-backwards', 9);
      await post(after);
      await delivered(after);
      // The restored event was delivered before the reset: not again.
      for (const w of watchers) {
        const got = ids(w.client.events);
        expect(new Set(got).size).toBe(got.length);
      }
    } finally {
      admin.disconnect();
    }
  });
});
