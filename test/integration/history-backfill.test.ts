/**
 * `npm run generate-events -- --days N`: the backfill writes seeded history into a real
 * PostgreSQL; its COPY path stores exactly the rows and rollups the writer's insert path stores
 * for the same seed; a re-run stores nothing twice; bad options are refused with exit code 2.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { backfill, parseBackfillArgs } from '../../scripts/backfill';
import { ROLLUPS } from '../../apps/history/src/store/event-writer';
import { createDatabase } from '../harness/postgres';
import { rollupRows } from './history-store-shared';

const ROOT = join(__dirname, '..', '..');
const END = '2026-11-20T00:00:00Z';

const ROLLUP_PRINT = `count(*) AS n, md5(string_agg(concat_ws('|', bucket, agent_id, event_type, model,
  user_id, events, successes, failures, latency_count, round(latency_sum::numeric, 6), latency_packed,
  input_tokens, output_tokens, tokens, round(cost::numeric, 9)), ','
  ORDER BY bucket, agent_id, event_type, model, user_id)) AS print`;

/** Counts and fingerprints of every stored column of the events and both rollup tables. */
async function fingerprint(url: string): Promise<Record<string, unknown>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const events = await client.query<Record<string, unknown>>(
      `SELECT count(*) AS n, md5(string_agg(concat_ws('|', ts, event_id, received_at, stream_id,
         event_type, agent_id, target_agent_id, user_id, trace_id, session_id, parent_event_id,
         model, success, latency_ms, confidence, input_tokens, output_tokens, tokens, cost,
         error_type, body::text), ',' ORDER BY event_id, ts)) AS print FROM auren_events`,
    );
    const minute = await client.query<Record<string, unknown>>(
      `SELECT ${ROLLUP_PRINT} FROM auren_rollup_minute`,
    );
    const hour = await client.query<Record<string, unknown>>(
      `SELECT ${ROLLUP_PRINT} FROM auren_rollup_hour`,
    );
    const day = await client.query<Record<string, unknown>>(
      `SELECT ${ROLLUP_PRINT} FROM auren_rollup_day`,
    );
    const agentHour = await client.query<Record<string, unknown>>(
      `SELECT ${ROLLUP_PRINT} FROM ${rollupRows(ROLLUPS.find((spec) => spec.table === 'auren_rollup_agent_hour')!)} t`,
    );
    const shape = await client.query<Record<string, unknown>>(
      `SELECT count(DISTINCT agent_id) AS agents, count(DISTINCT user_id) AS users,
         count(DISTINCT model) AS models, count(DISTINCT event_type) AS types,
         count(*) FILTER (WHERE event_type = 'tool_usage' AND NOT success) AS tool_failures,
         count(DISTINCT trace_id) AS traces, min(ts) AS first, max(ts) AS last FROM auren_events`,
    );
    return {
      events: events.rows[0],
      minute: minute.rows[0],
      hour: hour.rows[0],
      day: day.rows[0],
      agentHour: agentHour.rows[0],
      ...shape.rows[0],
    };
  } finally {
    await client.end();
  }
}

const run = promisify(execFile);

describe('history backfill', () => {
  it('stores the same rows and rollups by COPY as by the writer insert, and a realistic history', async () => {
    const [copyUrl, insertUrl] = await Promise.all([
      createDatabase('bfcopy'),
      createDatabase('bfinsert'),
    ]);
    const argv = ['--days', '2', '--events-per-day', '6000', '--seed', '77', '--end', END];
    const log = () => undefined;

    const copied = await backfill(
      parseBackfillArgs([...argv, '--database-url', copyUrl, '--method', 'copy']),
      log,
    );
    const inserted = await backfill(
      parseBackfillArgs([
        ...argv,
        '--database-url',
        insertUrl,
        '--method',
        'insert',
        '--batch',
        '700',
      ]),
      log,
    );

    expect(copied).toMatchObject({ method: 'copy', inserted: 12_000, duplicates: 0 });
    expect(inserted).toMatchObject({ method: 'insert', inserted: 12_000, duplicates: 0 });
    const [a, b] = await Promise.all([fingerprint(copyUrl), fingerprint(insertUrl)]);
    expect(a).toEqual(b);
    expect(Number((a.agentHour as { n: string }).n)).toBeGreaterThan(0);
    expect(a).toMatchObject({
      agents: '9',
      users: '6',
      models: '5',
      types: '9',
      events: { n: '12000' },
    });
    expect(Number(a.tool_failures)).toBeGreaterThan(0);
    expect(Number(a.traces)).toBeGreaterThan(500);
    expect((a.first as Date).getTime()).toBeGreaterThanOrEqual(Date.parse(END) - 2 * 86_400_000);
    expect((a.last as Date).getTime()).toBeLessThan(Date.parse(END));

    // The range is taken now: auto falls back to the idempotent insert, which stores nothing new.
    const again = await backfill(parseBackfillArgs([...argv, '--database-url', copyUrl]), log);
    expect(again).toMatchObject({ method: 'insert', inserted: 0, duplicates: 12_000 });
    expect(await fingerprint(copyUrl)).toEqual(a);
    // And an explicit COPY into it is refused with what to do instead.
    await expect(
      backfill(parseBackfillArgs([...argv, '--database-url', copyUrl, '--method', 'copy']), log),
    ).rejects.toThrow(/--method insert/);
  });

  it('runs from the command line with progress, and refuses bad options with exit code 2', async () => {
    const url = await createDatabase('bfcli');
    const cli = ['--import', 'tsx', join(ROOT, 'scripts', 'generate-events.ts')];
    const done = await run(
      process.execPath,
      [...cli, '--days', '0.5', '--total', '3000', '--seed', '3', '--database-url', url],
      { cwd: ROOT },
    );
    expect(done.stderr).toMatch(/backfilling 3,000 events over 0.5 days .* seed 3/);
    expect(done.stderr).toMatch(/done in .* 3,000 events stored/);
    expect((await fingerprint(url)).events).toMatchObject({ n: '3000' });

    const bad = await run(process.execPath, [...cli, '--days', 'many'], { cwd: ROOT }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toMatch(/--days must be a positive number/);

    const help = await run(process.execPath, [...cli, '--days', '1', '--help'], { cwd: ROOT });
    expect(help.stdout).toMatch(/--events-per-day/);
  });
});
