/**
 * H1 — the history writer's insert: events/s through `writeEvents` (apps/history/src/store), in
 * the writer's batches (AUREN_HISTORY_BATCH, 2,000), into a real PostgreSQL the scenario starts
 * (test/harness/postgres.ts), against a bare `COPY … FROM STDIN` of the same rows into the same
 * table (same schema, indexes and partitions; no conflict check, no rollups) in the same run.
 *
 * The events are live-like: seeded history (scripts/history-events.ts) as dense in time as
 * 20,000 events/s, so a batch covers a tenth of a second and its rollup rows are mostly updates
 * of rows the previous batches created, as in service. They are generated and turned into rows
 * before the clock starts; the writer side still maps events to rows (toRow) inside the timing,
 * as the writer does, the COPY side gets rows ready-made.
 *
 * Rounds: closed loop (each writer takes the next batch as soon as its last one committed) with
 * one writer and with two replicas (each its own pool and PartitionKeeper, as two processes),
 * each against COPY with as many connections; then an open-loop round offering 20,000 events/s
 * for the window, the lag (offered − committed) sampled every 100 ms: bounded when, as the offer
 * ends, the writers are at most three batches each behind it.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { StreamedEvent } from '@auren/contracts';
import { dayOf, toRow } from '../../apps/history/src/store/event-rows';
import { PartitionKeeper, writeEvents } from '../../apps/history/src/store/event-writer';
import { runMigrations } from '../../apps/history/src/store/migrations';
import { PostgresDatabase } from '../../apps/history/src/store/sql-database';
import { EVENT_COPY_COLUMNS, eventsCopyText } from '../../scripts/backfill';
import { historyBatches } from '../../scripts/history-events';
import type { PostgresServer } from '../../test/harness/postgres';
import { freshDatabase, scratchServer } from '../lib/history-data';
import {
  fmt,
  pct,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
} from '../lib/scenario';

const BATCH = 2000;
const TARGET = 20_000;
const GOAL = `≥ ${fmt(TARGET)} events/s sustained, lag bounded`;

interface Settings {
  events: number;
  warmupEvents: number;
  paceSeconds: number;
}

function settingsFor(quick: boolean): Settings {
  return quick
    ? { events: 80_000, warmupEvents: 10_000, paceSeconds: 3 }
    : { events: 300_000, warmupEvents: 20_000, paceSeconds: 8 };
}

/** Seeded events as dense as `TARGET`/s, ending now, in writer batches. */
function liveBatches(count: number, seed: number): StreamedEvent[][] {
  const seconds = count / TARGET;
  return [
    ...historyBatches({
      seed,
      days: seconds / 86_400,
      total: count,
      end: Date.now(),
      batchSize: BATCH,
    }),
  ];
}

async function prepared(server: PostgresServer, name: string, batches: StreamedEvent[][]) {
  const url = await freshDatabase(server, name);
  const db = new PostgresDatabase(url);
  await runMigrations(db);
  const days = new Set(batches.flat().map((e) => dayOf(toRow(e, 30).ts)));
  await new PartitionKeeper().ensure(db, days);
  await db.close();
  return url;
}

/** Closed loop: `writers` replicas take batches in turn; events/s over the measured batches. */
async function writerRound(
  server: PostgresServer,
  name: string,
  warmup: StreamedEvent[][],
  batches: StreamedEvent[][],
  writers: number,
): Promise<{ eventsPerSec: number; inserted: number }> {
  const url = await prepared(server, name, [...warmup, ...batches]);
  const replicas = Array.from({ length: writers }, () => ({
    db: new PostgresDatabase(url),
    keeper: new PartitionKeeper(),
  }));
  try {
    const drain = async (queue: StreamedEvent[][]) => {
      let next = 0;
      let inserted = 0;
      await Promise.all(
        replicas.map(async ({ db, keeper }) => {
          while (next < queue.length) {
            const batch = queue[next++];
            const outcome = await writeEvents(db, keeper, batch, 30);
            inserted += outcome.inserted;
          }
        }),
      );
      return inserted;
    };
    await drain(warmup);
    const started = performance.now();
    const inserted = await drain(batches);
    const seconds = (performance.now() - started) / 1000;
    return { eventsPerSec: inserted / seconds, inserted };
  } finally {
    await Promise.all(replicas.map(({ db }) => db.close()));
  }
}

/** The same rows by bare COPY, `connections` at a time, in batches of the same size. */
async function copyRound(
  server: PostgresServer,
  name: string,
  warmup: StreamedEvent[][],
  batches: StreamedEvent[][],
  connections: number,
): Promise<number> {
  const url = await prepared(server, name, [...warmup, ...batches]);
  const texts = (list: StreamedEvent[][]) =>
    list.map((batch) => eventsCopyText(batch.map((event) => toRow(event, 30))));
  const warm = texts(warmup);
  const measured = texts(batches);
  const clients = Array.from({ length: connections }, () => new Client({ connectionString: url }));
  for (const client of clients) await client.connect();
  try {
    const drain = async (queue: string[]) => {
      let next = 0;
      await Promise.all(
        clients.map(async (client) => {
          while (next < queue.length) {
            const text = queue[next++];
            await pipeline(
              Readable.from([text]),
              client.query(
                copyFrom(`COPY auren_events (${EVENT_COPY_COLUMNS.join(', ')}) FROM STDIN`),
              ),
            );
          }
        }),
      );
    };
    await drain(warm);
    const started = performance.now();
    await drain(measured);
    return (batches.length * BATCH) / ((performance.now() - started) / 1000);
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
}

/** Open loop: batches offered at `TARGET`/s for `seconds`; the lag sampled every 100 ms. */
async function pacedRound(
  server: PostgresServer,
  batches: StreamedEvent[][],
  writers: number,
  seconds: number,
): Promise<{ offered: number; written: number; maxLag: number; endLag: number; seconds: number }> {
  const url = await prepared(server, 'h1_paced', batches);
  const replicas = Array.from({ length: writers }, () => ({
    db: new PostgresDatabase(url),
    keeper: new PartitionKeeper(),
  }));
  const total = Math.min(batches.length, Math.floor((seconds * TARGET) / BATCH));
  let next = 0;
  let written = 0;
  const lags: number[] = [];
  const started = performance.now();
  const offered = () =>
    Math.min(total, Math.floor((((performance.now() - started) / 1000) * TARGET) / BATCH));
  // The lag while the load is offered; the figure that matters is where it stands when the
  // offer ends (a writer that keeps up is then at most a batch or two behind).
  let lagAtEnd: number | undefined;
  const sampler = setInterval(() => {
    const lag = offered() * BATCH - written;
    lags.push(lag);
    if (lagAtEnd === undefined && performance.now() - started >= seconds * 1000) lagAtEnd = lag;
  }, 100);
  try {
    await Promise.all(
      replicas.map(async ({ db, keeper }) => {
        while (next < total) {
          if (next >= offered()) {
            await new Promise((resolve) => setTimeout(resolve, 5));
            continue;
          }
          const batch = batches[next++];
          const outcome = await writeEvents(db, keeper, batch, 30);
          written += outcome.inserted;
        }
      }),
    );
  } finally {
    clearInterval(sampler);
    await Promise.all(replicas.map(({ db }) => db.close()));
  }
  return {
    offered: total * BATCH,
    written,
    maxLag: Math.max(0, ...lags),
    endLag: lagAtEnd ?? 0,
    seconds: (performance.now() - started) / 1000,
  };
}

export const h1HistoryWriter: Scenario = {
  id: 'H1',
  title: 'history writer: events/s into PostgreSQL',
  description:
    'writeEvents (idempotent insert + minute/hour/day/agent-hour rollups, 2,000-event batches) into a real PostgreSQL, 1 writer and 2 replicas, and an open-loop round at 20,000 events/s with its lag; baseline: bare COPY of the same rows into the same table, same run',
  async run(context: ScenarioContext): Promise<ScenarioResult> {
    const settings = settingsFor(context.quick);
    const server = await scratchServer();
    try {
      context.log(`H1: generating ${fmt(settings.events)} live-like events`);
      const warmup = liveBatches(settings.warmupEvents, 101);
      const batches = liveBatches(settings.events, 102);
      const rounds: Record<string, number> = {};
      for (const writers of [1, 2]) {
        const auren = await writerRound(server, `h1_w${writers}`, warmup, batches, writers);
        const copy = await copyRound(server, `h1_c${writers}`, warmup, batches, writers);
        rounds[`writer${writers}`] = auren.eventsPerSec;
        rounds[`copy${writers}`] = copy;
        context.log(
          `H1: ${writers} writer(s) ${fmt(auren.eventsPerSec)} events/s (${fmt(auren.inserted)} stored); COPY on ${writers} connection(s) ${fmt(copy)} rows/s; ratio ${pct(auren.eventsPerSec / copy)}`,
        );
      }
      const best = rounds.writer2 >= rounds.writer1 ? 2 : 1;
      const paced = await pacedRound(server, batches, best, settings.paceSeconds);
      const bounded = paced.endLag <= 3 * best * BATCH;
      context.log(
        `H1: offered ${fmt(TARGET)} events/s for ${settings.paceSeconds} s to ${best} writer(s): all ${fmt(paced.written)} written after ${fmt(paced.seconds, 1)} s, lag max ${fmt(paced.maxLag)}, ${fmt(paced.endLag)} when the offer ended (${bounded ? 'bounded' : 'growing'})`,
      );
      const auren = rounds[`writer${best}`];
      const copy = rounds[`copy${best}`];
      return {
        id: 'H1',
        title: h1HistoryWriter.title,
        auren: {
          value: auren,
          text: `${fmt(auren)} events/s (${best} writer${best > 1 ? 's' : ''}; 1 writer ${fmt(rounds.writer1)})`,
        },
        baseline: {
          value: copy,
          text: `${fmt(copy)} rows/s (${best} connection${best > 1 ? 's' : ''}; 1: ${fmt(rounds.copy1)})`,
          label: 'bare COPY, same rows and table',
        },
        ratio: auren / copy,
        goal: GOAL,
        met: auren >= TARGET && bounded,
        settings: { ...settings, batch: BATCH, offeredRate: TARGET, writersCompared: [1, 2] },
        details: { rounds, paced },
        notes: [
          `H1: writeEvents ÷ bare COPY — 1 writer ${pct(rounds.writer1 / rounds.copy1)}, 2 writers ${pct(rounds.writer2 / rounds.copy2)}. The writer also checks every row for a duplicate (ON CONFLICT), adds it to four rollup tables (minute, hour, day, agent-hour) and maps events to rows; COPY does none of that.`,
          `H1: open loop at ${fmt(TARGET)} events/s, ${best} writer(s): lag max ${fmt(paced.maxLag)} events, ${fmt(paced.endLag)} when the offer ended — ${bounded ? 'bounded' : 'growing: the writer does not keep up at this rate on this machine now'}.`,
        ],
      };
    } finally {
      await server.dispose();
    }
  },
};
