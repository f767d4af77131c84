import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { AppProcess, postJson } from '../harness/apps';
import { testKafkaBrokers } from '../harness/kafka';
import { readMetrics, sample } from '../harness/metrics';
import { freePort } from '../harness/ports';
import { createDatabase } from '../harness/postgres';
import { waitFor } from '../harness/wait';

/**
 * Kafka backend: the history writers share ONE consumer group (AUREN_HISTORY_GROUP): Kafka splits
 * the partitions between them, each event is written once, offsets are committed after the
 * write, and the group's lag (high watermark - committed offset) comes back to 0.
 */
describe('History writers on Kafka: one consumer group shared by two processes', () => {
  const brokers = testKafkaBrokers();
  const suffix = Date.now().toString(36);
  const topic = `e2e-history-${suffix}`;
  const group = `e2e-history-${suffix}`;
  let databaseUrl: string;
  let ingest: AppProcess;
  let writers: AppProcess[];
  let ingestUrl: string;
  let writerUrls: string[];
  let db: Client;
  const kafka = new Kafka({ clientId: 'e2e-history', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();

  beforeAll(async () => {
    databaseUrl = await createDatabase('kafka');
    db = new Client({ connectionString: databaseUrl });
    await db.connect();
    await admin.connect();
    const env = {
      AUREN_STREAM_BACKEND: 'kafka',
      KAFKA_BROKERS: brokers.join(','),
      AUREN_KAFKA_TOPIC: topic,
      AUREN_KAFKA_PARTITIONS: '4',
      AUREN_HISTORY_GROUP: group,
    };
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
      }),
    );
    writerUrls = ports.map((port) => `http://127.0.0.1:${port}`);
    await ingest.ready(`${ingestUrl}/health/ready`, 60_000);
    await Promise.all(writers.map((w, i) => w.ready(`${writerUrls[i]}/health/ready`, 60_000)));
    // Both in the group, partitions assigned: the work is shared from the first event.
    await waitFor(
      async () => {
        const { groups } = await admin.describeGroups([group]);
        return groups[0]?.state === 'Stable' && groups[0].members.length === 2;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'a stable group of two writers' },
    );
  });

  afterAll(async () => {
    await Promise.all([ingest, ...writers].map((p) => p.stop()));
    await db.end();
    await admin.disconnect();
  });

  it('writes each event once, both writers taking part, and the lag returns to 0', async () => {
    const accepted: string[] = [];
    for (let i = 0; i < 20; i += 1) {
      const events = Array.from({ length: 100 }, (_, j) => ({
        event_id: `k-${i}-${j}`,
        event_type: 'llm_call',
        source_agent: { id: `agent-${(i * 100 + j) % 16}` },
        performance_metrics: { input_tokens: 5, output_tokens: 2 },
      }));
      const reply = await postJson(`${ingestUrl}/v1/events/batch`, { events });
      expect(reply.status).toBe(202);
      accepted.push(...events.map((e) => e.event_id));
    }
    await waitFor(
      async () =>
        Number((await db.query('SELECT count(*) AS n FROM auren_events')).rows[0].n) ===
        accepted.length,
      { timeoutMs: 40_000, what: `${accepted.length} rows` },
    );
    const { rows } = await db.query<{ n: string; ids: string; events: string }>(
      `SELECT count(*) AS n, count(DISTINCT event_id) AS ids,
         (SELECT sum(events) FROM auren_rollup_minute) AS events FROM auren_events`,
    );
    expect(rows[0]).toEqual({
      n: String(accepted.length),
      ids: String(accepted.length),
      events: String(accepted.length),
    });

    await waitFor(
      async () => {
        const lags = await Promise.all(
          writerUrls.map(async (url) =>
            sample(await readMetrics(url), 'auren_history_lag', '{source="kafka"}'),
          ),
        );
        return lags.every((lag) => lag === 0);
      },
      { timeoutMs: 20_000, what: 'the group lag to be 0' },
    );
    const written = await Promise.all(
      writerUrls.map(async (url) =>
        sample(await readMetrics(url), 'auren_history_events_written_total'),
      ),
    );
    // Each writer stored a share, and together each event exactly once.
    expect(written.every((n) => (n ?? 0) > 0)).toBe(true);
    expect(written.reduce((a, b) => (a ?? 0) + (b ?? 0), 0)).toBe(accepted.length);
  });
  it('after a writer is SIGKILLed, the survivor takes its partitions from the committed offsets: every event stored once', async () => {
    const before = Number((await db.query('SELECT count(*) AS n FROM auren_events')).rows[0].n);
    await writers[0].stop('SIGKILL');
    const accepted: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const events = Array.from({ length: 100 }, (_, j) => ({
        event_id: `after-kill-${i}-${j}`,
        event_type: 'llm_call',
        source_agent: { id: `agent-${(i * 100 + j) % 16}` },
      }));
      const reply = await postJson(`${ingestUrl}/v1/events/batch`, { events });
      expect(reply.status).toBe(202);
      accepted.push(...events.map((e) => e.event_id));
    }
    // The dead member leaves the group after its session timeout (10 s); then the rebalance.
    await waitFor(
      async () =>
        Number((await db.query('SELECT count(*) AS n FROM auren_events')).rows[0].n) ===
        before + accepted.length,
      { timeoutMs: 60_000, what: `${before + accepted.length} rows` },
    );
    const { rows } = await db.query<{ n: string; ids: string }>(
      'SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM auren_events',
    );
    expect(rows[0].n).toBe(rows[0].ids);
    await waitFor(
      async () =>
        sample(await readMetrics(writerUrls[1]), 'auren_history_lag', '{source="kafka"}') === 0,
      { timeoutMs: 20_000, what: 'the group lag to be 0' },
    );
  });
});
