/**
 * The aggregate queries over ranges of several days read whole days from the day rollup, ragged
 * hours from the hour rollup and ragged minutes from the minute rollup (rollup-source.ts): their
 * figures must equal the raw events of the range, for every viewer, at each edge.
 */
import { isVisibleTo, type StreamedEvent } from '@auren/contracts';
import { HistoryQueries } from '../../apps/history/src/queries/history-queries';
import { ALL_SEEING, type QueryViewer } from '../../apps/history/src/queries/scope';
import { PartitionKeeper, writeEvents } from '../../apps/history/src/store/event-writer';
import { historyTime } from '../../apps/history/src/store/event-rows';
import { runMigrations } from '../../apps/history/src/store/migrations';
import { PostgresDatabase } from '../../apps/history/src/store/sql-database';
import { createDatabase } from '../harness/postgres';
import { DAY_MS, END, history } from './history-store-shared';

const HOUR_MS = 3_600_000;
let db: PostgresDatabase;
let queries: HistoryQueries;
let events: StreamedEvent[];

beforeAll(async () => {
  db = new PostgresDatabase(await createDatabase('levels'));
  await runMigrations(db);
  const keeper = new PartitionKeeper();
  const batches = history(33, 6000, 4, 1000);
  for (const batch of batches) await writeEvents(db, keeper, batch, 30);
  events = batches.flat();
  queries = new HistoryQueries(db);
});
afterAll(() => db?.close());

// Starts mid-minute 2 h 07 min before a midnight, ends 5 h 13 min after another: minutes, hours,
// two whole days, hours, minutes.
const from = new Date(END - 3 * DAY_MS - 2 * HOUR_MS - 7 * 60_000 - 30_000);
const to = new Date(END - DAY_MS + 5 * HOUR_MS + 13 * 60_000);

function visible(viewer: QueryViewer): StreamedEvent[] {
  const minuteFrom = Math.floor(from.getTime() / 60_000) * 60_000;
  return events.filter((event) => {
    const t = Date.parse(historyTime(event, 30));
    return (
      t >= minuteFrom &&
      Math.floor(t / 60_000) * 60_000 < to.getTime() &&
      isVisibleTo(event, {
        userId: viewer.userId,
        seesAllUsers: viewer.seesAllUsers,
        allowedAgents: viewer.allowedAgents && new Set(viewer.allowedAgents),
        subscriptions: new Set(),
        agentFilter: new Set(),
        threshold: 0,
      })
    );
  });
}

const alice: QueryViewer = { userId: 'alice', seesAllUsers: false, allowedAgents: null };
const userOf = (events: StreamedEvent[]) => events.find((e) => e.user_id)?.user_id ?? 'nobody';

describe('aggregates across minute, hour and day rollups', () => {
  it('the range really spans whole days and ragged edges, with events in each part', () => {
    const all = visible(ALL_SEEING);
    expect(all.length).toBeGreaterThan(1000);
    const t = (e: StreamedEvent) => Date.parse(historyTime(e, 30));
    expect(all.some((e) => t(e) < END - 3 * DAY_MS)).toBe(true);
    expect(all.some((e) => t(e) >= END - DAY_MS)).toBe(true);
  });

  it.each([
    ['everyone', ALL_SEEING],
    ['one user', null],
  ] as const)('agents and costBreakdown by MODEL equal the raw events (%s)', async (_, given) => {
    const viewer = given ?? { ...alice, userId: userOf(events) };
    const mine = visible(viewer);
    const agents = await queries.agents(viewer, { from, to });
    const byAgent = new Map<string, StreamedEvent[]>();
    for (const e of mine)
      byAgent.set(e.source_agent.id, [...(byAgent.get(e.source_agent.id) ?? []), e]);
    expect(agents.map((a) => a.agent).sort()).toEqual([...byAgent.keys()].sort());
    for (const summary of agents) {
      const of = byAgent.get(summary.agent)!;
      expect(summary.events).toBe(of.length);
      expect(summary.failures).toBe(
        of.filter((e) => e.performance_metrics?.success === false).length,
      );
      const cost = of.reduce((s, e) => s + (e.performance_metrics?.token_cost ?? 0), 0);
      expect(summary.cost).toBeCloseTo(cost, 9);
      const latencies = of
        .map((e) => e.performance_metrics?.latency_ms)
        .filter((v): v is number => typeof v === 'number')
        .sort((a, b) => a - b);
      expect(summary.latency.count).toBe(latencies.length);
      if (latencies.length > 0) {
        const p95 = latencies[Math.max(0, Math.ceil(0.95 * latencies.length) - 1)];
        expect(Math.abs((summary.latency.p95Ms as number) - p95)).toBeLessThanOrEqual(
          0.051 * p95 + 0.5,
        );
      }
    }
    const breakdown = await queries.costBreakdown(viewer, { from, to, by: ['MODEL'] });
    const models = new Map<string, number>();
    for (const e of mine) {
      const model =
        e.performance_metrics?.model ??
        (typeof e.payload?.model === 'string' ? e.payload.model : '');
      models.set(model, (models.get(model) ?? 0) + 1);
    }
    for (const row of breakdown.rows) expect(row.events).toBe(models.get(row.model ?? ''));
    expect(breakdown.total.events).toBe(mine.length);
  });

  it('agentStats in DAY buckets reads whole days and still counts each day exactly', async () => {
    const agent = events[0].source_agent.id;
    const mine = visible(ALL_SEEING).filter((e) => e.source_agent.id === agent);
    const stats = await queries.agentStats(ALL_SEEING, { agent, from, to, bucket: 'DAY' });
    expect(stats.totals.events).toBe(mine.length);
    for (const bucket of stats.buckets) {
      const start = bucket.start.getTime();
      const inDay = mine.filter((e) => {
        const t = Date.parse(historyTime(e, 30));
        return t >= start && t < start + DAY_MS;
      });
      expect({ day: bucket.start.toISOString(), events: bucket.events }).toEqual({
        day: bucket.start.toISOString(),
        events: inDay.length,
      });
    }
    const hourly = await queries.agentStats(ALL_SEEING, { agent, from, to, bucket: 'HOUR' });
    expect(hourly.totals.events).toBe(mine.length);
    expect(hourly.totals.latency.p95Ms).toBe(stats.totals.latency.p95Ms);
    // The same figures per model (sums of doubles in another order: cost compared to 1e-9).
    const perModel = (list: typeof stats.models) =>
      list.map((m) => [m.model, m.events, m.tokens, m.latency.p95Ms, Math.round(m.cost * 1e9)]);
    expect(perModel(hourly.models)).toEqual(perModel(stats.models));
  });

  it('agentStats in HOUR buckets (the agent-hour rollup for who sees everyone) counts each hour exactly, for every viewer', async () => {
    const agent = events[0].source_agent.id;
    for (const viewer of [ALL_SEEING, { ...alice, userId: userOf(events) }]) {
      const mine = visible(viewer).filter((e) => e.source_agent.id === agent);
      const stats = await queries.agentStats(viewer, { agent, from, to, bucket: 'HOUR' });
      expect(stats.totals.events).toBe(mine.length);
      const perHour = new Map<number, number>();
      for (const e of mine) {
        const hour = Math.floor(Date.parse(historyTime(e, 30)) / HOUR_MS) * HOUR_MS;
        perHour.set(hour, (perHour.get(hour) ?? 0) + 1);
      }
      expect(stats.buckets.map((b) => [b.start.getTime(), b.events])).toEqual(
        [...perHour.entries()].sort(([a], [b]) => a - b),
      );
      for (const bucket of stats.buckets) {
        expect(bucket.models.reduce((sum, m) => sum + m.events, 0)).toBe(bucket.events);
      }
    }
  });
});
