/**
 * The aggregate queries of the history's GraphQL API (agents, agentStats, collaborations,
 * costBreakdown) against sums, counts and percentiles computed from the raw events, over real
 * HTTP on a real PostgreSQL, for viewers with and without the `all` permission.
 */
import type { StreamedEvent } from '@auren/contracts';
import { PartitionKeeper, writeEvents } from '../../apps/history/src/store/event-writer';
import { PostgresDatabase } from '../../apps/history/src/store/sql-database';
import {
  historyDataset,
  HOUR,
  percentile,
  sum,
  TOKENS,
  visibleTo,
  Who,
} from '../fixtures/history-dataset';
import { historyConfig, HistoryApi, startHistoryApi } from '../harness/graphql';
import { createDatabase } from '../harness/postgres';

const { from: FROM, to: TO, events } = historyDataset();
const inRange = (e: StreamedEvent) =>
  Date.parse(e.timestamp) >= Date.parse(FROM) && Date.parse(e.timestamp) < Date.parse(TO);
const scope = (who: Who) => visibleTo(events, who).filter(inRange);
const metric = (e: StreamedEvent) => e.performance_metrics ?? {};
const near = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

/** What the rollups should say about `list`, computed from the raw events. */
function figuresOf(list: StreamedEvent[]) {
  const latencies = list
    .map((e) => metric(e).latency_ms)
    .filter((v): v is number => typeof v === 'number');
  return {
    events: list.length,
    successes: list.filter((e) => metric(e).success === true).length,
    failures: list.filter((e) => metric(e).success === false).length,
    inputTokens: sum(list.map((e) => metric(e).input_tokens ?? 0)),
    outputTokens: sum(list.map((e) => metric(e).output_tokens ?? 0)),
    cost: sum(list.map((e) => metric(e).token_cost ?? 0)),
    latencies,
  };
}

type Figures = {
  events: number;
  successes: number;
  failures: number;
  successRate: number | null;
  inputTokens: number;
  outputTokens: number;
  cost: number;
  latency: {
    count: number;
    averageMs: number | null;
    p50Ms: number | null;
    p95Ms: number | null;
    p99Ms: number | null;
  };
};
const FIGURES = `events successes failures successRate inputTokens outputTokens cost
  latency { count averageMs p50Ms p95Ms p99Ms }`;

function expectFigures(actual: Figures, list: StreamedEvent[], label: string): void {
  const want = figuresOf(list);
  expect({
    label,
    events: actual.events,
    successes: actual.successes,
    failures: actual.failures,
  }).toEqual({
    label,
    events: want.events,
    successes: want.successes,
    failures: want.failures,
  });
  expect({ label, inputTokens: actual.inputTokens, outputTokens: actual.outputTokens }).toEqual({
    label,
    inputTokens: want.inputTokens,
    outputTokens: want.outputTokens,
  });
  expect(near(actual.cost, want.cost)).toBe(true);
  const rate =
    want.successes + want.failures ? want.successes / (want.successes + want.failures) : null;
  expect(actual.successRate === null ? null : Number(actual.successRate.toFixed(9))).toEqual(
    rate === null ? null : Number(rate.toFixed(9)),
  );
  expect(actual.latency.count).toBe(want.latencies.length);
  if (want.latencies.length > 0) {
    expect(near(actual.latency.averageMs!, sum(want.latencies) / want.latencies.length)).toBe(true);
  }
  // Percentiles from the histograms: within ±5 % of the exact nearest-rank percentile.
  for (const [field, q] of [
    ['p50Ms', 0.5],
    ['p95Ms', 0.95],
    ['p99Ms', 0.99],
  ] as const) {
    const exact = percentile(want.latencies, q);
    const got = actual.latency[field];
    if (exact === null) expect(got).toBeNull();
    else
      expect({ label, field, within: Math.abs(got! - exact) <= 0.05 * exact }).toEqual({
        label,
        field,
        within: true,
      });
  }
}

let db: PostgresDatabase;
let api: HistoryApi;

beforeAll(async () => {
  db = new PostgresDatabase(await createDatabase('gqlagg'));
  api = await startHistoryApi(await historyConfig(), db);
  await writeEvents(db, new PartitionKeeper(), events, 30);
});

afterAll(async () => {
  await api?.close();
  await db?.close();
});

describe('agents', () => {
  it.each(['admin', 'alice', 'aliceCoder'] as const)(
    'gives %s the figures of each visible agent',
    async (who) => {
      const answer = await api.query<{ agents: Array<Figures & { agent: string }> }>(
        `query A($from: DateTime, $to: DateTime) { agents(from: $from, to: $to) { agent ${FIGURES} } }`,
        { token: TOKENS[who], variables: { from: FROM, to: TO } },
      );
      expect(answer.body.errors).toBeUndefined();
      const list = scope(who);
      const agents = [...new Set(list.map((e) => e.source_agent.id))].sort();
      expect(answer.body.data!.agents.map((a) => a.agent)).toEqual(agents);
      for (const row of answer.body.data!.agents) {
        expectFigures(
          row,
          list.filter((e) => e.source_agent.id === row.agent),
          `${who}/${row.agent}`,
        );
      }
    },
  );
});

describe('agentStats', () => {
  type Stats = {
    totals: Figures;
    buckets: Array<Figures & { start: string; models: Array<Figures & { model: string | null }> }>;
    models: Array<Figures & { model: string | null }>;
  };
  const QUERY = `query S($agent: String!, $from: DateTime, $to: DateTime, $bucket: StatsBucket) {
    agentStats(agent: $agent, from: $from, to: $to, bucket: $bucket) {
      totals { ${FIGURES} }
      buckets { start ${FIGURES} models { model ${FIGURES} } }
      models { model ${FIGURES} }
    } }`;
  const unitMs = { MINUTE: 60_000, HOUR, DAY: 24 * HOUR };

  it.each([
    ['HOUR', 'admin'],
    ['DAY', 'alice'],
    ['MINUTE', 'bob'],
  ] as const)('per %s bucket and per model, for %s', async (bucket, who) => {
    const agent = 'coder';
    const answer = await api.query<{ agentStats: Stats }>(QUERY, {
      token: TOKENS[who],
      variables: { agent, from: FROM, to: TO, bucket },
    });
    expect(answer.body.errors).toBeUndefined();
    const stats = answer.body.data!.agentStats;
    const list = scope(who).filter((e) => e.source_agent.id === agent);
    expectFigures(stats.totals, list, 'totals');
    const startOf = (e: StreamedEvent) => {
      const t = Date.parse(e.timestamp);
      return new Date(t - (t % unitMs[bucket])).toISOString();
    };
    const starts = [...new Set(list.map(startOf))].sort();
    expect(stats.buckets.map((b) => b.start)).toEqual(starts);
    for (const b of stats.buckets) {
      const inBucket = list.filter((e) => startOf(e) === b.start);
      expectFigures(b, inBucket, b.start);
      for (const m of b.models) {
        expectFigures(
          m,
          inBucket.filter((e) => (metric(e).model ?? null) === m.model),
          `${b.start}/${m.model}`,
        );
      }
      expect(sum(b.models.map((m) => m.events))).toBe(b.events);
    }
    const models = [...new Set(list.map((e) => metric(e).model ?? null))];
    expect(stats.models.map((m) => m.model).sort()).toEqual(models.sort());
    for (const m of stats.models) {
      expectFigures(
        m,
        list.filter((e) => (metric(e).model ?? null) === m.model),
        `model ${m.model}`,
      );
    }
  });

  it('is empty for an agent the token does not allow, and for an unknown agent', async () => {
    const answer = await api.query<{ agentStats: Stats }>(QUERY, {
      token: TOKENS.aliceCoder,
      variables: { agent: 'planner', from: FROM, to: TO, bucket: 'HOUR' },
    });
    expect(answer.body.data!.agentStats.totals.events).toBe(0);
    expect(answer.body.data!.agentStats.buckets).toEqual([]);
    const unknown = await api.query<{ agentStats: Stats }>(QUERY, {
      token: TOKENS.admin,
      variables: { agent: 'nobody', from: FROM, to: TO, bucket: 'HOUR' },
    });
    expect(unknown.body.data!.agentStats.totals.events).toBe(0);
  });
});

describe('collaborations', () => {
  it.each(['admin', 'bob'] as const)('counts the edges and outcomes %s may see', async (who) => {
    const answer = await api.query<{
      collaborations: Array<{
        source: string;
        target: string;
        count: number;
        successes: number;
        failures: number;
        unknown: number;
      }>;
    }>(
      `query C($from: DateTime, $to: DateTime) { collaborations(from: $from, to: $to) { source target count successes failures unknown } }`,
      { token: TOKENS[who], variables: { from: FROM, to: TO } },
    );
    expect(answer.body.errors).toBeUndefined();
    const edges = new Map<
      string,
      { count: number; successes: number; failures: number; unknown: number }
    >();
    for (const e of scope(who).filter((x) => x.event_type === 'agent_collaboration')) {
      const payload = e.payload as { collaborating_agents?: string[]; consensus_reached?: boolean };
      const targets = new Set([e.target_agent?.id, ...(payload.collaborating_agents ?? [])]);
      const ok =
        typeof payload.consensus_reached === 'boolean'
          ? payload.consensus_reached
          : metric(e).success;
      for (const target of targets) {
        if (!target || target === e.source_agent.id) continue;
        const key = `${e.source_agent.id}->${target}`;
        const edge = edges.get(key) ?? { count: 0, successes: 0, failures: 0, unknown: 0 };
        edge.count++;
        if (ok === true) edge.successes++;
        else if (ok === false) edge.failures++;
        else edge.unknown++;
        edges.set(key, edge);
      }
    }
    const got = Object.fromEntries(
      answer.body.data!.collaborations.map(({ source, target, ...rest }) => [
        `${source}->${target}`,
        rest,
      ]),
    );
    expect(got).toEqual(Object.fromEntries(edges));
    expect(edges.size).toBeGreaterThan(0);
  });
});

describe('costBreakdown', () => {
  type Row = {
    agent: string | null;
    model: string | null;
    user: string | null;
    day: string | null;
    events: number;
    inputTokens: number;
    outputTokens: number;
    cost: number;
  };
  const QUERY = `query B($by: [CostDimension!]!, $from: DateTime, $to: DateTime) {
    costBreakdown(by: $by, from: $from, to: $to) {
      rows { agent model user day events inputTokens outputTokens cost }
      total { events inputTokens outputTokens cost } truncated } }`;

  it.each([
    [['AGENT', 'MODEL', 'USER', 'DAY'], 'admin'],
    [['MODEL', 'DAY'], 'admin'],
    [['USER'], 'alice'],
    [['AGENT'], 'aliceCoder'],
    [[], 'bob'],
  ] as const)('by %j for %s matches the raw events', async (by, who) => {
    const answer = await api.query<{
      costBreakdown: { rows: Row[]; total: Row; truncated: boolean };
    }>(QUERY, {
      token: TOKENS[who],
      variables: { by, from: FROM, to: TO },
    });
    expect(answer.body.errors).toBeUndefined();
    const result = answer.body.data!.costBreakdown;
    const list = scope(who);
    const keyOf = (e: StreamedEvent) =>
      JSON.stringify([
        by.includes('AGENT' as never) ? e.source_agent.id : null,
        by.includes('MODEL' as never) ? (metric(e).model ?? null) : null,
        by.includes('USER' as never) ? (e.user_id ?? null) : null,
        by.includes('DAY' as never) ? `${e.timestamp.slice(0, 10)}T00:00:00.000Z` : null,
      ]);
    const groups = new Map<string, StreamedEvent[]>();
    for (const e of list) groups.set(keyOf(e), [...(groups.get(keyOf(e)) ?? []), e]);
    const got = new Map(
      result.rows.map((r) => [JSON.stringify([r.agent, r.model, r.user, r.day]), r]),
    );
    expect([...got.keys()].sort()).toEqual(by.length ? [...groups.keys()].sort() : []);
    for (const [key, members] of groups) {
      if (!by.length) break;
      const row = got.get(key)!;
      const want = figuresOf(members);
      expect({
        key,
        events: row.events,
        inputTokens: row.inputTokens,
        outputTokens: row.outputTokens,
      }).toEqual({
        key,
        events: want.events,
        inputTokens: want.inputTokens,
        outputTokens: want.outputTokens,
      });
      expect(near(row.cost, want.cost)).toBe(true);
    }
    expect(result.total.events).toBe(list.length);
    expect(near(result.total.cost, figuresOf(list).cost)).toBe(true);
    if (by.includes('USER' as never) && who === 'alice') {
      // Without `all`, only the viewer and ownerless events appear.
      expect(new Set(result.rows.map((r) => r.user))).toEqual(new Set(['alice', null]));
    }
    expect(result.truncated).toBe(false);
  });
});
