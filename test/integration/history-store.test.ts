/**
 * The history store against a real PostgreSQL (a database of its own on the run's server) and the
 * embedded PGlite: idempotent writes, rollups equal to the raw rows they summarise (on the
 * pre-aggregated path and on the path for partly redelivered batches), the SQL and JavaScript
 * latency buckets agreeing, retention dropping whole partitions, and two writers creating the
 * same partitions at once.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { StreamedEvent } from '@auren/contracts';
import {
  applyRetention,
  PartitionKeeper,
  partitionName,
  ROLLUPS,
  writeEvents,
} from '../../apps/history/src/store/event-writer';
import {
  LATENCY_THRESHOLDS,
  latencyBucket,
  runMigrations,
} from '../../apps/history/src/store/migrations';
import { PostgresDatabase, type SqlDatabase } from '../../apps/history/src/store/sql-database';
import { unpackHistogram } from '../../apps/history/src/queries/figures';
import { createDatabase } from '../harness/postgres';
import { DAY_MS, END, history, rollupsAndRaw, type RollupRow } from './history-store-shared';

async function expectRollupsEqualRaw(db: SqlDatabase): Promise<void> {
  for (const spec of ROLLUPS) {
    const { stored, raw } = await rollupsAndRaw(db, spec);
    expectSameRollups(stored, raw);
    // The packed histogram reads back the same in JavaScript (the queries) and in SQL.
    const packed = await db.query<{ hist: number[] | null; packed: string | null }>(
      `SELECT auren_hist_unpack(latency_packed) AS hist, latency_packed::text AS packed FROM ${spec.table}`,
    );
    for (const row of packed.rows) {
      const hist = row.hist ?? [];
      while (hist.length > 0 && hist[hist.length - 1] === 0) hist.pop();
      expect(row.packed === null ? [] : unpackHistogram(row.packed)).toEqual(hist);
    }
  }
}

function expectSameRollups(stored: Map<string, RollupRow>, raw: Map<string, RollupRow>): void {
  expect(stored.size).toBeGreaterThan(0);
  expect([...stored.keys()].sort()).toEqual([...raw.keys()].sort());
  for (const [key, expected] of raw) {
    const actual = stored.get(key) as RollupRow;
    for (const column of [
      'events',
      'successes',
      'failures',
      'latency_count',
      'input_tokens',
      'output_tokens',
      'tokens',
    ] as const) {
      expect({ key, column, value: Number(actual[column]) }).toEqual({
        key,
        column,
        value: Number(expected[column]),
      });
    }
    expect(actual.latency_hist).toEqual(expected.latency_hist);
    expect(actual.latency_sum).toBeCloseTo(expected.latency_sum, 6);
    expect(actual.cost).toBeCloseTo(expected.cost, 9);
  }
}

async function count(db: SqlDatabase, sql: string): Promise<number> {
  const { rows } = await db.query<{ n: string | number }>(sql);
  return Number(rows[0].n);
}

describe('history store on PostgreSQL', () => {
  let db: SqlDatabase;

  beforeAll(async () => {
    db = new PostgresDatabase(await createDatabase('hstore'));
    await runMigrations(db);
  });

  afterAll(async () => {
    await db?.close();
  });

  beforeEach(async () => {
    await db.query(`TRUNCATE auren_events, ${ROLLUPS.map((spec) => spec.table).join(', ')}`);
  });

  it('stores each event once: a redelivered batch inserts nothing and leaves the rollups as they were', async () => {
    const keeper = new PartitionKeeper();
    const batches = history(11, 1200);
    let inserted = 0;
    for (const batch of batches) inserted += (await writeEvents(db, keeper, batch, 30)).inserted;
    expect(inserted).toBe(1200);
    const before = await count(db, 'SELECT sum(events) AS n FROM auren_rollup_minute');

    const again = await writeEvents(db, keeper, batches[0], 30);

    expect(again).toEqual({ inserted: 0, duplicates: batches[0].length });
    expect(await count(db, 'SELECT count(*) AS n FROM auren_events')).toBe(1200);
    expect(await count(db, 'SELECT sum(events) AS n FROM auren_rollup_minute')).toBe(before);
    expect(await count(db, 'SELECT sum(events) AS n FROM auren_rollup_hour')).toBe(1200);
  });

  it('keeps every rollup equal to the raw rows, including batches that were partly stored already and repeats inside a batch', async () => {
    const keeper = new PartitionKeeper();
    const events = history(12, 1500, 1, 1500)[0];
    // 0..600 first; then 400..1000 (a third already stored: the statement aggregates only the
    // rows it inserted) with an event repeated inside the batch; then the rest.
    await writeEvents(db, keeper, events.slice(0, 600), 30);
    const overlap = await writeEvents(
      db,
      keeper,
      [...events.slice(400, 1000), events[700], events[999]],
      30,
    );
    expect(overlap).toEqual({ inserted: 400, duplicates: 202 });
    await writeEvents(db, keeper, events.slice(1000), 30);

    expect(await count(db, 'SELECT count(*) AS n FROM auren_events')).toBe(1500);
    await expectRollupsEqualRaw(db);
  });

  it('puts latencies in the same histogram bucket in SQL as the writer does in JavaScript', async () => {
    const values = [0, 0.5, 0.999, 1, 1.05, 250.3, 30_000, 1e12];
    for (const t of LATENCY_THRESHOLDS.slice(0, 120)) {
      values.push(t, t * (1 - 1e-12), t * (1 + 1e-12));
    }
    const { rows } = await db.query<{ ms: number; bucket: number }>(
      'SELECT ms, auren_latency_bucket(ms) AS bucket FROM unnest($1::double precision[]) AS ms',
      [values],
    );
    expect(rows).toHaveLength(values.length);
    for (const row of rows) expect({ ms: row.ms, bucket: latencyBucket(row.ms) }).toEqual(row);
    expect(latencyBucket(0.5)).toBe(1);
    expect(latencyBucket(1)).toBe(2);
    expect(latencyBucket(1e12)).toBe(200);
    expect(latencyBucket(-1)).toBeNull();
  });

  it('retention drops whole partitions older than the window and the rollups of that time', async () => {
    const keeper = new PartitionKeeper();
    const batches = history(13, 900, 3, 900);
    for (const batch of batches) await writeEvents(db, keeper, batch, 30);
    const days = (
      await db.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'auren_events' ORDER BY 1`,
      )
    ).rows.map((row) => row.name);
    const oldest = new Date(END - 3 * DAY_MS).toISOString().slice(0, 10);
    expect(days).toContain(partitionName(oldest));

    // 28 days after END, a 30-day window starts at END - 2 days: only the oldest day is out.
    const dropped = await applyRetention(db, 30, END + 28 * DAY_MS);

    expect(dropped).toEqual([partitionName(oldest)]);
    const cutoff = new Date(END - 2 * DAY_MS).toISOString();
    expect(await count(db, `SELECT count(*) AS n FROM auren_events WHERE ts < '${cutoff}'`)).toBe(
      0,
    );
    for (const { table } of ROLLUPS) {
      expect(await count(db, `SELECT count(*) AS n FROM ${table} WHERE bucket < '${cutoff}'`)).toBe(
        0,
      );
    }
    expect(await count(db, 'SELECT count(*) AS n FROM auren_events')).toBeGreaterThan(0);
    await expectRollupsEqualRaw(db);
    // A writer that still remembers the dropped day re-creates it when an event of it arrives.
    const late = batches[0].slice(0, 5);
    expect((await writeEvents(db, keeper, late, 365)).inserted).toBe(5);
  });
});

describe('history store on PGlite (child process)', () => {
  it('stores each event once and keeps the rollups equal to the raw rows', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'history-store-shared.ts')],
      { cwd: join(__dirname, '..', '..'), maxBuffer: 64 * 1024 * 1024 },
    );
    const result = JSON.parse(stdout) as {
      outcomes: Array<{ inserted: number; duplicates: number }>;
      stored: number;
      tables: Record<string, { stored: RollupRow[]; raw: RollupRow[] }>;
    };

    expect(result.outcomes).toEqual([
      { inserted: 500, duplicates: 0 },
      { inserted: 0, duplicates: 500 },
      { inserted: 300, duplicates: 200 },
      { inserted: 400, duplicates: 0 },
    ]);
    expect(result.stored).toBe(1200);
    expect(Object.keys(result.tables).sort()).toEqual(ROLLUPS.map((spec) => spec.table).sort());
    for (const { table } of ROLLUPS) {
      const { stored, raw } = result.tables[table];
      expectSameRollups(
        new Map(stored.map((row) => [row.key, row])),
        new Map(raw.map((row) => [row.key, row])),
      );
    }
  });
});

describe('two writers on PostgreSQL', () => {
  it('create the same new partitions at once and store every event once', async () => {
    const url = await createDatabase('hstore2');
    const first = new PostgresDatabase(url);
    const second = new PostgresDatabase(url);
    try {
      await Promise.all([runMigrations(first), runMigrations(second)]);
      const batches = history(14, 2400, 4, 300);
      // Both start on the same days at once; each writes every other batch, then the other's.
      const own = (parity: number) => batches.filter((_, i) => i % 2 === parity);
      const run = async (db: SqlDatabase, mine: StreamedEvent[][], theirs: StreamedEvent[][]) => {
        const keeper = new PartitionKeeper();
        let inserted = 0;
        for (const batch of [...mine, ...theirs])
          inserted += (await writeEvents(db, keeper, batch, 30)).inserted;
        return inserted;
      };
      const [a, b] = await Promise.all([run(first, own(0), own(1)), run(second, own(1), own(0))]);

      expect(a + b).toBe(2400);
      expect(await count(first, 'SELECT count(*) AS n FROM auren_events')).toBe(2400);
      expect(await count(first, 'SELECT count(DISTINCT event_id) AS n FROM auren_events')).toBe(
        2400,
      );
      await expectRollupsEqualRaw(first);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
