/**
 * The PGlite half of history-graphql-pglite.test.ts, run in a child process (`node --import tsx`,
 * PGlite loads as an ES module, which Jest's module system cannot): writes the dataset of
 * `historyDataset(now)` into PGlite in `dataDir`, prints the answers of every query as JSON,
 * and closes the database so that a history process can open the folder next.
 *
 * usage: node --import tsx history-graphql-pglite-child.ts <now ms> <data dir>
 */
import { ALL_SEEING, HistoryQueries, type QueryViewer } from '../../apps/history/src/queries';
import { PartitionKeeper, writeEvents } from '../../apps/history/src/store/event-writer';
import { runMigrations } from '../../apps/history/src/store/migrations';
import { PgliteDatabase, type SqlDatabase } from '../../apps/history/src/store/sql-database';
import { historyDataset } from '../fixtures/history-dataset';

export const ALICE: QueryViewer = { userId: 'alice', seesAllUsers: false, allowedAgents: null };
export const QUERY_VIEWERS: Record<string, QueryViewer> = { all: ALL_SEEING, alice: ALICE };

/** Sums of floats may differ in their last bits between engines (summation order). */
function rounded(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_key, v: unknown) =>
      typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(10)) : v,
    ),
  ) as unknown;
}

/** Every query of HistoryQueries, as `viewer`, over the dataset's range. */
export async function answers(db: SqlDatabase, viewer: QueryViewer, from: string, to: string) {
  const range = { from: new Date(from), to: new Date(to) };
  const q = new HistoryQueries(db);
  const first = await q.events(viewer, { first: 200 });
  const second = await q.events(viewer, { first: 200, after: first.pageInfo.endCursor });
  return rounded({
    pages: [first, second],
    filtered: await q.events(viewer, {
      first: 500,
      filter: {
        types: ['llm_call'],
        success: true,
        minConfidence: 0.3,
        text: 'hay',
        from: range.from,
      },
      order: 'OLDEST_FIRST',
    }),
    trace: await q.trace(viewer, 'trace-alice'),
    otlp: await q.trace(viewer, 'trace-otlp'),
    session: await q.session(viewer, 'session-trace-bob'),
    agents: await q.agents(viewer, range),
    hourly: await q.agentStats(viewer, { agent: 'coder', ...range, bucket: 'HOUR' }),
    daily: await q.agentStats(viewer, { agent: 'reviewer', ...range, bucket: 'DAY' }),
    minutes: await q.agentStats(viewer, { agent: 'planner', ...range, bucket: 'MINUTE' }),
    collaborations: await q.collaborations(viewer, range),
    costs: await q.costBreakdown(viewer, { ...range, by: ['AGENT', 'MODEL', 'USER', 'DAY'] }),
  });
}

async function main(now: number, dataDir: string): Promise<unknown> {
  const { from, to, events } = historyDataset(now);
  const db = await PgliteDatabase.open(dataDir);
  try {
    await runMigrations(db);
    await writeEvents(db, new PartitionKeeper(), events, 30);
    const result: Record<string, unknown> = {};
    for (const [name, viewer] of Object.entries(QUERY_VIEWERS)) {
      result[name] = await answers(db, viewer, from, to);
    }
    return result;
  } finally {
    await db.close();
  }
}

if (require.main === module) {
  main(Number(process.argv[2]), process.argv[3]).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
