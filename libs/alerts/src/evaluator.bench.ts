/**
 * CPU per event of the alert evaluator: 100 mixed rules over 200,000 generated events.
 * Run: npx tsx libs/alerts/src/evaluator.bench.ts [events] [rules]
 */
import type { EventType, StreamedEvent } from '@auren/contracts';
import { AlertEvaluator } from './evaluator';
import { validateRules, type AlertRule } from './rule';
import { seededRandom, testEvent } from './test-events';

const EVENT_COUNT = Number(process.argv[2] ?? 200_000);
const RULE_COUNT = Number(process.argv[3] ?? 100);
const AGENTS = Number(process.env.AGENTS ?? 50);
const T0 = 1_700_000_000_000;

const TYPES: EventType[] = [
  'llm_call',
  'llm_call',
  'llm_call',
  'tool_usage',
  'tool_usage',
  'agent_decision',
  'agent_collaboration',
  'memory_tier_access',
  'knowledge_access',
  'agent_execution_started',
  'agent_execution_completed',
];
const METRICS = [
  'cost_sum',
  'tokens_sum',
  'failure_count',
  'failure_rate',
  'latency_p95',
  'latency_avg',
  'event_count',
  'confidence_min',
] as const;

function makeRules(count: number, random: () => number): AlertRule[] {
  const rules: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const scope: Record<string, unknown> = {};
    if (i % 3 === 0) scope.eventTypes = [TYPES[i % 5]];
    if (i % 4 === 1) scope.agents = [`agent-${i % AGENTS}`, `agent-${(i * 7) % AGENTS}`];
    const base = { id: `rule-${i}`, owner: i % 5 === 0 ? 'bob' : 'alice' };
    if (i % 10 === 7) {
      rules.push({ ...base, condition: { kind: 'absence', after: '30s' } });
      continue;
    }
    if (i % 10 === 3 || i % 10 === 9) {
      const filter = i % 20 === 3 ? { textContains: 'timeout' } : { success: false };
      rules.push({ ...base, scope, condition: { kind: 'match', filter } });
      continue;
    }
    const metric = METRICS[i % METRICS.length];
    const condition: Record<string, unknown> = {
      kind: 'threshold',
      metric,
      op: metric === 'confidence_min' ? '<' : '>',
      value: {
        cost_sum: 0.5,
        tokens_sum: 50_000,
        failure_count: 5,
        failure_rate: 0.4,
        latency_p95: 3000,
        latency_avg: 1500,
        event_count: 200,
        confidence_min: 0.05,
      }[metric],
      window: ['30s', '1m', '5m', '1h'][Math.floor(random() * 4)],
    };
    if (metric === 'failure_rate') condition.minCount = 10;
    rules.push({ ...base, scope, for: i % 2 === 0 ? '10s' : 0, condition });
  }
  return validateRules(rules);
}

function makeEvents(count: number, random: () => number): StreamedEvent[] {
  const events: StreamedEvent[] = [];
  let ms = 0;
  for (let i = 0; i < count; i++) {
    ms += random() < 0.5 ? 1 : 0; // about 2,000 events per second of stream time
    const type = TYPES[Math.floor(random() * TYPES.length)];
    const withMetrics = type === 'llm_call' || type === 'tool_usage';
    events.push(
      testEvent(T0 + ms, {
        agent: `agent-${Math.floor(random() * AGENTS)}`,
        type,
        user: random() < 0.3 ? 'bob' : 'alice',
        payload: random() < 0.001 ? { error: 'upstream timeout' } : { step: i },
        metrics: withMetrics
          ? {
              token_cost: random() * 0.002,
              tokens_used: Math.floor(random() * 1500),
              latency_ms: Math.floor(50 + random() * random() * 4000),
              success: random() > 0.05,
              confidence_score: random(),
              model: 'gpt-4o',
            }
          : undefined,
      }),
    );
  }
  return events;
}

function once(rules: AlertRule[], events: StreamedEvent[]) {
  const sut = new AlertEvaluator(rules, { tickLagMs: 0 });
  let transitions = 0;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < events.length; i++) {
    if (i % 1000 === 0) {
      transitions += sut.tick(Number(events[i].stream_id.slice(0, 13))).length;
    }
    transitions += sut.observe(events[i]).length;
  }
  const wallNs = Number(process.hrtime.bigint() - started);
  const { user, system } = process.cpuUsage(cpu);
  return {
    usPerEvent: (user + system) / events.length,
    wallUsPerEvent: wallNs / 1000 / events.length,
    transitions,
    stats: sut.stats(),
  };
}

const random = seededRandom(2024);
const rules = makeRules(RULE_COUNT, random);
const events = makeEvents(EVENT_COUNT, random);
once(rules, events.slice(0, 20_000)); // warm-up (JIT)
const runs = [once(rules, events), once(rules, events), once(rules, events)];
const best = Math.min(...runs.map((run) => run.usPerEvent));
const { transitions, stats } = runs[0];
const span = (Number(events[events.length - 1].stream_id.slice(0, 13)) - T0) / 1000;
console.log(
  `alert evaluator: ${rules.length} rules, ${events.length} events over ${span} s of stream time, ` +
    `${transitions} transitions, ${stats.keys} keys at the end`,
);
console.log(
  `CPU µs/event: best ${best.toFixed(2)}, runs ${runs.map((run) => run.usPerEvent.toFixed(2)).join(' / ')}` +
    ` (wall: ${runs.map((run) => run.wallUsPerEvent.toFixed(2)).join(' / ')})`,
);
