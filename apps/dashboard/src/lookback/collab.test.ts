import { describe, expect, it } from 'vitest';
import type { StreamedEvent } from './contracts';
import {
  aggregateEdges,
  collaborationOf,
  nodesOf,
  outcomeClass,
  strokeWidth,
  successRate,
} from './collab';

const T0 = Date.parse('2026-12-03T10:00:00.000Z');
function collab(
  id: string,
  source: string,
  atMs: number,
  opts: {
    target?: string;
    others?: unknown[];
    consensus?: unknown;
    success?: boolean;
    type?: string;
  } = {},
): StreamedEvent {
  return {
    event_id: id,
    event_type: (opts.type ?? 'agent_collaboration') as StreamedEvent['event_type'],
    timestamp: new Date(T0 + atMs).toISOString(),
    received_at: new Date(T0 + atMs).toISOString(),
    source_agent: { id: source },
    target_agent: opts.target ? { id: opts.target } : null,
    payload: {
      ...(opts.others ? { collaborating_agents: opts.others } : {}),
      ...(opts.consensus !== undefined ? { consensus_reached: opts.consensus } : {}),
    },
    metadata: {},
    ...(opts.success !== undefined ? { performance_metrics: { success: opts.success } } : {}),
    stream_id: `${atMs}-0`,
  };
}

describe('collaborationOf', () => {
  it('takes the target and the collaborating agents, without the source or repeats', () => {
    const c = collaborationOf(
      collab('e', 'a', 0, { target: 'b', others: ['b', 'c', 'a', 7, ''], consensus: true }),
    );
    expect(c).toMatchObject({ source: 'a', targets: ['b', 'c'], outcome: true });
  });
  it('prefers consensus_reached over performance_metrics.success', () => {
    expect(
      collaborationOf(collab('e', 'a', 0, { target: 'b', consensus: false, success: true }))!
        .outcome,
    ).toBe(false);
    expect(
      collaborationOf(collab('e', 'a', 0, { target: 'b', consensus: 'yes', success: true }))!
        .outcome,
    ).toBe(true);
    expect(collaborationOf(collab('e', 'a', 0, { target: 'b' }))!.outcome).toBeNull();
  });
  it('ignores other event types', () => {
    expect(collaborationOf(collab('e', 'a', 0, { target: 'b', type: 'llm_call' }))).toBeNull();
  });
});

describe('aggregateEdges', () => {
  const seed = [
    {
      source: 'a',
      target: 'b',
      count: 10,
      successes: 8,
      failures: 1,
      unknown: 1,
      lastAt: '2026-12-03T09:59:00.000Z',
    },
  ];
  it('adds live events after the seed, once each, and not those the seed covers', () => {
    const live = [
      collab('old', 'a', -5000, { target: 'b', consensus: true }), // before the seed's end: counted there
      collab('n1', 'a', 1000, { target: 'b', consensus: false }),
      collab('n1', 'a', 1000, { target: 'b', consensus: false }), // the same event twice
      collab('n2', 'b', 2000, { others: ['a', 'c'], success: true }),
    ];
    const edges = aggregateEdges(seed, live, T0);
    expect(edges).toEqual([
      {
        source: 'a',
        target: 'b',
        count: 11,
        successes: 8,
        failures: 2,
        unknown: 1,
        lastMs: T0 + 1000,
      },
      {
        source: 'b',
        target: 'a',
        count: 1,
        successes: 1,
        failures: 0,
        unknown: 0,
        lastMs: T0 + 2000,
      },
      {
        source: 'b',
        target: 'c',
        count: 1,
        successes: 1,
        failures: 0,
        unknown: 0,
        lastMs: T0 + 2000,
      },
    ]);
  });
  it('counts the stretch after the seed from stored and live events, once each by id', () => {
    // s1 was stored and arrived live; s2 is stored only (before this page connected); l1 is live
    // only (the writer had not stored it when the page asked): each counted once.
    const recent = [
      collab('s1', 'a', 1000, { target: 'b', consensus: true }),
      collab('s2', 'a', 1500, { target: 'b', consensus: true }),
    ];
    const live = [
      collab('s1', 'a', 1000, { target: 'b', consensus: true }),
      collab('l1', 'a', 2000, { target: 'b', consensus: false }),
    ];
    const [edge] = aggregateEdges(seed, live, T0, recent);
    expect(edge).toMatchObject({ source: 'a', target: 'b', count: 13, successes: 10, failures: 2 });
  });
  it('counts every live event without a seed', () => {
    const edges = aggregateEdges([], [collab('x', 'a', -5000, { target: 'b' })], null);
    expect(edges).toHaveLength(1);
    expect(edges[0]).toMatchObject({ count: 1, unknown: 1 });
  });
});

describe('edge styling', () => {
  it('rates and colours by outcome', () => {
    expect(successRate({ successes: 9, failures: 1 })).toBe(0.9);
    expect(successRate({ successes: 0, failures: 0 })).toBeNull();
    expect(outcomeClass(0.95)).toBe('ok');
    expect(outcomeClass(0.7)).toBe('warn');
    expect(outcomeClass(0.2)).toBe('bad');
    expect(outcomeClass(null)).toBe('unknown');
  });
  it('widens strokes with the count, up to the maximum for the busiest edge', () => {
    expect(strokeWidth(1, 100)).toBe(1.5);
    expect(strokeWidth(100, 100)).toBe(8);
    const mid = strokeWidth(10, 100);
    expect(mid).toBeGreaterThan(1.5);
    expect(mid).toBeLessThan(8);
    expect(strokeWidth(1, 1)).toBe(1.5);
  });
  it('lists nodes busiest first', () => {
    const nodes = nodesOf([
      { source: 'a', target: 'b', count: 3, successes: 0, failures: 0, unknown: 3, lastMs: null },
      { source: 'c', target: 'b', count: 1, successes: 0, failures: 0, unknown: 1, lastMs: null },
    ]);
    expect(nodes).toEqual([
      { id: 'b', count: 4 },
      { id: 'a', count: 3 },
      { id: 'c', count: 1 },
    ]);
  });
});
