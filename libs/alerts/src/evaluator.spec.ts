import type { StreamedEvent } from '@auren/contracts';
import { AlertEvaluator, type AlertEvaluatorOptions } from './evaluator';
import { validateRule, type AlertRule } from './rule';
import { testEvent, type TestEventFields } from './test-events';
import type { AlertTransition } from './transition';

const T0 = 1_700_000_000_000;
const options: AlertEvaluatorOptions = { tickLagMs: 0 };

function rule(fields: Record<string, unknown>): AlertRule {
  return validateRule({ id: 'r', owner: 'alice', ...fields });
}

function threshold(condition: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return rule({ condition: { kind: 'threshold', window: '10s', ...condition }, ...extra });
}

/** Feeds events (then ticks to `until`, if given); all transitions in order. */
function run(sut: AlertEvaluator, events: StreamedEvent[], until?: number): AlertTransition[] {
  const out = events.flatMap((event) => [...sut.observe(event)]);
  return until === undefined ? out : [...out, ...sut.tick(until)];
}

/** `firing r:agent-a @2000`: state, key and time since T0. */
function brief(transitions: readonly AlertTransition[]): string[] {
  return transitions.map((t) => `${t.state} ${t.key} @${t.at - T0}`);
}

const at = (ms: number, fields: TestEventFields = {}) => testEvent(T0 + ms, fields);

describe(AlertEvaluator.name, () => {
  describe('threshold', () => {
    it('fires once per agent when the window sum crosses, and resolves once when it drops', () => {
      const sut = new AlertEvaluator(
        [threshold({ metric: 'cost_sum', op: '>', value: 1 })],
        options,
      );
      const events = [
        at(0, { metrics: { token_cost: 0.4 }, id: 'a1' }),
        at(1000, { metrics: { token_cost: 0.4 }, id: 'a2' }),
        at(2000, { metrics: { token_cost: 0.4 }, id: 'a3' }),
        at(2500, { agent: 'agent-b', metrics: { token_cost: 0.5 } }),
        at(3000, { metrics: { token_cost: 0.4 }, id: 'a4' }),
      ];
      const transitions = run(sut, events, T0 + 60_000);
      expect(brief(transitions)).toEqual(['firing r:agent-a @2000', 'resolved r:agent-a @11000']);
      const [fired, resolved] = transitions;
      expect(fired).toMatchObject({ agent: 'agent-a', threshold: 1, eventIds: ['a1', 'a2', 'a3'] });
      expect(fired.value).toBeCloseTo(1.2);
      expect(fired.window).toEqual({ from: T0 - 7000, to: T0 + 2000 });
      expect(resolved).toMatchObject({ value: 0.8, threshold: 1, reason: 'condition' });
      expect(resolved.seq).toBeGreaterThan(fired.seq);
      expect(sut.stats().keys).toBe(0);
    });

    const metricCases: [string, Record<string, unknown>, StreamedEvent[]][] = [
      [
        'tokens_sum (tokens_used, else input + output)',
        { metric: 'tokens_sum', op: '>', value: 100 },
        [
          at(0, { metrics: { tokens_used: 60 } }),
          at(100, { metrics: { input_tokens: 30, output_tokens: 20 } }),
        ],
      ],
      [
        'failure_count',
        { metric: 'failure_count', op: '>=', value: 2 },
        [
          at(0, { metrics: { success: false } }),
          at(100, { metrics: { success: true } }),
          at(200, { metrics: { success: false } }),
        ],
      ],
      [
        'failure_rate (only once minCount events reported success)',
        { metric: 'failure_rate', op: '>', value: 0.5, minCount: 4 },
        [
          ...[0, 100, 200].map((ms) => at(ms, { metrics: { success: false } })),
          at(250, {}),
          at(300, { metrics: { success: true } }),
          at(400, { metrics: { success: true } }),
          at(500, { metrics: { success: true } }),
        ],
      ],
      [
        'latency_p95',
        { metric: 'latency_p95', op: '>', value: 1000 },
        [
          ...Array.from({ length: 20 }, (_, i) => at(i * 10, { metrics: { latency_ms: 100 } })),
          at(300, { metrics: { latency_ms: 5000 } }),
          at(310, { metrics: { latency_ms: 5000 } }),
          ...Array.from({ length: 30 }, (_, i) => at(400 + i, { metrics: { latency_ms: 100 } })),
        ],
      ],
      [
        'latency_avg',
        { metric: 'latency_avg', op: '>', value: 500 },
        [100, 100, 2000, 100, 100, 100].map((latency, i) =>
          at(i * 100, { metrics: { latency_ms: latency } }),
        ),
      ],
      [
        'event_count of one type',
        { metric: 'event_count', op: '>', value: 3, eventType: 'tool_usage' },
        [0, 100, 200, 300, 400].map((ms) => at(ms, { type: 'tool_usage' })).concat(at(150)),
      ],
      [
        'confidence_min',
        { metric: 'confidence_min', op: '<', value: 0.5, window: '5s' },
        [
          at(0, { metrics: { confidence_score: 0.9 } }),
          at(100, { metrics: { confidence_score: 0.4 } }),
        ],
      ],
    ];

    it.each(metricCases)('%s fires once and resolves once', (_name, condition, events) => {
      const sut = new AlertEvaluator([threshold(condition)], options);
      const ordered = [...events].sort((a, b) => (a.stream_id < b.stream_id ? -1 : 1));
      const transitions = run(sut, ordered, T0 + 120_000);
      expect(transitions.map((t) => `${t.state} ${t.key}`)).toEqual([
        'firing r:agent-a',
        'resolved r:agent-a',
      ]);
    });

    it('failure_rate fires on the event that makes minCount, with the rate as value', () => {
      const sut = new AlertEvaluator(
        [threshold({ metric: 'failure_rate', op: '>', value: 0.5, minCount: 4 })],
        options,
      );
      const fails = [0, 100, 200].map((ms) => at(ms, { metrics: { success: false } }));
      expect(run(sut, fails)).toEqual([]);
      const [fired] = sut.observe(at(300, { metrics: { success: true } }));
      expect(fired).toMatchObject({ state: 'firing', value: 0.75, at: T0 + 300 });
    });

    /** Average latency swinging between about 360 and 640 ms (8 s period), then low. */
    function swinging(seconds: number, after: 'low' | 'high-then-low'): StreamedEvent[] {
      const events: StreamedEvent[] = [];
      for (let ms = 0; ms < seconds * 1000; ms += 100) {
        const latency = 500 + 300 * Math.sin((2 * Math.PI * ms) / 8000);
        events.push(at(ms, { metrics: { latency_ms: latency } }));
      }
      let ms = seconds * 1000;
      if (after === 'high-then-low') {
        for (const end = ms + 10_000; ms < end; ms += 100) {
          events.push(at(ms, { metrics: { latency_ms: 900 } }));
        }
      }
      for (const end = ms + 10_000; ms < end; ms += 100) {
        events.push(at(ms, { metrics: { latency_ms: 100 } }));
      }
      return events;
    }

    it('hysteresis: a value oscillating around the threshold fires once', () => {
      const condition = { metric: 'latency_avg', op: '>', value: 600, window: '5s' };
      const flapping = new AlertEvaluator([threshold(condition)], options);
      // Without hysteresis the same data flaps: the test below can tell.
      const flaps = run(flapping, swinging(60, 'low'));
      expect(flaps.filter((t) => t.state === 'firing').length).toBeGreaterThanOrEqual(5);

      const sut = new AlertEvaluator([threshold({ ...condition, resolveValue: 300 })], options);
      const transitions = run(sut, swinging(60, 'low'));
      expect(transitions.map((t) => t.state)).toEqual(['firing', 'resolved']);
      expect(transitions[1].threshold).toBe(300);
      expect(transitions[1].value).toBeLessThanOrEqual(300);
    });

    it('for: short excursions do not fire; one held for `for` fires exactly `for` after it began', () => {
      const condition = { metric: 'latency_avg', op: '>', value: 600, window: '5s' };
      const sut = new AlertEvaluator([threshold(condition, { for: '5s' })], options);
      const transitions = run(sut, swinging(60, 'high-then-low'));
      expect(transitions.map((t) => t.state)).toEqual(['firing', 'resolved']);
      // The average first exceeds 600 a little after the high phase starts at 60 s.
      expect(transitions[0].at - T0).toBeGreaterThan(60_000);
      expect(transitions[0].at - T0).toBeLessThan(60_000 + 5_000 + 5_000);
    });

    it('for and resolveAfter are deadlines: decided at the exact time, also without events', () => {
      const sut = new AlertEvaluator(
        [
          threshold(
            { metric: 'cost_sum', op: '>', value: 1, window: '1m' },
            { for: '30s', resolveAfter: '10s' },
          ),
        ],
        options,
      );
      expect(sut.observe(at(0, { metrics: { token_cost: 2 } }))).toEqual([]);
      expect(sut.tick(T0 + 29_999)).toEqual([]);
      expect(brief(sut.tick(T0 + 45_000))).toEqual(['firing r:agent-a @30000']);
      // The cost leaves the window at 60 s; resolving holds for 10 s more.
      expect(sut.tick(T0 + 69_999)).toEqual([]);
      expect(brief(sut.tick(T0 + 70_000))).toEqual(['resolved r:agent-a @70000']);
    });

    it('resolveAfter: a relapse within it keeps the alert firing without a new transition', () => {
      const sut = new AlertEvaluator(
        [
          threshold(
            { metric: 'confidence_min', op: '<', value: 0.5, window: '2s' },
            { resolveAfter: '10s' },
          ),
        ],
        options,
      );
      const events = [
        at(0, { metrics: { confidence_score: 0.1 } }),
        at(3000, { metrics: { confidence_score: 0.9 } }),
        at(6000, { metrics: { confidence_score: 0.2 } }),
        ...[8000, 10000, 12000, 14000, 16000, 18000, 20000].map((ms) =>
          at(ms, { metrics: { confidence_score: 0.9 } }),
        ),
      ];
      expect(brief(run(sut, events))).toEqual(['firing r:agent-a @0', 'resolved r:agent-a @18000']);
    });

    it('`<` on a count waits one window before judging a new agent', () => {
      const sut = new AlertEvaluator(
        [threshold({ metric: 'event_count', op: '<', value: 3, window: '10s' })],
        options,
      );
      expect(sut.observe(at(0))).toEqual([]);
      expect(sut.observe(at(100))).toEqual([]);
      expect(brief(sut.tick(T0 + 30_000))).toEqual(['firing r:agent-a @10000']);
      const back = run(sut, [at(30_000), at(30_100), at(30_200)]);
      expect(brief(back)).toEqual(['resolved r:agent-a @30200']);
    });

    it('groupBy none: one alert for all agents together', () => {
      const sut = new AlertEvaluator(
        [threshold({ metric: 'cost_sum', op: '>', value: 1 }, { groupBy: 'none' })],
        options,
      );
      const transitions = run(sut, [
        at(0, { agent: 'x', metrics: { token_cost: 0.6 } }),
        at(10, { agent: 'y', metrics: { token_cost: 0.6 } }),
      ]);
      expect(transitions).toHaveLength(1);
      expect(transitions[0]).toMatchObject({ key: 'r', agent: null, state: 'firing' });
    });

    it('applies the scope: agents, event types and models', () => {
      const sut = new AlertEvaluator(
        [
          threshold(
            { metric: 'event_count', op: '>=', value: 2 },
            { scope: { agents: ['a'], eventTypes: ['llm_call'], models: ['gpt-4o'] } },
          ),
        ],
        options,
      );
      const gpt = { model: 'gpt-4o' };
      const ignored = [
        at(0, { agent: 'b', metrics: gpt }),
        at(1, { agent: 'a', type: 'tool_usage', metrics: gpt }),
        at(2, { agent: 'a', metrics: { model: 'claude' } }),
        at(3, { agent: 'a' }),
      ];
      expect(run(sut, ignored)).toEqual([]);
      expect(run(sut, [at(4, { agent: 'a', metrics: gpt })])).toEqual([]);
      expect(brief(run(sut, [at(5, { agent: 'a', metrics: gpt })]))).toEqual(['firing r:a @5']);
    });
  });

  describe('absence', () => {
    const absence = () => rule({ condition: { kind: 'absence', after: '5m' } });

    it('fires `after` after an agent’s last event and resolves on its next event', () => {
      const sut = new AlertEvaluator([absence()], options);
      run(sut, [at(0, { type: 'agent_execution_started' }), at(60_000, { type: 'tool_usage' })]);
      expect(sut.tick(T0 + 359_999)).toEqual([]);
      const fired = sut.tick(T0 + 400_000);
      expect(brief(fired)).toEqual(['firing r:agent-a @360000']);
      expect(fired[0]).toMatchObject({ value: 300_000, threshold: 300_000 });
      expect(sut.tick(T0 + 900_000)).toEqual([]);
      const resolved = sut.observe(at(1_000_000, { type: 'llm_call', id: 'back' }));
      expect(brief(resolved)).toEqual(['resolved r:agent-a @1000000']);
      expect(resolved[0]).toMatchObject({ value: 940_000, eventIds: ['back'] });
      // Still running: silent again, it fires again.
      expect(brief(sut.tick(T0 + 1_300_000))).toEqual(['firing r:agent-a @1300000']);
    });

    it('is decided by the next event too when no tick ran', () => {
      const sut = new AlertEvaluator([absence()], options);
      const transitions = run(sut, [
        at(0, { type: 'agent_execution_started' }),
        at(400_000, { type: 'llm_call' }),
      ]);
      expect(brief(transitions)).toEqual([
        'firing r:agent-a @300000',
        'resolved r:agent-a @400000',
      ]);
    });

    it('ignores agents that completed or never started', () => {
      const sut = new AlertEvaluator([absence()], options);
      run(sut, [
        at(0, { type: 'agent_execution_started' }),
        at(1000, { type: 'agent_execution_completed' }),
        at(2000, { agent: 'never-started', type: 'llm_call' }),
      ]);
      expect(sut.tick(T0 + 3_600_000)).toEqual([]);
      expect(sut.stats().keys).toBe(0);
    });
  });

  describe('match', () => {
    it('fires on the first matching event, stays firing while matches come, resolves after resolveAfter', () => {
      const sut = new AlertEvaluator(
        [rule({ condition: { kind: 'match', filter: { success: false } }, resolveAfter: '1m' })],
        options,
      );
      const transitions = run(
        sut,
        [
          at(0, { metrics: { success: true } }),
          at(1000, { metrics: { success: false }, id: 'f1' }),
          at(30_000, { metrics: { success: false }, id: 'f2' }),
          at(60_000, { metrics: { success: true } }),
        ],
        T0 + 200_000,
      );
      expect(brief(transitions)).toEqual(['firing r:agent-a @1000', 'resolved r:agent-a @90000']);
      expect(transitions[0]).toMatchObject({ value: 1, eventIds: ['f1'] });
      expect(transitions[1]).toMatchObject({
        value: 2,
        window: { from: T0 + 1000, to: T0 + 90_000 },
      });
    });

    it('matches errorType exactly and textContains as a case-insensitive substring', () => {
      const sut = new AlertEvaluator(
        [
          rule({ id: 'err', condition: { kind: 'match', filter: { errorType: 'RateLimit' } } }),
          rule({
            id: 'txt',
            condition: { kind: 'match', filter: { textContains: 'out of memory' } },
          }),
        ],
        options,
      );
      const fired = run(sut, [
        at(0, { metrics: { error_type: 'ratelimit' } }),
        at(1, { payload: { note: 'fine' } }),
        at(2, { agent: 'b', metrics: { error_type: 'RateLimit' } }),
        at(3, { agent: 'c', payload: { detail: { lines: ['worker: OUT OF MEMORY (.*)'] } } }),
      ]);
      expect(brief(fired)).toEqual(['firing err:b @2', 'firing txt:c @3']);
    });
  });

  describe('user isolation', () => {
    const cost = () => threshold({ metric: 'cost_sum', op: '>', value: 1 });

    it('a rule never sees another user’s events; unowned events count for everyone', () => {
      const sut = new AlertEvaluator([cost()], options);
      const bob = [0, 1, 2].map((ms) => at(ms, { user: 'bob', metrics: { token_cost: 5 } }));
      expect(run(sut, bob)).toEqual([]);
      expect(sut.stats().keys).toBe(0);
      expect(run(sut, [at(3, { metrics: { token_cost: 0.6 } })])).toEqual([]);
      expect(brief(run(sut, [at(4, { user: 'alice', metrics: { token_cost: 0.6 } })]))).toEqual([
        'firing r:agent-a @4',
      ]);
    });

    it('an owner with the `all` permission sees every user; agent permissions restrict', () => {
      const access = (owner: string) =>
        owner === 'admin'
          ? { seesAllUsers: true, allowedAgents: null }
          : { seesAllUsers: false, allowedAgents: new Set(['agent-a']) };
      const sut = new AlertEvaluator(
        [
          rule({ id: 'admin-rule', owner: 'admin', condition: { kind: 'match', filter: {} } }),
          rule({ id: 'alice-rule', condition: { kind: 'match', filter: {} } }),
        ],
        { ...options, access },
      );
      const fired = run(sut, [at(0, { user: 'bob' }), at(1, { user: 'alice', agent: 'agent-z' })]);
      expect(brief(fired)).toEqual([
        'firing admin-rule:agent-a @0',
        'firing admin-rule:agent-z @1',
      ]);
    });
  });

  describe('rule changes', () => {
    const firingRules = () => [
      rule({ id: 'm1', condition: { kind: 'match', filter: {} } }),
      rule({ id: 'm2', condition: { kind: 'match', filter: {} } }),
      rule({ id: 'm3', condition: { kind: 'match', filter: {} } }),
      rule({ id: 'm4', condition: { kind: 'match', filter: {} } }),
    ];

    it('keeps unchanged rules’ state and resolves removed, changed and disabled ones', () => {
      const [m1, m2, m3, m4] = firingRules();
      const sut = new AlertEvaluator([m1, m2, m3, m4], options);
      expect(run(sut, [at(0)])).toHaveLength(4);
      const changed = { ...m3, severity: 'critical' as const };
      const transitions = sut.setRules([{ ...m1 }, changed, { ...m4, enabled: false }]);
      expect(transitions.map((t) => `${t.ruleId} ${t.state} ${t.reason}`)).toEqual([
        'm3 resolved rule_changed',
        'm4 resolved rule_disabled',
        'm2 resolved rule_removed',
      ]);
      // m1 is still firing (no new firing); the changed m3 starts over and fires again.
      expect(run(sut, [at(10)]).map((t) => `${t.ruleId} ${t.state}`)).toEqual(['m3 firing']);
      expect(sut.active().map((alert) => alert.ruleId)).toEqual(['m1', 'm3']);
    });

    it('caps the agents one rule tracks', () => {
      const sut = new AlertEvaluator([firingRules()[0]], { ...options, maxGroupsPerRule: 2 });
      const transitions = run(
        sut,
        ['a', 'b', 'c'].map((agent, i) => at(i, { agent })),
      );
      expect(transitions.map((t) => t.agent)).toEqual(['a', 'b']);
      expect(sut.stats().groupsRefused).toBe(1);
    });
  });

  describe('clock and replay', () => {
    it('skips events at or before the last processed stream id', () => {
      const sut = new AlertEvaluator([rule({ condition: { kind: 'match', filter: {} } })], options);
      const first = at(0);
      expect(sut.observe(first)).toHaveLength(1);
      expect(sut.observe(first)).toEqual([]);
      expect(sut.observe({ ...at(5), stream_id: `${T0}-0` })).toEqual([]);
      expect(sut.stats().duplicatesSkipped).toBe(2);
    });

    it('can use received_at as the clock (Kafka positions carry no time)', () => {
      const sut = new AlertEvaluator([rule({ condition: { kind: 'absence', after: '1m' } })], {
        ...options,
        clock: 'received_at',
      });
      const kafka = (ms: number, type: TestEventFields['type']) => ({
        ...at(ms, { type }),
        stream_id: `3-${ms}`,
      });
      const transitions = run(sut, [
        kafka(0, 'agent_execution_started'),
        kafka(90_000, 'llm_call'),
      ]);
      expect(brief(transitions)).toEqual(['firing r:agent-a @60000', 'resolved r:agent-a @90000']);
    });

    it('ticks lag behind now by tickLagMs', () => {
      const sut = new AlertEvaluator([rule({ condition: { kind: 'absence', after: '1m' } })], {
        tickLagMs: 2000,
      });
      sut.observe(at(0, { type: 'agent_execution_started' }));
      expect(sut.tick(T0 + 61_999)).toEqual([]);
      expect(brief(sut.tick(T0 + 62_000))).toEqual(['firing r:agent-a @60000']);
    });
  });
});
