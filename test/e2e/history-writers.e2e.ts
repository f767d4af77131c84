import Redis from 'ioredis';
import { Client } from 'pg';
import { AGENT_EVENT_TYPES } from '@auren/contracts';
import { ROLLUPS } from '../../apps/history/src/store/event-writer';
import { AppProcess, postJson } from '../harness/apps';
import { readMetrics, sample } from '../harness/metrics';
import { freePort } from '../harness/ports';
import { createDatabase } from '../harness/postgres';
import { waitFor } from '../harness/wait';

const AGENTS = ['planner', 'researcher', 'coder', 'reviewer'];
const MODELS = ['gpt-4o', 'claude-3', 'llama-3'];

/** `n` events with tokens and cost, so that the rollups have sums to compare. */
function burst(prefix: string, n: number) {
  return Array.from({ length: n }, (_, i) => ({
    event_id: `${prefix}-${i}`,
    event_type: AGENT_EVENT_TYPES[i % AGENT_EVENT_TYPES.length],
    source_agent: { id: AGENTS[i % AGENTS.length] },
    performance_metrics: {
      input_tokens: 10 + (i % 7),
      output_tokens: 3 + (i % 5),
      latency_ms: 20 + (i % 50),
    },
    payload: { model: MODELS[i % MODELS.length], cost: 0.001 * (i % 9) },
  }));
}

/**
 * Issue 11 "How it will be checked": two history writer processes on a real Redis and a real
 * PostgreSQL, events posted through a real ingest process, one writer SIGKILLed mid-burst with
 * batches in flight: the table holds every acknowledged event exactly once, and the rollups add
 * up to the raw rows.
 */
describe('History writers: two processes share a Redis consumer group; one is SIGKILLed mid-burst', () => {
  const redisUrl = process.env.AUREN_TEST_REDIS_URL as string;
  const key = `e2e:history:${Date.now()}`;
  let databaseUrl: string;
  let ingest: AppProcess;
  let writers: AppProcess[];
  let ingestUrl: string;
  let writerUrls: string[];
  let db: Client;
  let redis: Redis;
  const accepted = new Set<string>();

  async function post(events: Array<{ event_id: string }>): Promise<void> {
    const chunks: Array<typeof events> = [];
    for (let i = 0; i < events.length; i += 100) chunks.push(events.slice(i, i + 100));
    // Four requests at a time: a burst, not a trickle.
    for (let i = 0; i < chunks.length; i += 4) {
      const replies = await Promise.all(
        chunks
          .slice(i, i + 4)
          .map((chunk) => postJson(`${ingestUrl}/v1/events/batch`, { events: chunk })),
      );
      replies.forEach((reply, j) => {
        expect(reply.status).toBe(202);
        for (const event of chunks[i + j]) accepted.add(event.event_id);
      });
    }
  }

  const count = async (): Promise<number> =>
    Number((await db.query('SELECT count(*) AS n FROM auren_events')).rows[0].n);

  /** Consumers of the writers' group with entries pending, by name. */
  async function pendingByConsumer(): Promise<Map<string, number>> {
    const rows = (await redis.xinfo('CONSUMERS', key, 'auren-history')) as unknown[][];
    return new Map(
      rows.map((row) => [
        String(row[row.indexOf('name') + 1]),
        Number(row[row.indexOf('pending') + 1]),
      ]),
    );
  }

  beforeAll(async () => {
    databaseUrl = await createDatabase('writers');
    db = new Client({ connectionString: databaseUrl });
    await db.connect();
    redis = new Redis(redisUrl);
    const env = { REDIS_URL: redisUrl, AUREN_STREAM_KEY: key };
    const ingestPort = await freePort();
    ingest = AppProcess.spawn('ingest', { ...env, INGEST_PORT: String(ingestPort) });
    ingestUrl = `http://127.0.0.1:${ingestPort}`;
    const ports = [await freePort(), await freePort()];
    writers = ports.map((port) =>
      AppProcess.spawn('history', {
        ...env,
        HISTORY_PORT: String(port),
        DATABASE_URL: databaseUrl,
        AUREN_HISTORY_BATCH: '100',
        AUREN_HISTORY_CLAIM_IDLE_MS: '1500',
      }),
    );
    writerUrls = ports.map((port) => `http://127.0.0.1:${port}`);
    await ingest.ready(`${ingestUrl}/health/ready`);
    await Promise.all(writers.map((w, i) => w.ready(`${writerUrls[i]}/health/ready`, 60_000)));
  });

  afterAll(async () => {
    await Promise.all([ingest, ...writers].map((p) => p.stop()));
    await db.end();
    redis.disconnect();
  });

  it('stores every acknowledged event exactly once, with rollups equal to the raw counts', async () => {
    await post(burst('before', 1000));
    await waitFor(async () => (await count()) > 0, { timeoutMs: 20_000, what: 'the first rows' });

    // Hold the commits (a slow database): both writers end up with a batch in flight.
    const lock = new Client({ connectionString: databaseUrl });
    await lock.connect();
    await lock.query('BEGIN');
    await lock.query('LOCK TABLE auren_rollup_hour IN SHARE ROW EXCLUSIVE MODE');
    await post(burst('during', 1000));
    const [victim, survivor] = writers;
    const victimName = await waitFor(
      async () => {
        const pending = await pendingByConsumer();
        const busy = [...pending].filter(([, n]) => n > 0).map(([name]) => name);
        return busy.length === 2
          ? busy.find((name) => name.includes(`-${victim.pid}-`))
          : undefined;
      },
      { timeoutMs: 20_000, what: 'both writers to hold a batch' },
    );
    await victim.stop('SIGKILL');
    await lock.query('COMMIT');
    await lock.end();
    await post(burst('after', 1000));

    // The survivor claims the dead writer's entries once idle and writes them.
    await waitFor(async () => (await pendingByConsumer()).get(victimName) === 0, {
      timeoutMs: 30_000,
      what: "the dead writer's entries to be claimed",
    });
    await waitFor(async () => (await count()) === accepted.size, {
      timeoutMs: 30_000,
      what: `${accepted.size} rows`,
    });
    await waitFor(
      async () =>
        sample(await readMetrics(writerUrls[1]), 'auren_history_lag', '{source="redis"}') === 0,
      { what: 'lag 0' },
    );
    expect(survivor.text).toMatch(/Claimed \d+ entries/);

    const { rows } = await db.query<{ n: string; ids: string }>(
      'SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM auren_events',
    );
    expect(Number(rows[0].n)).toBe(accepted.size);
    expect(Number(rows[0].ids)).toBe(accepted.size);
    const stored = new Set(
      (await db.query<{ event_id: string }>('SELECT event_id FROM auren_events')).rows.map(
        (r) => r.event_id,
      ),
    );
    expect([...accepted].filter((id) => !stored.has(id))).toEqual([]);

    const raw = (
      await db.query(
        `SELECT count(*) AS events, coalesce(sum(input_tokens), 0) AS input_tokens,
           coalesce(sum(output_tokens), 0) AS output_tokens, count(latency_ms) AS latency_count
         FROM auren_events`,
      )
    ).rows[0] as Record<string, string>;
    for (const table of ROLLUPS.map((spec) => spec.table)) {
      const rollup = (
        await db.query(
          `SELECT sum(events) AS events, sum(input_tokens) AS input_tokens,
             sum(output_tokens) AS output_tokens, sum(latency_count) AS latency_count FROM ${table}`,
        )
      ).rows[0] as Record<string, string>;
      for (const field of ['events', 'input_tokens', 'output_tokens', 'latency_count'])
        expect([table, field, Number(rollup[field])]).toEqual([table, field, Number(raw[field])]);
    }
  });
});
