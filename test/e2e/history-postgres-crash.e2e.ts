import Redis from 'ioredis';
import { Client } from 'pg';
import { AppProcess, postJson } from '../harness/apps';
import { readMetrics, sample } from '../harness/metrics';
import { freePort } from '../harness/ports';
import { PostgresServer } from '../harness/postgres';
import { waitFor } from '../harness/wait';

const burst = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    event_id: `${prefix}-${i}`,
    event_type: 'llm_call',
    source_agent: { id: `agent-${i % 5}` },
    performance_metrics: { input_tokens: 10 + (i % 3), output_tokens: 4 },
  }));

/**
 * Issue 11 "Bad input and faults": PostgreSQL killed mid-batch and restarted. The writer keeps the
 * batch pending and retries it; the stream holds what comes meanwhile; readiness is 503 while
 * the database is down; afterwards every acknowledged event is stored exactly once and the lag
 * metric is back to 0.
 */
describe('History writer: PostgreSQL SIGKILLed mid-batch and relaunched', () => {
  const redisUrl = process.env.AUREN_TEST_REDIS_URL as string;
  const key = `e2e:history-pg:${Date.now()}`;
  let postgres: PostgresServer;
  let ingest: AppProcess;
  let writer: AppProcess;
  let ingestUrl: string;
  let writerUrl: string;
  let redis: Redis;
  const accepted = new Set<string>();

  async function post(events: Array<{ event_id: string }>): Promise<void> {
    for (let i = 0; i < events.length; i += 100) {
      const chunk = events.slice(i, i + 100);
      const reply = await postJson(`${ingestUrl}/v1/events/batch`, { events: chunk });
      expect(reply.status).toBe(202);
      for (const event of chunk) accepted.add(event.event_id);
    }
  }

  async function query<R>(text: string): Promise<R[]> {
    const client = new Client({ connectionString: postgres.url });
    await client.connect();
    try {
      return (await client.query(text)).rows as R[];
    } finally {
      await client.end();
    }
  }

  const count = async () =>
    Number((await query<{ n: string }>('SELECT count(*) AS n FROM auren_events'))[0].n);
  const ready = async () => (await fetch(`${writerUrl}/health/ready`)).status;
  const pending = async () => Number(((await redis.xpending(key, 'auren-history')) as [number])[0]);

  beforeAll(async () => {
    postgres = await PostgresServer.start();
    redis = new Redis(redisUrl);
    const env = { REDIS_URL: redisUrl, AUREN_STREAM_KEY: key };
    const ingestPort = await freePort();
    const writerPort = await freePort();
    ingest = AppProcess.spawn('ingest', { ...env, INGEST_PORT: String(ingestPort) });
    writer = AppProcess.spawn('history', {
      ...env,
      HISTORY_PORT: String(writerPort),
      DATABASE_URL: postgres.url,
      AUREN_HISTORY_BATCH: '200',
    });
    ingestUrl = `http://127.0.0.1:${ingestPort}`;
    writerUrl = `http://127.0.0.1:${writerPort}`;
    await ingest.ready(`${ingestUrl}/health/ready`);
    await writer.ready(`${writerUrl}/health/ready`, 60_000);
  });

  afterAll(async () => {
    await Promise.all([ingest, writer].map((p) => p.stop()));
    redis.disconnect();
    await postgres.dispose();
  });

  it('stores every event exactly once after the crash, with readiness 503 meanwhile and the lag back to 0', async () => {
    await post(burst('before', 500));
    await waitFor(async () => (await count()) === 500, { timeoutMs: 20_000, what: '500 rows' });

    // A batch in the middle of its transaction when the server dies: the commit is held by a lock.
    const lock = new Client({ connectionString: postgres.url });
    lock.on('error', () => undefined);
    await lock.connect();
    await lock.query('BEGIN');
    await lock.query('LOCK TABLE auren_rollup_hour IN SHARE ROW EXCLUSIVE MODE');
    await post(burst('during', 500));
    await waitFor(async () => (await pending()) > 0, { what: 'a batch in flight' });
    await postgres.stop('SIGKILL');
    await lock.end().catch(() => undefined);

    await waitFor(async () => (await ready()) === 503, {
      timeoutMs: 20_000,
      what: 'readiness 503',
    });
    // The stream holds what arrives while the database is down.
    await post(burst('down', 500));
    expect(await ready()).toBe(503);

    await postgres.launch();
    await waitFor(async () => (await count()) === accepted.size, {
      timeoutMs: 40_000,
      what: `${accepted.size} rows`,
    });
    await waitFor(async () => (await ready()) === 200, { timeoutMs: 20_000, what: 'ready again' });
    await waitFor(
      async () =>
        sample(await readMetrics(writerUrl), 'auren_history_lag', '{source="redis"}') === 0,
      { what: 'lag 0' },
    );
    const metrics = await readMetrics(writerUrl);
    expect(sample(metrics, 'auren_history_write_failures_total')).toBeGreaterThan(0);

    const [row] = await query<{ n: string; ids: string; events: string }>(
      `SELECT count(*) AS n, count(DISTINCT event_id) AS ids,
         (SELECT sum(events) FROM auren_rollup_hour) AS events FROM auren_events`,
    );
    expect(Number(row.n)).toBe(accepted.size);
    expect(Number(row.ids)).toBe(accepted.size);
    expect(Number(row.events)).toBe(accepted.size);
    expect(await pending()).toBe(0);
  });
});
