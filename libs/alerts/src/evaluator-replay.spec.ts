import type { EventType, StreamedEvent } from '@auren/contracts';
import { AlertEvaluator, type AlertEvaluatorOptions, type EvaluatorSnapshot } from './evaluator';
import { validateRules, type AlertRule } from './rule';
import { seededRandom, testEvent } from './test-events';
import type { AlertTransition } from './transition';

/** Determinism: a successor restored from a snapshot decides exactly what the original would. */

const T0 = 1_700_000_000_000;
const options: AlertEvaluatorOptions = { tickLagMs: 0 };

const threshold = (condition: Record<string, unknown>) => ({ kind: 'threshold', ...condition });

const RULES: AlertRule[] = validateRules(
  [
    {
      id: 'cost',
      condition: threshold({ metric: 'cost_sum', op: '>', value: 0.15, window: '30s' }),
    },
    {
      id: 'tokens',
      groupBy: 'none',
      condition: threshold({
        metric: 'tokens_sum',
        op: '>=',
        value: 20_000,
        window: '1m',
        resolveValue: 12_000,
      }),
    },
    {
      id: 'fail-rate',
      groupBy: 'none',
      for: '5s',
      resolveAfter: '5s',
      condition: threshold({
        metric: 'failure_rate',
        op: '>',
        value: 0.35,
        minCount: 5,
        window: '20s',
      }),
    },
    {
      id: 'fails',
      condition: threshold({ metric: 'failure_count', op: '>=', value: 3, window: '15s' }),
    },
    {
      id: 'p95',
      groupBy: 'none',
      condition: threshold({
        metric: 'latency_p95',
        op: '>',
        value: 3500,
        window: '30s',
        minCount: 5,
      }),
    },
    {
      id: 'avg',
      condition: threshold({ metric: 'latency_avg', op: '>', value: 1200, window: '10s' }),
    },
    {
      id: 'quiet',
      condition: threshold({ metric: 'event_count', op: '<', value: 2, window: '20s' }),
    },
    {
      id: 'conf',
      condition: threshold({ metric: 'confidence_min', op: '<', value: 0.1, window: '5s' }),
    },
    { id: 'stalled', condition: { kind: 'absence', after: '20s' } },
    {
      id: 'oom',
      resolveAfter: '30s',
      condition: { kind: 'match', filter: { textContains: 'oom' } },
    },
    {
      id: 'bob-errors',
      owner: 'bob',
      condition: { kind: 'match', filter: { success: false, eventTypes: ['tool_usage'] } },
    },
  ].map((rule) => ({ owner: 'alice', ...rule })),
);

const TYPES: EventType[] = [
  'agent_execution_started',
  'llm_call',
  'llm_call',
  'tool_usage',
  'agent_decision',
  'agent_execution_completed',
];

function generate(count: number, seed: number): StreamedEvent[] {
  const random = seededRandom(seed);
  const events: StreamedEvent[] = [];
  let ms = 0;
  for (let i = 0; i < count; i++) {
    ms += Math.floor(random() * random() * 2000);
    const type = TYPES[Math.floor(random() * TYPES.length)];
    const user = random() < 0.2 ? 'bob' : random() < 0.5 ? 'alice' : undefined;
    events.push(
      testEvent(T0 + ms, {
        agent: `agent-${Math.floor(random() * 6)}`,
        type,
        ...(user === undefined ? {} : { user }),
        payload: random() < 0.01 ? { message: 'worker OOM-killed' } : {},
        metrics:
          type === 'llm_call' || type === 'tool_usage'
            ? {
                token_cost: random() * 0.05,
                tokens_used: Math.floor(random() * 2000),
                latency_ms: Math.floor(random() * random() * 5000),
                success: random() > 0.25,
                confidence_score: random(),
              }
            : undefined,
      }),
    );
  }
  return events;
}

/** The driver a consumer would run: a tick every 40 events, then the event. */
function drive(
  sut: AlertEvaluator,
  events: StreamedEvent[],
  from: number,
  to: number,
): AlertTransition[] {
  const out: AlertTransition[] = [];
  for (let i = from; i < to; i++) {
    const time = Number(events[i].stream_id.split('-')[0]);
    if (i % 40 === 0) out.push(...sut.tick(time - 1500));
    out.push(...sut.observe(events[i]));
  }
  return out;
}

const EVENTS = generate(4000, 42);

describe(`${AlertEvaluator.name} snapshot and restore`, () => {
  const reference = drive(new AlertEvaluator(RULES, options), EVENTS, 0, EVENTS.length);

  it('exercises every rule (the comparison below is not vacuous)', () => {
    const fired = new Set(reference.filter((t) => t.state === 'firing').map((t) => t.ruleId));
    expect([...fired].sort()).toEqual(RULES.map((rule) => rule.id).sort());
    expect(reference.length).toBeGreaterThan(100);
  });

  it.each([1, 777, 2000, 3999])(
    'events 1..N once = 1..k, snapshot, restore, k+1..N (k = %i)',
    (k) => {
      const first = new AlertEvaluator(RULES, options);
      const before = drive(first, EVENTS, 0, k);
      const saved = JSON.parse(JSON.stringify(first.snapshot())) as EvaluatorSnapshot;
      expect(saved.lastStreamId).toBe(EVENTS[k - 1].stream_id);
      const sut = AlertEvaluator.restore(RULES, saved, options);
      const after = drive(sut, EVENTS, k, EVENTS.length);
      expect([...before, ...after]).toEqual(reference);
    },
  );

  it('a successor that replays from before its snapshot skips what it already saw', () => {
    const first = new AlertEvaluator(RULES, options);
    const before = drive(first, EVENTS, 0, 2500);
    const sut = AlertEvaluator.restore(RULES, first.snapshot(), options);
    const after = drive(sut, EVENTS, 2400, EVENTS.length);
    expect([...before, ...after]).toEqual(reference);
  });

  it('ticks change when transitions are reported, never what or when they are decided', () => {
    const sut = new AlertEvaluator(RULES, options);
    const everyEvent = EVENTS.flatMap((event) => [
      ...sut.tick(Number(event.stream_id.split('-')[0])),
      ...sut.observe(event),
    ]);
    expect(everyEvent).toEqual(reference);
  });

  it('resolves firing alerts of rules that changed while the evaluator was down', () => {
    const first = new AlertEvaluator(RULES, options);
    drive(first, EVENTS, 0, 3000);
    const firing = first.active();
    expect(firing.length).toBeGreaterThan(0);
    const kept = RULES.filter((rule) => rule.id !== firing[0].ruleId);
    const sut = AlertEvaluator.restore(kept, first.snapshot(), options);
    const owed = sut.tick(0);
    const gone = firing.filter((alert) => alert.ruleId === firing[0].ruleId);
    expect(owed.map((t) => [t.key, t.state, t.reason])).toEqual(
      gone.map((alert) => [alert.key, 'resolved', 'rule_removed']),
    );
    expect(sut.active()).toEqual(firing.filter((alert) => alert.ruleId !== firing[0].ruleId));
  });

  it('keeps the snapshot bounded and JSON-clean', () => {
    const sut = new AlertEvaluator(RULES, options);
    drive(sut, EVENTS, 0, EVENTS.length);
    const text = JSON.stringify(sut.snapshot());
    expect(JSON.stringify(JSON.parse(text))).toBe(text);
    expect(text.length).toBeLessThan(200_000);
  });
});
