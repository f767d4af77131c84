/**
 * H2 — history queries over a backfilled history (10 million events over 30 days in full runs,
 * 1 million in quick ones; `generate-events --days` COPY path, cached between runs in
 * .cache/bench-history/, see bench/lib/history-data.ts) in a real PostgreSQL of the bench's own:
 * the GraphQL API's own query code (HistoryQueries, apps/history/src/queries) with a viewer that
 * sees every user, as the API runs it (read-only transaction with its statement timeout):
 *   - agentStats for one agent over the 30 days in hourly buckets,
 *   - costBreakdown by model and day over the 30 days,
 *   - events of one trace (the events query filtered by traceId), for traces spread over the set.
 * Each is run a few times to warm the cache, then timed one after the other; p50, p95 and max
 * per query. The budget: p95 under 50 ms each. Every statement each query sends is then run
 * once under EXPLAIN (ANALYZE): the tables and indexes its plan reads are reported.
 */
import type { SqlDatabase, SqlSession } from '../../apps/history/src/store/sql-database';
import { PostgresDatabase } from '../../apps/history/src/store/sql-database';
import { ALL_SEEING, HistoryQueries } from '../../apps/history/src/queries';
import { historyData, historyDataCached, type HistoryDataSpec } from '../lib/history-data';
import { fmt, type Scenario, type ScenarioContext, type ScenarioResult } from '../lib/scenario';

const BUDGET_MS = 50;
const DAY_MS = 86_400_000;

interface Settings {
  spec: HistoryDataSpec;
  warmup: number;
  runs: number;
}

function settingsFor(quick: boolean): Settings {
  return {
    spec: {
      seed: 42,
      // AUREN_BENCH_HISTORY_EVENTS: another size (each size is built once and cached).
      total: Number(process.env.AUREN_BENCH_HISTORY_EVENTS) || (quick ? 1_000_000 : 10_000_000),
      days: 30,
      end: '2026-11-01T00:00:00Z',
    },
    warmup: 10,
    runs: quick ? 20 : 30,
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Records the statements a query sends (outside the transaction set-up). */
class Recorder {
  statements: Array<{ text: string; params: unknown[] }> = [];

  wrap(db: SqlDatabase): SqlDatabase {
    const record = (text: string, params?: unknown[]) => {
      if (!/^\s*SET\b/i.test(text)) this.statements.push({ text, params: params ?? [] });
    };
    const session = (inner: SqlSession): SqlSession => ({
      query: (text, params) => {
        record(text, params);
        return inner.query(text, params);
      },
    });
    return new Proxy(db, {
      get(target, key, receiver) {
        if (key === 'query') {
          const direct = session(target);
          return (text: string, params?: unknown[]) => direct.query(text, params);
        }
        if (key === 'transaction')
          return <T>(work: (tx: SqlSession) => Promise<T>) =>
            target.transaction((tx) => work(session(tx)));
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
  }
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** "Index Scan auren_rollup_hour_agent on auren_rollup_hour", … from a JSON plan. */
function planReads(node: PlanNode, out = new Set<string>()): Set<string> {
  if (node['Relation Name'] || node['Index Name']) {
    const index = node['Index Name'] ? ` ${node['Index Name']}` : '';
    out.add(`${node['Node Type']}${index} on ${node['Relation Name'] ?? '?'}`);
  }
  for (const child of node.Plans ?? []) planReads(child, out);
  return out;
}

/** Collapses one line per daily partition into one line per kind of read. */
function summarise(reads: Set<string>): string[] {
  const counts = new Map<string, number>();
  for (const read of reads) {
    const key = read.replace(/auren_events_\d{8}/g, 'auren_events_<day>');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([read, n]) => (n > 1 ? `${read} (${n} partitions)` : read));
}

export const h2HistoryQueries: Scenario = {
  id: 'H2',
  title: 'history queries over 10 M events: p95',
  description:
    'agentStats (one agent, 30 days, hourly), costBreakdown (model × day, 30 days), events of one trace through the GraphQL API query code, over a 10 M-event backfill (quick: 1 M) cached in .cache/bench-history; p95 each against the 50 ms budget, with the plans’ tables and indexes',
  async run(context: ScenarioContext): Promise<ScenarioResult> {
    const settings = settingsFor(context.quick);
    // A whole-suite run stays bounded: it builds no 10 M set (about 45 minutes on the 2-core
    // machine) but measures 1 M until `--only H2` (or AUREN_BENCH_HISTORY_EVENTS) has built it.
    const smaller = { ...settings.spec, total: 1_000_000 };
    if (
      !context.only?.includes('H2') &&
      !process.env.AUREN_BENCH_HISTORY_EVENTS &&
      !historyDataCached(settings.spec) &&
      settings.spec.total > smaller.total
    ) {
      context.log(
        `H2: the ${fmt(settings.spec.total)}-event set is not built yet: measuring ${fmt(smaller.total)} events (npm run bench -- --only H2 builds the full set once)`,
      );
      settings.spec = smaller;
    }
    const data = await historyData(settings.spec, (line) => context.log(`H2: ${line}`));
    const db = new PostgresDatabase(data.url);
    try {
      const queries = new HistoryQueries(db);
      const end = new Date(settings.spec.end);
      const from = new Date(end.getTime() - 30 * DAY_MS);
      // 30 traces spread over the month (the trace at 30 points in time, by the ts index).
      const traces: string[] = [];
      for (let i = 0; i < 30; i++) {
        const at = new Date(from.getTime() + (i + 0.37) * DAY_MS);
        const { rows } = await db.query<{ trace_id: string }>(
          'SELECT trace_id FROM auren_events WHERE ts >= $1 AND trace_id IS NOT NULL ORDER BY ts LIMIT 1',
          [at.toISOString()],
        );
        if (rows[0]) traces.push(rows[0].trace_id);
      }
      if (traces.length === 0) throw new Error('no trace ids sampled from the history');
      let traceIndex = 0;
      const cases: Array<{ name: string; run: (q: HistoryQueries) => Promise<unknown> }> = [
        {
          name: 'agentStats(neuroscientist, 30 days, HOUR)',
          run: (q) => q.agentStats(ALL_SEEING, { agent: 'neuroscientist', from, to: end }),
        },
        {
          name: 'costBreakdown(30 days, by MODEL, DAY)',
          run: (q) => q.costBreakdown(ALL_SEEING, { from, to: end, by: ['MODEL', 'DAY'] }),
        },
        {
          name: 'events(filter: {traceId})',
          run: (q) =>
            q.events(ALL_SEEING, {
              filter: { traceId: traces[traceIndex++ % traces.length] },
              first: 100,
            }),
        },
      ];
      const figures: Array<{
        name: string;
        p50: number;
        p95: number;
        max: number;
        plan: string[];
      }> = [];
      for (const item of cases) {
        for (let i = 0; i < settings.warmup; i++) await item.run(queries);
        const times: number[] = [];
        for (let i = 0; i < settings.runs; i++) {
          const started = performance.now();
          await item.run(queries);
          times.push(performance.now() - started);
        }
        const recorder = new Recorder();
        await item.run(new HistoryQueries(recorder.wrap(db)));
        const plan: string[] = [];
        for (const statement of recorder.statements) {
          const { rows } = await db.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
            `EXPLAIN (ANALYZE, FORMAT JSON) ${statement.text}`,
            statement.params,
          );
          plan.push(...summarise(planReads(rows[0]['QUERY PLAN'][0].Plan)));
        }
        const figure = {
          name: item.name,
          p50: percentile(times, 50),
          p95: percentile(times, 95),
          max: Math.max(...times),
          plan,
        };
        figures.push(figure);
        context.log(
          `H2: ${item.name}: p50 ${fmt(figure.p50, 1)} ms, p95 ${fmt(figure.p95, 1)} ms, max ${fmt(figure.max, 1)} ms; reads ${plan.join('; ')}`,
        );
      }
      const worst = Math.max(...figures.map((f) => f.p95));
      const counted = await db.query<{ n: string }>(
        "SELECT reltuples::bigint AS n FROM pg_class WHERE relname = 'auren_events'",
      );
      return {
        id: 'H2',
        title: h2HistoryQueries.title,
        auren: {
          value: worst,
          text: figures.map((f) => `${f.name.split('(')[0]} p95 ${fmt(f.p95, 1)} ms`).join(', '),
        },
        baseline: { value: BUDGET_MS, text: `${BUDGET_MS} ms`, label: 'budget' },
        ratio: worst / BUDGET_MS,
        goal: `p95 < ${BUDGET_MS} ms each`,
        met: worst < BUDGET_MS,
        settings: { ...settings, datasetKey: data.key, traces: traces.length },
        details: {
          figures,
          dataset: {
            key: data.key,
            built: data.built,
            buildSeconds: data.buildSeconds,
            estimatedRows: Number(counted.rows[0]?.n ?? 0),
          },
        },
        notes: [
          `H2: ${fmt(settings.spec.total)} events over ${settings.spec.days} days (${data.built ? `built in ${fmt(data.buildSeconds ?? 0)} s this run` : 'cached'}); ${settings.runs} timed runs per query after ${settings.warmup} warm-up runs; ratio = worst p95 ÷ budget.`,
          ...figures.map(
            (f) =>
              `H2: ${f.name}: p50 ${fmt(f.p50, 1)} ms, p95 ${fmt(f.p95, 1)} ms, max ${fmt(f.max, 1)} ms — plan reads ${f.plan.join('; ')}.`,
          ),
        ],
      };
    } finally {
      await db.close();
      await data.server.stop();
    }
  },
};
