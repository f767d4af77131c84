import type { EventRecord } from './event-record';
import { buildRunTree } from './trace-tree';

let clock = 0;
function ev(
  id: string,
  type: string,
  agent: string,
  extra: Partial<EventRecord> = {},
): EventRecord {
  clock += 10;
  const iso = new Date(Date.UTC(2026, 11, 3, 10, 0, 0, clock)).toISOString().replace('Z', '000Z');
  return {
    eventId: id,
    eventType: type,
    timestamp: iso,
    receivedAt: iso,
    streamId: `${clock}-0`,
    agentId: agent,
    targetAgentId: null,
    userId: null,
    traceId: 't',
    sessionId: null,
    parentEventId: null,
    model: null,
    success: null,
    latencyMs: null,
    confidence: null,
    inputTokens: null,
    outputTokens: null,
    tokens: null,
    cost: null,
    errorType: null,
    raw: {},
    ...extra,
  };
}

const parents = (events: EventRecord[]) =>
  Object.fromEntries(
    buildRunTree('t', events, false)!.nodes.map((n) => [n.event.eventId, n.parentId]),
  );

describe(buildRunTree.name, () => {
  beforeEach(() => (clock = 0));

  it('answers null for a run without events', () => {
    expect(buildRunTree('t', [], false)).toBeNull();
  });

  it('nests an agent’s events under its open start, and pairs the completion with it', () => {
    const sut = [
      ev('s', 'agent_execution_started', 'a'),
      ev('x', 'llm_call', 'a', { tokens: 30, cost: 0.5 }),
      ev('other', 'llm_call', 'b'),
      ev('c', 'agent_execution_completed', 'a', { latencyMs: 25, tokens: 5 }),
      ev('after', 'llm_call', 'a'),
    ];
    const tree = buildRunTree('t', sut, false)!;
    expect(parents(sut)).toEqual({ s: null, x: 's', other: null, c: 's', after: null });
    const start = tree.nodes.find((n) => n.event.eventId === 's')!;
    expect(start.durationMs).toBe(25);
    expect(start.totals).toMatchObject({ events: 3, tokens: 35, cost: 0.5 });
    expect(tree.totals.events).toBe(5);
    expect(tree.rootIds).toEqual(['s', 'other', 'after']);
  });

  it('nests a start of the same agent inside an open one (inner completion closes the inner start)', () => {
    const sut = [
      ev('outer', 'agent_execution_started', 'a'),
      ev('inner', 'agent_execution_started', 'a'),
      ev('innerDone', 'agent_execution_completed', 'a'),
      ev('mid', 'tool_usage', 'a'),
      ev('outerDone', 'agent_execution_completed', 'a'),
    ];
    expect(parents(sut)).toEqual({
      outer: null,
      inner: 'outer',
      innerDone: 'inner',
      mid: 'outer',
      outerDone: 'outer',
    });
  });

  it('follows span ids in metadata.otel, metadata or payload', () => {
    const sut = [
      ev('root', 'agent_execution_started', 'a', {
        raw: { metadata: { otel: { span_id: 'S1' } } },
      }),
      ev('child', 'llm_call', 'b', { raw: { metadata: { parent_span_id: 'S1', span_id: 'S2' } } }),
      ev('grand', 'tool_usage', 'c', { raw: { payload: { parent_span_id: 'S2' } } }),
      ev('end', 'agent_execution_completed', 'a', {
        raw: { metadata: { otel: { span_id: 'S1' } } },
      }),
    ];
    expect(parents(sut)).toEqual({ root: null, child: 'root', grand: 'child', end: 'root' });
  });

  it('breaks parent_event_id cycles and ignores parents outside the run', () => {
    const sut = [
      ev('a', 'llm_call', 'x', { parentEventId: 'b' }),
      ev('b', 'llm_call', 'x', { parentEventId: 'a' }),
      ev('c', 'llm_call', 'x', { parentEventId: 'elsewhere' }),
      ev('d', 'llm_call', 'x', { parentEventId: 'd' }),
    ];
    const tree = buildRunTree('t', sut, false)!;
    expect(tree.nodes).toHaveLength(4);
    expect(tree.rootIds.length).toBeGreaterThanOrEqual(3);
    for (const node of tree.nodes) expect(node.depth).toBeLessThanOrEqual(1);
  });

  it('lists nodes depth-first, children oldest first, and survives a deep chain', () => {
    const sut = [ev('e0', 'llm_call', 'x')];
    for (let i = 1; i < 20_000; i++)
      sut.push(ev(`e${i}`, 'llm_call', 'x', { parentEventId: `e${i - 1}` }));
    const tree = buildRunTree('t', sut, true)!;
    expect(tree.truncated).toBe(true);
    expect(tree.nodes.at(-1)!.depth).toBe(19_999);
    expect(tree.nodes[0].totals.events).toBe(20_000);
  });
});
