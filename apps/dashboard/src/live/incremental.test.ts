/**
 * The slices the store keeps as events enter and leave its ring buffer (agent detail figures,
 * runs by trace and session, collaborations) against the full recomputation over the buffer,
 * after every flush of a generated sequence that overflows the buffer many times.
 */
import { describe, expect, it } from 'vitest';
import type { StreamedEvent } from '../contracts';
import { RecentRunsCache, recentRuns } from '../lookback/run-tree';
import { agentDetailData, type AgentDetailData } from '../views/agent-detail-data';
import { Deque } from './deque';
import { indexEvents } from './groups';
import { LiveStore } from './store';

const NOW = Date.UTC(2025, 0, 24, 10, 30, 30);

/** A small deterministic PRNG (mulberry32). */
function random(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES = [
  'llm_call',
  'tool_usage',
  'agent_decision',
  'agent_collaboration',
  'agent_execution_started',
  'agent_execution_completed',
];

function generator(seed: number) {
  const rnd = random(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)];
  let n = 0;
  return (): StreamedEvent => {
    n++;
    const at = NOW - Math.floor(rnd() * 75 * 60_000); // some outside the hour the charts show
    const type = pick(TYPES);
    const agent = pick(['a', 'b', 'c', 'd']);
    const metrics =
      rnd() < 0.8
        ? {
            latency_ms: Math.floor(rnd() * 12_000),
            token_cost: rnd() < 0.2 ? 0 : Math.round(rnd() * 10_000) / 1e6,
            model: rnd() < 0.1 ? undefined : pick(['gpt-4o', 'claude', 'mini']),
            success: rnd() < 0.85,
            ...(rnd() < 0.05 ? { error_type: 'Timeout' } : {}),
          }
        : undefined;
    return {
      event_id: `g-${seed}-${n}`,
      event_type: type,
      timestamp: new Date(at).toISOString(),
      received_at: new Date(at).toISOString(),
      source_agent: { id: agent },
      ...(rnd() < 0.9 ? { trace_id: `t-${Math.floor(n / 7) % 40}` } : {}),
      ...(rnd() < 0.5 ? { session_id: `s-${n % 5}` } : {}),
      payload:
        type === 'tool_usage'
          ? rnd() < 0.9
            ? { tool_name: pick(['search', 'fetch', 'calc']) }
            : {}
          : type === 'agent_collaboration'
            ? { collaborating_agents: [pick(['a', 'b', 'c', 'd'])], consensus_reached: rnd() < 0.7 }
            : {},
      metadata: {},
      stream_id: `${at}-${n}`,
      ...(metrics ? { performance_metrics: metrics } : {}),
    } as StreamedEvent;
  };
}

function manualStore(capacity: number) {
  const queued: (() => void)[] = [];
  const store = new LiveStore(
    capacity,
    (flush) => queued.push(flush),
    () => NOW,
  );
  return { store, flush: () => queued.splice(0).forEach((f) => f()) };
}

/** Costs compared to 1e-12: the incremental sums add and subtract in another order. */
function expectSameDetail(actual: AgentDetailData, expected: AgentDetailData) {
  const round = (d: AgentDetailData) => ({
    ...d,
    costByModel: d.costByModel.map((m) => ({
      model: m.model,
      cost: m.cost.map((c) => Math.round(c * 1e12)),
      total: Math.round(m.total * 1e12),
    })),
    failures: d.failures.map((e) => e.event_id),
  });
  expect(round(actual)).toEqual(round(expected));
}

function expectMatchesBuffer(store: LiveStore, cache: RecentRunsCache) {
  const buffered = store.events.toArray();
  const agents = new Set(buffered.map((e) => e.source_agent.id));
  expect(new Set(store.agentDetails.keys())).toEqual(agents);
  for (const agent of agents) {
    const newestFirst = store.newest((e) => e.source_agent.id === agent);
    const detail = store.agentDetails.get(agent)!;
    expectSameDetail(detail.data(NOW), agentDetailData(newestFirst, NOW));
    expect(detail.events.newest()).toEqual(newestFirst);
  }
  expect(cache.update(store.runs.traces)).toEqual(recentRuns(buffered));
  expect(cache.update(store.runs.traces, 5)).toEqual(recentRuns(buffered, 5));
  const full = indexEvents(buffered);
  for (const [name, groups] of [
    ['traces', store.runs.traces],
    ['sessions', store.runs.sessions],
  ] as const) {
    const expected = full[name];
    expect([...groups.keys()].sort(), name).toEqual([...expected.keys()].sort());
    for (const [id, group] of groups) expect(group.toArray()).toEqual(expected.get(id)!.toArray());
  }
  expect(store.collaborations.toArray()).toEqual(
    buffered.filter((e) => e.event_type === 'agent_collaboration'),
  );
}

describe('the store’s incremental slices', () => {
  it.each([1, 2, 3])(
    'equal the full recomputation after every flush, through evictions (seed %i)',
    (seed) => {
      const { store, flush } = manualStore(60);
      const next = generator(seed);
      const cache = new RecentRunsCache();
      const rnd = random(seed * 31);
      const sent: StreamedEvent[] = [];
      for (let round = 0; round < 40; round++) {
        const batch = Array.from({ length: 1 + Math.floor(rnd() * 25) }, next);
        // repeats of events already sent (a resume overlap) are dropped by the store
        if (sent.length && rnd() < 0.3) batch.push(sent[Math.floor(rnd() * sent.length)]);
        sent.push(...batch);
        store.enqueue(batch);
        flush();
        expectMatchesBuffer(store, cache);
      }
      expect(store.counters.evicted).toBeGreaterThan(300);
    },
  );

  it('empties with the buffer on reset, then follows it again', () => {
    const { store, flush } = manualStore(30);
    const next = generator(9);
    const cache = new RecentRunsCache();
    store.enqueue(Array.from({ length: 50 }, next));
    flush();
    store.reset();
    expect(store.agentDetails.size).toBe(0);
    expect(store.runs.traces.size).toBe(0);
    expect(store.runs.sessions.size).toBe(0);
    expect(store.collaborations.length).toBe(0);
    expect(cache.update(store.runs.traces)).toEqual([]);
    store.enqueue(Array.from({ length: 45 }, next));
    flush();
    expectMatchesBuffer(store, cache);
  });
});

describe(Deque.name, () => {
  it('is first in, first out across its compactions', () => {
    const sut = new Deque<number>();
    const model: number[] = [];
    const rnd = random(5);
    for (let i = 0; i < 5000; i++) {
      if (rnd() < 0.55) {
        sut.push(i);
        model.push(i);
      } else expect(sut.shift()).toBe(model.shift());
      expect(sut.length).toBe(model.length);
      expect(sut.peek()).toBe(model[0]);
    }
    expect(sut.toArray()).toEqual(model);
    expect(sut.newest(3)).toEqual(model.slice(-3).reverse());
  });

  it('reads newest first in place: a view keeps its rows as items arrive, loses those shifted out', () => {
    const sut = new Deque<number>();
    const rnd = random(7);
    const model: number[] = [];
    for (let i = 0; i < 3000; i++) {
      if (rnd() < 0.6) {
        sut.push(i);
        model.push(i);
      } else {
        sut.shift();
        model.shift();
      }
      const view = sut.newestView();
      const rows = () => Array.from({ length: view.length }, (_, k) => view.at(k));
      expect(rows()).toEqual([...model].reverse());
      if (i % 97 !== 0 || model.length < 2) continue;
      // Pushes after the view (with compactions) leave its rows in place; a shift loses the oldest.
      for (let k = 0; k < 200; k++) sut.push(-k);
      expect(rows()).toEqual([...model].reverse());
      sut.shift();
      expect(view.at(view.length - 1)).toBeUndefined();
      expect(view.at(0)).toBe(model.at(-1));
      // Back to the model's content.
      sut.clear();
      expect(view.at(0)).toBeUndefined();
      for (const item of model.slice(1)) sut.push(item);
      model.shift();
    }
  });
});
