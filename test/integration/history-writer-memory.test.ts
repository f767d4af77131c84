import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from 'pg';
import type { AgentEvent } from '@auren/contracts';
import { MemoryStream } from '@auren/streaming';
import { createHistoryApp } from '../../apps/history/src/history.app';
import { testConfig } from '../harness/apps';
import { readMetrics, sample } from '../harness/metrics';
import { freePort } from '../harness/ports';
import { createDatabase } from '../harness/postgres';
import { waitFor } from '../harness/wait';

const event = (id: string): AgentEvent => ({
  event_id: id,
  event_type: 'llm_call',
  timestamp: new Date().toISOString(),
  received_at: new Date().toISOString(),
  source_agent: { id: 'memory-writer' },
  payload: {},
  metadata: {},
  performance_metrics: { input_tokens: 3, output_tokens: 1 },
});

/**
 * The all-in-one case: createHistoryApp on a MemoryStream shared with the process's ingest
 * (`streaming.shared`), its writer reading the stream from its start; readiness's `writer` check
 * while the database is slow and the lag exceeds AUREN_HISTORY_MAX_LAG.
 */
describe('History writer on the memory stream (the all-in-one process)', () => {
  const stream = new MemoryStream(10_000, 60_000);
  let app: NestFastifyApplication;
  let url: string;
  let databaseUrl: string;
  let db: Client;

  const count = async () =>
    Number((await db.query('SELECT count(*) AS n FROM auren_events')).rows[0].n);
  const append = (ids: string[]) =>
    stream.append(ids.map((id) => ({ event: event(id), dedupe: true })));
  const readiness = async () => {
    const response = await fetch(`${url}/health/ready`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    databaseUrl = await createDatabase('memwriter');
    // Written before the history app exists: the writer starts at the stream's start.
    await append(['m-1', 'm-2']);
    const port = await freePort();
    const config = await testConfig({
      REDIS_URL: undefined,
      AUREN_STREAM_BACKEND: 'memory',
      DATABASE_URL: databaseUrl,
      HISTORY_PORT: String(port),
      AUREN_HISTORY_MAX_LAG: '10',
    });
    app = await createHistoryApp(config, { streaming: { shared: stream } });
    await app.listen(port, '127.0.0.1');
    await app.startAllMicroservices();
    url = `http://127.0.0.1:${port}`;
    db = new Client({ connectionString: databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await app.close();
    await db.end();
  });

  it('writes what the shared stream holds, from its start, then what comes', async () => {
    await waitFor(async () => (await count()) === 2, { what: 'the events from before the start' });
    await append(['m-3']);
    await waitFor(async () => (await count()) === 3, { what: 'a new event' });
    const metrics = await readMetrics(url);
    expect(sample(metrics, 'auren_history_lag', '{source="memory"}')).toBe(0);
    expect(sample(metrics, 'auren_history_events_written_total')).toBe(3);
    expect((await readiness()).status).toBe(200);
  });

  it('is not ready while more than AUREN_HISTORY_MAX_LAG events wait (a slow database), and ready again once written', async () => {
    const lock = new Client({ connectionString: databaseUrl });
    await lock.connect();
    try {
      await lock.query('BEGIN');
      await lock.query('LOCK TABLE auren_rollup_hour IN SHARE ROW EXCLUSIVE MODE');
      await append(Array.from({ length: 30 }, (_, i) => `slow-${i}`));
      const notReady = await waitFor(
        async () => {
          const look = await readiness();
          return look.status === 503 ? look.body : undefined;
        },
        { what: 'readiness 503' },
      );
      expect(JSON.stringify(notReady)).toMatch(
        /30 events not written yet \(AUREN_HISTORY_MAX_LAG=10\)/,
      );
      expect(sample(await readMetrics(url), 'auren_history_lag', '{source="memory"}')).toBe(30);
    } finally {
      await lock.query('COMMIT');
      await lock.end();
    }
    await waitFor(async () => (await count()) === 33, { what: 'the held batch' });
    await waitFor(async () => (await readiness()).status === 200, { what: 'ready again' });
  });
});
