import Redis from 'ioredis';
import type { AgentEvent } from '@auren/contracts';
import { AppendOutcome, RedisStream, StreamUnavailableError } from '@auren/streaming';
import { RedisServer } from '../harness/redis';

const event = (id: string): AgentEvent => ({
  event_id: id,
  event_type: 'agent_decision',
  timestamp: new Date().toISOString(),
  received_at: new Date().toISOString(),
  source_agent: { id: 'group-commit-test' },
  payload: { id },
  metadata: {},
});

/** How many append script calls Redis has run (EVALSHA and EVAL). */
async function scriptCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let calls = 0;
  for (const name of ['evalsha', 'eval']) {
    const match = new RegExp(`^cmdstat_${name}:calls=(\\d+)`, 'm').exec(info);
    if (match) calls += Number(match[1]);
  }
  return calls;
}

/** Appends of one event-loop turn share one script call (RedisStream.append). */
describe('RedisStream group commit', () => {
  let server: RedisServer;
  let stream: RedisStream;
  let redis: Redis;
  const key = 'group:events';

  beforeAll(async () => {
    server = await RedisServer.start();
    stream = new RedisStream({ url: server.url, key, maxLen: 10_000, dedupeWindowSeconds: 60 });
    await stream.waitUntilReady(5000);
    redis = new Redis(server.url);
  });

  afterAll(async () => {
    stream.close();
    redis.disconnect();
    await server.dispose();
  });

  it('answers each of 12 appends of one turn with its own positions, from one script call, in order', async () => {
    await stream.append([{ event: event('warm-up'), dedupe: true }]);
    const before = await scriptCalls(redis);
    const appends = Array.from({ length: 12 }, (_, i) =>
      stream.append(
        i % 4 === 0
          ? [
              { event: event(`c-${i}-a`), dedupe: true },
              { event: event(`c-${i}-b`), dedupe: true },
            ]
          : [{ event: event(`c-${i}`), dedupe: true }],
      ),
    );
    const outcomes = await Promise.all(appends);
    expect(await scriptCalls(redis)).toBe(before + 1);

    const flat = outcomes.flat();
    expect(flat).toHaveLength(15);
    expect(outcomes[0].map((o) => o.event_id)).toEqual(['c-0-a', 'c-0-b']);
    expect(outcomes[1].map((o) => o.event_id)).toEqual(['c-1']);
    expect(flat.every((o) => !o.duplicate)).toBe(true);
    // Each answer is the position of that very event, in the order the appends were made.
    const entries = (await redis.xrange(key, flat[0].stream_id, '+')) as Array<[string, string[]]>;
    expect(entries.map(([id]) => id)).toEqual(flat.map((o) => o.stream_id));
    expect(entries.map(([, fields]) => (JSON.parse(fields[1]) as AgentEvent).event_id)).toEqual(
      flat.map((o) => o.event_id),
    );
  });

  it('sends a group as soon as it holds 16 events: 40 appends of one turn are 3 script calls', async () => {
    const before = await scriptCalls(redis);
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        stream.append([{ event: event(`s-${i}`), dedupe: true }]),
      ),
    );
    expect(await scriptCalls(redis)).toBe(before + 3);
    expect(outcomes.map(([o]) => o.event_id)).toEqual(
      Array.from({ length: 40 }, (_, i) => `s-${i}`),
    );
    expect(new Set(outcomes.map(([o]) => o.stream_id)).size).toBe(40);
  });

  it('answers a repeated event_id within one group as a duplicate of the first position', async () => {
    const [first, second, other] = await Promise.all([
      stream.append([{ event: event('twice'), dedupe: true }]),
      stream.append([{ event: event('twice'), dedupe: true }]),
      stream.append([{ event: event('once'), dedupe: true }]),
    ]);
    expect(first[0].duplicate).toBe(false);
    expect(second[0]).toEqual<AppendOutcome>({ ...first[0], duplicate: true });
    expect(other[0].duplicate).toBe(false);
    const copies = (await redis.xrange(key, '-', '+')) as Array<[string, string[]]>;
    expect(copies.filter(([, f]) => f[1].includes('"event_id":"twice"'))).toHaveLength(1);
  });

  it('sends the script text again when Redis lost its script cache, and writes each event once', async () => {
    await redis.script('FLUSH');
    const before = await redis.xlen(key);
    const outcomes = await Promise.all([
      stream.append([{ event: event('after-flush-1'), dedupe: true }]),
      stream.append([{ event: event('after-flush-2'), dedupe: true }]),
    ]);
    expect(outcomes.flat().map((o) => o.duplicate)).toEqual([false, false]);
    expect(await redis.xlen(key)).toBe(before + 2);
  });

  it('fails every append of a group with StreamUnavailableError when Redis is unreachable', async () => {
    const down = new RedisStream({
      url: 'redis://127.0.0.1:1',
      key,
      maxLen: 10_000,
      dedupeWindowSeconds: 60,
      commandTimeoutMs: 500,
    });
    try {
      const results = await Promise.allSettled([
        down.append([{ event: event('lost-1'), dedupe: true }]),
        down.append([{ event: event('lost-2'), dedupe: true }]),
      ]);
      for (const result of results) {
        expect(result.status).toBe('rejected');
        expect((result as PromiseRejectedResult).reason).toBeInstanceOf(StreamUnavailableError);
      }
    } finally {
      down.close();
    }
  });
});
