import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from 'pg';
import { createHistoryApp } from '../../apps/history/src/history.app';
import { postJson, RunningApp, startIngest, testConfig } from '../harness/apps';
import { testKafkaBrokers } from '../harness/kafka';
import { readMetrics, sample } from '../harness/metrics';
import { freePort } from '../harness/ports';
import { createDatabase } from '../harness/postgres';
import { waitFor } from '../harness/wait';

/**
 * Hybrid backend: the history service runs both readers (the Redis group and the Kafka group).
 * Each event arrives twice; the primary key makes the second copy a no-op, and the rollups
 * count only inserted rows.
 */
describe('History writer on the hybrid backend (Redis and Kafka readers)', () => {
  const suffix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  let ingest: RunningApp;
  let history: NestFastifyApplication;
  let url: string;
  let db: Client;

  beforeAll(async () => {
    const databaseUrl = await createDatabase('hybrid');
    const port = await freePort();
    const config = await testConfig({
      AUREN_STREAM_BACKEND: 'hybrid',
      KAFKA_BROKERS: testKafkaBrokers().join(','),
      AUREN_KAFKA_TOPIC: `history-hybrid-${suffix}`,
      AUREN_KAFKA_PARTITIONS: '2',
      AUREN_HISTORY_GROUP: `history-hybrid-${suffix}`,
      DATABASE_URL: databaseUrl,
      HISTORY_PORT: String(port),
    });
    ingest = await startIngest(config);
    history = await createHistoryApp(config);
    await history.listen(port, '127.0.0.1');
    await history.startAllMicroservices();
    url = `http://127.0.0.1:${port}`;
    db = new Client({ connectionString: databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await history.close();
    await ingest.close();
    await db.end();
  });

  it('stores each event once although both readers hand it over', async () => {
    const events = Array.from({ length: 300 }, (_, i) => ({
      event_id: `h-${suffix}-${i}`,
      event_type: 'llm_call',
      source_agent: { id: `agent-${i % 6}` },
      performance_metrics: { input_tokens: 2, output_tokens: 1 },
    }));
    for (let i = 0; i < events.length; i += 100) {
      const reply = await postJson(`${ingest.url}/v1/events/batch`, {
        events: events.slice(i, i + 100),
      });
      expect(reply.status).toBe(202);
    }
    // Both readers done: each copy went through the handler.
    await waitFor(
      async () => {
        const metrics = await readMetrics(url);
        return (
          sample(metrics, 'auren_history_events_written_total') === 300 &&
          sample(metrics, 'auren_history_duplicates_total') === 300 &&
          sample(metrics, 'auren_history_lag', '{source="redis"}') === 0 &&
          sample(metrics, 'auren_history_lag', '{source="kafka"}') === 0
        );
      },
      { timeoutMs: 40_000, what: 'both readers to write everything' },
    );
    const { rows } = await db.query<{ n: string; ids: string; events: string }>(
      `SELECT count(*) AS n, count(DISTINCT event_id) AS ids,
         (SELECT sum(events) FROM auren_rollup_hour) AS events FROM auren_events`,
    );
    expect(rows[0]).toEqual({ n: '300', ids: '300', events: '300' });
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
  });
});
