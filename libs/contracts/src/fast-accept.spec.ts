import { validateSync } from 'class-validator';
import { AgentEventDto, AgentRefDto, PerformanceMetricsDto } from './event.dto';
import { certainlyValid } from './fast-accept';
import { parseEvent } from './validate-event';
import { prng } from '../../../test/fixtures/prng';

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < depth; i += 1) value = { a: value };
  return value;
}

const x = (n: number) => 'x'.repeat(n);
const IDS = [
  'a',
  undefined,
  x(128),
  null,
  '',
  x(128),
  x(129),
  '\ufe0f',
  '\ufe0e\ufe0f',
  '\ufe0fa',
  '😀'.repeat(64),
  '😀'.repeat(65),
  5,
  {},
];
const TYPES = ['llm_call', 'agent_decision', 'custom.x', undefined, null, 'custom.', 'nope', 3];
const TIMES = [
  '2025-01-24T10:30:00Z',
  '2025-01-24T10:30:00.123+02:00',
  undefined,
  null,
  '2025-02-30T10:00:00Z',
  '2024-02-29T00:00:00Z',
  '2023-02-29T00:00:00Z',
  '1900-02-29T00:00:00Z',
  '2000-02-29T23:59:59.123456789-00:00',
  '2025-04-31T10:00:00Z',
  '2025-01-24T24:00:00Z',
  '2025-01-24T10:30:60Z',
  '0099-12-31T23:59:59+14:00',
  '2025-01-24T10:30:00+14:00',
  '2025-01-24 10:30:00Z',
  '2025-01-24',
  'yesterday',
  12345,
];
const SHORT = ['a', x(128), undefined, null, x(129), 7, ['a']];
const ROLES = ['r', x(256), undefined, null, x(257), 1];
const OBJECTS = [{ a: 1 }, nested(32), undefined, null, {}, nested(33), [], 'text', 5];
const NUMBERS = [0, 1, 100, undefined, null, -1, 0.5, 1.5, 101, 2.5, NaN, Infinity, '1', true];
const BOOLS = [true, false, undefined, null, 'true', 1];

/** Mostly (80 %) the first `valid` values of the pool, else any of it. */
function pick<T>(random: () => number, values: readonly T[], valid = 3): T {
  const n = random() < 0.8 ? Math.min(valid, values.length) : values.length;
  return values[Math.floor(random() * n)];
}

function agent(random: () => number): AgentRefDto {
  return Object.assign(new AgentRefDto(), { id: pick(random, IDS), role: pick(random, ROLES) });
}

/** A DTO as parseEvent builds it, each field drawn from valid values and edge cases. */
function randomDto(random: () => number): AgentEventDto {
  const dto = Object.assign(new AgentEventDto(), {
    event_id: pick(random, IDS),
    event_type: pick(random, TYPES),
    timestamp: pick(random, TIMES),
    trace_id: pick(random, SHORT),
    session_id: pick(random, SHORT),
    parent_event_id: pick(random, SHORT),
    user_id: pick(random, SHORT),
    source_agent: agent(random),
    target_agent: random() < 0.3 ? agent(random) : pick(random, [undefined, null]),
    payload: pick(random, OBJECTS),
    metadata: pick(random, OBJECTS),
  });
  if (random() < 0.5) {
    const m = new PerformanceMetricsDto();
    const metrics = m as Record<string, unknown>;
    for (const key of [
      'latency_ms',
      'token_cost',
      'confidence_score',
      'tokens_used',
      'input_tokens',
      'output_tokens',
      'memory_usage_mb',
      'cpu_percentage',
    ])
      if (random() < 0.4) metrics[key] = pick(random, NUMBERS);
    if (random() < 0.4) metrics.success = pick(random, BOOLS);
    if (random() < 0.3) metrics.model = pick(random, ROLES);
    if (random() < 0.3) metrics.error_type = pick(random, ROLES);
    dto.performance_metrics = m;
  }
  return dto;
}

describe(certainlyValid.name, () => {
  it('never accepts an event that class-validator refuses (20,000 generated events)', () => {
    const random = prng(20261124);
    let fastAccepted = 0;
    let slowAccepted = 0;
    for (let i = 0; i < 20_000; i += 1) {
      const dto = randomDto(random);
      const slow = validateSync(dto, { forbidUnknownValues: false }).length === 0;
      const fast = certainlyValid(dto);
      if (fast && !slow) throw new Error(`accepted an invalid event: ${JSON.stringify(dto)}`);
      if (fast) fastAccepted += 1;
      if (slow) slowAccepted += 1;
    }
    // The generator must produce valid events too, or the implication says nothing.
    expect(slowAccepted).toBeGreaterThan(50);
    // ...and the shortcut must take almost all of them (only edge cases go the slow way).
    expect(fastAccepted).toBeGreaterThan(slowAccepted * 0.8);
  });

  it('decides common timestamps exactly as class-validator does (month ends, leap years)', () => {
    const dto = (timestamp: string) =>
      Object.assign(new AgentEventDto(), {
        event_type: 'llm_call',
        timestamp,
        source_agent: Object.assign(new AgentRefDto(), { id: 'a' }),
      });
    for (const year of [1900, 1999, 2000, 2023, 2024, 2100, 2400])
      for (let month = 1; month <= 12; month += 1)
        for (const day of [1, 28, 29, 30, 31]) {
          const mm = String(month).padStart(2, '0');
          const timestamp = `${year}-${mm}-${String(day).padStart(2, '0')}T23:59:59.5+01:00`;
          const slow = validateSync(dto(timestamp)).length === 0;
          expect([timestamp, certainlyValid(dto(timestamp))]).toEqual([timestamp, slow]);
        }
  });

  it('takes a typical complete event', () => {
    const result = parseEvent({
      event_id: 'e-1',
      event_type: 'llm_call',
      timestamp: '2025-01-24T10:30:00.000Z',
      trace_id: 't',
      session_id: 's',
      user_id: 'alice',
      source_agent: { id: 'neuroscientist', role: 'Neuroscientist', goal: 'explain' },
      target_agent: { id: 'coach' },
      payload: { text: 'hello', nested: { list: [1, 2, { a: null }] } },
      metadata: { source: 'unit' },
      performance_metrics: {
        latency_ms: 120,
        token_cost: 0.002,
        success: true,
        confidence_score: 0.9,
        tokens_used: 512,
        model: 'gpt-4o-mini',
      },
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(certainlyValid(result.value.dto)).toBe(true);
  });

  it('counts a variation selector as one character, as JSON Schema does', () => {
    const dto = Object.assign(new AgentEventDto(), {
      event_type: 'llm_call',
      event_id: '\ufe0f',
      source_agent: Object.assign(new AgentRefDto(), { id: 'a' }),
    });

    expect(certainlyValid(dto)).toBe(true);
    const verdict = parseEvent({
      event_type: 'llm_call',
      event_id: '\ufe0f',
      source_agent: { id: 'a' },
    });
    expect(verdict.ok).toBe(validateSync(dto).length === 0);
  });
});
