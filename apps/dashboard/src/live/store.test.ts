import { describe, expect, it } from 'vitest';
import type { AlertTransition, StreamedEvent } from '../contracts';
import { LiveStore } from './store';
import { RingBuffer, quantile } from './ring';

const NOW = Date.UTC(2025, 0, 24, 10, 30, 30);
let seq = 0;

function event(over: Partial<StreamedEvent> & { agent?: string; at?: number } = {}): StreamedEvent {
  const { agent = 'neuroscientist', at = NOW - 1000, ...rest } = over;
  seq++;
  return {
    event_id: `e-${seq}`,
    event_type: 'llm_call',
    timestamp: new Date(at).toISOString(),
    received_at: new Date(at).toISOString(),
    source_agent: { id: agent },
    payload: {},
    metadata: {},
    stream_id: `${at}-${seq}`,
    ...rest,
  };
}

/** A store whose flushes run when the test says (no animation frames in Node). */
function manualStore(capacity = 100) {
  const queued: (() => void)[] = [];
  const store = new LiveStore(
    capacity,
    (flush) => queued.push(flush),
    () => NOW,
  );
  return { store, flush: () => queued.splice(0).forEach((f) => f()) };
}

describe(RingBuffer.name, () => {
  it('keeps the newest capacity items, oldest first', () => {
    const sut = new RingBuffer<number>(3);
    expect(sut.push(1)).toBeUndefined();
    sut.push(2);
    sut.push(3);
    expect(sut.push(4)).toBe(1);
    expect(sut.toArray()).toEqual([2, 3, 4]);
    expect(sut.fromNewest(0)).toBe(4);
    expect(sut.at(0)).toBe(2);
  });
  it('answers nearest-rank quantiles', () => {
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5)).toBe(5);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95)).toBe(10);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe(LiveStore.name, () => {
  it('notifies once per flush, not once per event', () => {
    const { store: sut, flush } = manualStore();
    let notified = 0;
    sut.subscribe(() => notified++);
    for (let i = 0; i < 50; i++) sut.enqueue([event()]);
    expect(sut.events.length).toBe(0);
    flush();
    expect(notified).toBe(1);
    expect(sut.events.length).toBe(50);
    expect(sut.version).toBe(1);
  });

  it('counts every event: repeats dropped, overflow evicted, never silently lost', () => {
    const { store: sut, flush } = manualStore(10);
    const first = event();
    sut.enqueue([first, first]);
    for (let i = 0; i < 14; i++) sut.enqueue([event()]);
    flush();
    expect(sut.counters).toMatchObject({ received: 16, duplicates: 1, evicted: 5 });
    expect(sut.events.length).toBe(10);
    expect(sut.counters.received - sut.counters.duplicates - sut.counters.evicted).toBe(
      sut.events.length,
    );
    // The evicted event's id is forgotten, so it is not mistaken for a repeat later.
    expect(sut.has(first.event_id)).toBe(false);
  });

  it('aggregates per agent: ops, success, latency quantiles, tokens, cost, status', () => {
    const { store: sut, flush } = manualStore();
    sut.enqueue([
      event({
        performance_metrics: { latency_ms: 100, success: true, token_cost: 0.01, tokens_used: 10 },
      }),
      event({
        performance_metrics: { latency_ms: 300, success: true, input_tokens: 5, output_tokens: 7 },
      }),
      event({ performance_metrics: { latency_ms: 900, success: false, error_type: 'timeout' } }),
      event({ agent: 'coach', at: NOW - 20 * 60_000 }),
    ]);
    flush();
    const agent = sut.agents.get('neuroscientist')!;
    expect(agent.ops).toBe(3);
    expect(agent.successRate).toBeCloseTo(2 / 3);
    expect(agent.tokens).toBe(22);
    expect(agent.cost).toBeCloseTo(0.01);
    expect(agent.latencyQuantiles()).toEqual({ p50: 300, p95: 900 });
    expect(agent.status(NOW)).toBe('running');
    expect(sut.agents.get('coach')!.status(NOW)).toBe('silent');
    expect(agent.sparkline(NOW).at(-1)).toBe(3);
  });

  it('builds per-type rates, cost per minute and success/latency series', () => {
    const { store: sut, flush } = manualStore();
    sut.enqueue([
      event({
        at: NOW - 2_000,
        performance_metrics: { token_cost: 0.5, tokens_used: 100, success: true, latency_ms: 200 },
      }),
      event({ at: NOW - 2_000, event_type: 'tool_usage' }),
      event({ at: NOW - 2 * 3_600_000 }), // older than the hour: not charted
    ]);
    flush();
    const sut5 = sut.series.window(5, NOW);
    expect(sut5.step).toBe(5);
    expect(sut5.times).toHaveLength(60);
    const llm = sut5.types.find((t) => t.type === 'llm_call')!;
    expect(llm.total).toBe(1);
    expect(sut5.types.map((t) => t.type).sort()).toEqual(['llm_call', 'tool_usage']);
    const bucket = llm.perSecond.findIndex((v) => v > 0);
    expect(llm.perSecond[bucket]).toBeCloseTo(1 / 5);
    expect(sut5.costPerMinute[bucket]).toBeCloseTo(0.5 * 12);
    expect(sut5.successRate[bucket]).toBe(1);
    expect(sut5.p50[bucket]).toBe(200);
  });

  it('records collaboration edges from collaborators and target agents', () => {
    const { store: sut, flush } = manualStore();
    sut.enqueue([
      event({
        event_type: 'agent_collaboration',
        payload: { collaborating_agents: ['coach', 'analyst', 'neuroscientist'] },
      }),
      event({ target_agent: { id: 'coach' } }),
    ]);
    flush();
    const edges = [...sut.edges.values()].map((e) => `${e.source}>${e.target}:${e.count}`);
    expect(edges.sort()).toEqual(['neuroscientist>analyst:1', 'neuroscientist>coach:2']);
  });

  it('keeps alerts oldest first and empties events on reset but keeps counting', () => {
    const { store: sut, flush } = manualStore();
    const alert = (id: string) => ({ alert_id: id }) as AlertTransition;
    sut.enqueueAlert(alert('1'));
    sut.enqueueAlert(alert('2'));
    sut.enqueue([event(), event()]);
    flush();
    expect(sut.alerts.map((a) => a.alert_id)).toEqual(['1', '2']);
    sut.reset();
    expect(sut.events.length).toBe(0);
    expect(sut.agents.size).toBe(0);
    expect(sut.counters.received).toBe(2);
    expect(sut.counters.cleared).toBe(2);
  });
});
