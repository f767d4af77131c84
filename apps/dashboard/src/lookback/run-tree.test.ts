import { describe, expect, it } from 'vitest';
import type { StreamedEvent } from './contracts';
import {
  buildRunTree,
  fromStored,
  fromStreamed,
  hiddenByCollapse,
  mergeRunEvents,
  nodeLabel,
  recentRuns,
  waterfall,
} from './run-tree';

const T0 = Date.parse('2026-12-03T10:00:00.000Z');
let seq = 0;
function ev(
  id: string,
  type: string,
  agent: string,
  atMs: number,
  extra: Partial<StreamedEvent> & { metrics?: Record<string, unknown> } = {},
): StreamedEvent {
  const { metrics, ...rest } = extra;
  return {
    event_id: id,
    event_type: type as StreamedEvent['event_type'],
    timestamp: new Date(T0 + atMs).toISOString(),
    received_at: new Date(T0 + atMs).toISOString(),
    trace_id: 'trace-1',
    source_agent: { id: agent },
    payload: {},
    metadata: {},
    stream_id: `${T0 + atMs}-${seq++}`,
    ...(metrics ? { performance_metrics: metrics } : {}),
    ...rest,
  };
}

// planner starts, calls an LLM, hands over to coder (which calls an LLM and a tool and completes
// after reporting 300 ms), then completes at 700 ms.
const run: StreamedEvent[] = [
  ev('p-start', 'agent_execution_started', 'planner', 0),
  ev('p-llm', 'llm_call', 'planner', 50, {
    metrics: {
      latency_ms: 120,
      input_tokens: 100,
      output_tokens: 20,
      token_cost: 0.002,
      model: 'gpt-4o',
    },
  }),
  ev('c-start', 'agent_execution_started', 'coder', 200, { parent_event_id: 'p-start' }),
  ev('c-llm', 'llm_call', 'coder', 250, {
    metrics: { latency_ms: 100, tokens_used: 300, token_cost: 0.01, model: 'claude' },
  }),
  ev('c-tool', 'tool_usage', 'coder', 360, {
    payload: { tool_name: 'search' },
    metrics: { latency_ms: 40, success: false, token_cost: 0 },
  }),
  ev('c-done', 'agent_execution_completed', 'coder', 500, {
    metrics: { latency_ms: 300, tokens_used: 120 },
  }),
  ev('p-done', 'agent_execution_completed', 'planner', 700),
];

const tree = () => buildRunTree('trace-1', mergeRunEvents([], run.map(fromStreamed)))!;

describe('buildRunTree', () => {
  it('nests events under the open start of their agent and pairs completions with starts', () => {
    const t = tree();
    const parents = Object.fromEntries(t.nodes.map((n) => [n.event.eventId, n.parentId]));
    expect(parents).toEqual({
      'p-start': null,
      'p-llm': 'p-start',
      'c-start': 'p-start',
      'c-llm': 'c-start',
      'c-tool': 'c-start',
      'c-done': 'c-start',
      'p-done': 'p-start',
    });
    expect(t.rootIds).toEqual(['p-start']);
    // Pre-order, children oldest first.
    expect(t.nodes.map((n) => n.event.eventId)).toEqual([
      'p-start',
      'p-llm',
      'c-start',
      'c-llm',
      'c-tool',
      'c-done',
      'p-done',
    ]);
    expect(t.nodes.map((n) => n.depth)).toEqual([0, 1, 1, 2, 2, 2, 1]);
  });

  it('gives durations as the history does and rolls totals up', () => {
    const t = tree();
    const node = (id: string) => t.nodes.find((n) => n.event.eventId === id)!;
    expect(node('p-start').durationMs).toBe(700); // no latency on the completion: the time between
    expect(node('c-start').durationMs).toBe(300); // the completion's latency_ms
    expect(node('p-llm').durationMs).toBe(120);
    expect(node('c-done').completes).toBe('c-start');
    expect(node('c-start').completionId).toBe('c-done');
    expect(node('c-start').totals).toEqual({
      events: 4,
      failures: 1,
      inputTokens: 0,
      outputTokens: 0,
      tokens: 420,
      cost: 0.01,
    });
    expect(node('p-start').totals.tokens).toBe(120 + 420);
    expect(t.totals.events).toBe(7);
    expect(t.totals.cost).toBeCloseTo(0.012, 10);
    expect(t.inProgress).toBe(false);
    expect(t.durationMs).toBe(700);
    expect(t.agents).toEqual(['coder', 'planner']);
  });

  it('follows span ids (OTLP) before the agent stack', () => {
    const events = [
      ev('a', 'agent_execution_started', 'x', 0, { metadata: { otel: { span_id: 's1' } } }),
      ev('b', 'llm_call', 'y', 10, { metadata: { otel: { span_id: 's2', parent_span_id: 's1' } } }),
      ev('c', 'agent_execution_completed', 'x', 20, { metadata: { otel: { span_id: 's1' } } }),
    ].map(fromStreamed);
    const t = buildRunTree('t', events)!;
    expect(t.nodes.map((n) => [n.event.eventId, n.parentId])).toEqual([
      ['a', null],
      ['b', 'a'],
      ['c', 'a'],
    ]);
    expect(t.nodes[0].durationMs).toBe(20);
  });

  it('drops a parent that would close a cycle', () => {
    const events = [
      ev('a', 'llm_call', 'x', 0, { parent_event_id: 'b' }),
      ev('b', 'llm_call', 'x', 10, { parent_event_id: 'a' }),
    ].map(fromStreamed);
    const t = buildRunTree('t', events)!;
    expect(t.rootIds.length).toBe(1);
    expect(t.nodes).toHaveLength(2);
  });

  it('answers null for no events', () => {
    expect(buildRunTree('t', [])).toBeNull();
  });
});

describe('mergeRunEvents (stored + live)', () => {
  it('keeps each event once, the stored copy first, oldest first', () => {
    const stored = run.slice(0, 4).map((e) =>
      fromStored({
        eventId: e.event_id,
        eventType: e.event_type,
        timestamp: e.timestamp,
        agentId: e.source_agent.id,
        parentEventId: e.parent_event_id ?? null,
        tokens: 1,
        raw: e,
      }),
    );
    const live = run.slice(2).map(fromStreamed);
    const merged = mergeRunEvents(stored, live);
    expect(merged.map((e) => e.eventId)).toEqual(run.map((e) => e.event_id));
    // c-start and c-llm come from the stored copy (tokens: 1), the rest from live.
    expect(merged.find((e) => e.eventId === 'c-llm')!.tokens).toBe(1);
    expect(merged.find((e) => e.eventId === 'c-done')!.tokens).toBe(120);
  });

  it('puts a start before and a completion after events of the same millisecond', () => {
    const live = [
      ev('done', 'agent_execution_completed', 'x', 5),
      ev('call', 'llm_call', 'x', 5),
      ev('start', 'agent_execution_started', 'x', 5),
    ].map(fromStreamed);
    expect(mergeRunEvents([], live).map((e) => e.eventId)).toEqual(['start', 'call', 'done']);
  });

  it('grows a run in progress as live events arrive', () => {
    const partial = buildRunTree('trace-1', mergeRunEvents([], run.slice(0, 4).map(fromStreamed)))!;
    expect(partial.inProgress).toBe(true);
    expect(partial.nodes.filter((n) => n.open).map((n) => n.event.eventId)).toEqual([
      'p-start',
      'c-start',
    ]);
    const full = buildRunTree('trace-1', mergeRunEvents([], run.map(fromStreamed)))!;
    expect(full.inProgress).toBe(false);
  });
});

describe('fromStreamed', () => {
  it('takes figures as the history files them', () => {
    const e = fromStreamed(run[1]);
    expect(e).toMatchObject({
      tokens: 120,
      inputTokens: 100,
      outputTokens: 20,
      cost: 0.002,
      model: 'gpt-4o',
      latencyMs: 120,
    });
    expect(nodeLabel(e)).toBe('LLM call · gpt-4o');
    expect(nodeLabel(fromStreamed(run[4]))).toBe('Tool · search');
    expect(nodeLabel(fromStreamed(run[0]))).toBe('planner started');
  });
});

describe('waterfall', () => {
  it('places bars on the run time axis', () => {
    const { spanMs, bars } = waterfall(tree(), undefined, 0.5);
    expect(spanMs).toBe(700);
    const bar = (id: string) => bars.find((b) => b.eventId === id)!;
    expect(bar('p-start')).toMatchObject({ leftPct: 0, widthPct: 100, open: false });
    expect(bar('c-start').leftPct).toBeCloseTo((200 / 700) * 100, 6);
    expect(bar('c-start').widthPct).toBeCloseTo((300 / 700) * 100, 6);
    // p-done is an instant at the very end: the minimum width, kept inside the axis.
    expect(bar('p-done')).toMatchObject({ instant: true, widthPct: 0.5, leftPct: 99.5 });
    // A completion's latency is its execution's (drawn on the start): the completion is an instant.
    expect(bar('c-done')).toMatchObject({ instant: true, widthPct: 0.5 });
    expect(bar('c-done').leftPct).toBeCloseTo((500 / 700) * 100, 6);
    for (const b of bars) {
      expect(b.leftPct).toBeGreaterThanOrEqual(0);
      expect(b.leftPct + b.widthPct).toBeLessThanOrEqual(100 + 1e-9);
    }
  });

  it('runs open executions to now while the run is in progress', () => {
    const partial = buildRunTree('trace-1', mergeRunEvents([], run.slice(0, 3).map(fromStreamed)))!;
    const { spanMs, bars } = waterfall(partial, T0 + 1000);
    expect(spanMs).toBe(1000);
    const start = bars.find((b) => b.eventId === 'c-start')!;
    expect(start.open).toBe(true);
    expect(start.leftPct).toBeCloseTo(20, 6);
    expect(start.widthPct).toBeCloseTo(80, 6);
  });
});

describe('hiddenByCollapse', () => {
  it('hides every descendant of a collapsed node', () => {
    const t = tree();
    expect([...hiddenByCollapse(t, new Set(['c-start']))].sort()).toEqual([
      'c-done',
      'c-llm',
      'c-tool',
    ]);
    expect(hiddenByCollapse(t, new Set(['p-start'])).size).toBe(6);
    expect(hiddenByCollapse(t, new Set()).size).toBe(0);
  });
});

describe('recentRuns', () => {
  it('lists runs by latest activity with counts, cost and status', () => {
    const other = [
      ev('o1', 'agent_execution_started', 'writer', 900, { trace_id: 'trace-2' }),
      ev('o2', 'llm_call', 'writer', 950, {
        trace_id: 'trace-2',
        metrics: { token_cost: 0.5, success: true },
      }),
    ];
    const noTrace = ev('n', 'llm_call', 'x', 990, { trace_id: undefined });
    const runs = recentRuns([...run, ...other, noTrace, run[1]]);
    expect(runs.map((r) => r.traceId)).toEqual(['trace-2', 'trace-1']);
    expect(runs[0]).toMatchObject({ agent: 'writer', events: 2, cost: 0.5, status: 'running' });
    expect(runs[1]).toMatchObject({
      agent: 'planner',
      agents: 2,
      events: 7,
      failures: 1,
      status: 'failed',
    });
    expect(runs[1].cost).toBeCloseTo(0.012, 10);
  });
});
