import { KNOWN_EVENT_TYPES } from './event-types';
import { nestingDepth } from './validators';
import {
  isStoredEvent,
  parseEvent,
  toCanonicalEvent,
  type FieldError,
  type ValidEvent,
} from './validate-event';

const RECEIVED_AT = '2025-01-24T10:30:00.000Z';

function minimal(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { event_type: 'llm_call', source_agent: { id: 'neuroscientist' }, ...extra };
}

/** The errors of an input that must be refused; fails the test when it was accepted. */
function refused(input: unknown): FieldError[] {
  const result = parseEvent(input);
  if (result.ok) throw new Error(`expected ${JSON.stringify(input)} to be refused`);
  return result.errors;
}

function accepted(input: unknown): ValidEvent {
  const result = parseEvent(input);
  if (!result.ok) throw new Error(`expected acceptance, got ${JSON.stringify(result.errors)}`);
  return result.value;
}

function fields(errors: FieldError[]): string[] {
  return errors.map((e) => e.field);
}

/** An object `depth` levels deep: `{}` is depth 1, `{a:{}}` depth 2. */
function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < depth; i += 1) value = { a: value };
  return value;
}

let idCounter = 0;
const context = (boundUserId?: string) => ({
  receivedAt: RECEIVED_AT,
  newEventId: () => `generated-${++idCounter}`,
  boundUserId,
});

describe(parseEvent.name, () => {
  const sut = parseEvent;

  it('accepts a minimal event (event_type and source_agent.id)', () => {
    const result = sut(minimal());

    expect(result.ok).toBe(true);
  });

  it.each(KNOWN_EVENT_TYPES.map((t) => [t]))('accepts the event type %s', (eventType) => {
    expect(sut(minimal({ event_type: eventType })).ok).toBe(true);
  });

  it.each([[null], [[]], ['a string'], [42], [true], [undefined]])(
    'refuses the non-object body %p',
    (body) => {
      expect(fields(refused(body))).toEqual(['(body)']);
    },
  );

  it('refuses an unknown event_type and lists the allowed ones', () => {
    const errors = refused(minimal({ event_type: 'agent_exploded' }));

    expect(fields(errors)).toEqual(['event_type']);
    for (const type of KNOWN_EVENT_TYPES) expect(errors[0]?.message).toContain(type);
    expect(errors[0]?.message).toContain('custom.');
  });

  it('refuses an event_type that is not a string', () => {
    expect(fields(refused(minimal({ event_type: 7 })))).toEqual(['event_type']);
  });

  it('refuses an event without event_type', () => {
    expect(fields(refused({ source_agent: { id: 'a' } }))).toEqual(['event_type']);
  });

  it('accepts custom.<name> and refuses custom. alone', () => {
    expect(sut(minimal({ event_type: 'custom.x' })).ok).toBe(true);
    expect(sut(minimal({ event_type: 'custom.my_thing' })).ok).toBe(true);
    expect(fields(refused(minimal({ event_type: 'custom.' })))).toEqual(['event_type']);
  });

  it('refuses a payload that is an array, and a metadata that is a string', () => {
    expect(fields(refused(minimal({ payload: [1, 2] })))).toEqual(['payload']);
    expect(fields(refused(minimal({ metadata: 'x' })))).toEqual(['metadata']);
  });

  it.each([['yesterday'], [1732441800000], ['2025-13-45T99:00:00Z']])(
    'refuses the timestamp %p',
    (timestamp) => {
      expect(fields(refused(minimal({ timestamp })))).toEqual(['timestamp']);
    },
  );

  it('accepts an ISO-8601 timestamp', () => {
    expect(sut(minimal({ timestamp: '2025-01-24T10:30:00.123Z' })).ok).toBe(true);
  });

  it('refuses a missing source_agent, naming source_agent.id', () => {
    const input = minimal();
    delete input.source_agent;

    expect(fields(refused(input))).toEqual(['source_agent.id']);
    expect(fields(refused(minimal({ source_agent: null })))).toEqual(['source_agent.id']);
  });

  it('refuses a source_agent without id, with an empty id, or that is not an object', () => {
    expect(fields(refused(minimal({ source_agent: { role: 'x' } })))).toEqual(['source_agent.id']);
    expect(fields(refused(minimal({ source_agent: { id: '' } })))).toEqual(['source_agent.id']);
    expect(fields(refused(minimal({ source_agent: { id: 5 } })))).toEqual(['source_agent.id']);
    expect(fields(refused(minimal({ source_agent: 'neuroscientist' })))).toEqual(['source_agent']);
  });

  it('refuses a target_agent without id but accepts null', () => {
    expect(fields(refused(minimal({ target_agent: { role: 'x' } })))).toEqual(['target_agent.id']);
    expect(sut(minimal({ target_agent: null })).ok).toBe(true);
  });

  it('accepts ids of 128 characters and refuses 129', () => {
    const ok = 'x'.repeat(128);
    const long = 'x'.repeat(129);
    expect(
      sut(
        minimal({
          event_id: ok,
          trace_id: ok,
          session_id: ok,
          parent_event_id: ok,
          user_id: ok,
          source_agent: { id: ok },
        }),
      ).ok,
    ).toBe(true);

    for (const field of ['event_id', 'trace_id', 'session_id', 'parent_event_id', 'user_id']) {
      expect(fields(refused(minimal({ [field]: long })))).toEqual([field]);
    }
    expect(fields(refused(minimal({ source_agent: { id: long } })))).toEqual(['source_agent.id']);
    expect(fields(refused(minimal({ target_agent: { id: long } })))).toEqual(['target_agent.id']);
  });

  it('refuses an empty event_id', () => {
    expect(fields(refused(minimal({ event_id: '' })))).toEqual(['event_id']);
  });

  it.each([['payload'], ['metadata']])('accepts %s nested 32 deep and refuses 33', (field) => {
    expect(nestingDepth(nested(32), 100)).toBe(32);
    expect(sut(minimal({ [field]: nested(32) })).ok).toBe(true);

    expect(fields(refused(minimal({ [field]: nested(33) })))).toEqual([field]);
  });

  it('counts arrays as nesting levels', () => {
    let deep: unknown = [];
    for (let i = 1; i < 33; i += 1) deep = [deep];

    expect(fields(refused(minimal({ payload: { a: deep } })))).toEqual(['payload']);
  });

  it.each([
    ['confidence_score', 1.01],
    ['confidence_score', -0.1],
    ['latency_ms', -1],
    ['token_cost', -0.01],
    ['tokens_used', 1.5],
    ['input_tokens', -1],
    ['output_tokens', 2.5],
    ['memory_usage_mb', -3],
    ['cpu_percentage', 101],
    ['cpu_percentage', -1],
    ['success', 'yes'],
    ['model', 42],
    ['latency_ms', '12'],
  ])('refuses performance_metrics.%s = %p', (metric, value) => {
    expect(fields(refused(minimal({ performance_metrics: { [metric]: value } })))).toEqual([
      `performance_metrics.${metric}`,
    ]);
  });

  it('accepts metrics at the edges of their ranges', () => {
    const metrics = {
      latency_ms: 0,
      token_cost: 0,
      success: false,
      confidence_score: 1,
      tokens_used: 0,
      input_tokens: 10,
      output_tokens: 20,
      model: 'gpt-4o',
      memory_usage_mb: 0,
      cpu_percentage: 100,
      error_type: 'timeout',
    };

    expect(sut(minimal({ performance_metrics: metrics })).ok).toBe(true);
  });

  it('refuses performance_metrics that is not an object', () => {
    expect(fields(refused(minimal({ performance_metrics: [0.5] })))).toEqual([
      'performance_metrics',
    ]);
  });

  it('names every bad field of one event', () => {
    const errors = refused({
      event_type: 'nope',
      source_agent: { id: '' },
      payload: [],
      performance_metrics: { cpu_percentage: 200 },
    });

    expect(fields(errors).sort()).toEqual([
      'event_type',
      'payload',
      'performance_metrics.cpu_percentage',
      'source_agent.id',
    ]);
  });

  it('keeps extra string fields of source_agent and drops non-string ones', () => {
    const value = accepted(
      minimal({
        source_agent: {
          id: 'neuroscientist',
          role: 'Neuroscientist',
          goal: 'optimise HRV',
          backstory: 'PhD',
          level: 3,
          tags: ['a'],
          nested: {},
        },
      }),
    );

    expect(value.source_agent).toEqual({
      id: 'neuroscientist',
      role: 'Neuroscientist',
      goal: 'optimise HRV',
      backstory: 'PhD',
    });
  });

  it('refuses a role that is not a string', () => {
    expect(fields(refused(minimal({ source_agent: { id: 'a', role: 5 } })))).toEqual([
      'source_agent.role',
    ]);
  });
});

describe(toCanonicalEvent.name, () => {
  const sut = toCanonicalEvent;

  it('writes the fields in a fixed order whatever the input order', () => {
    const input = {
      performance_metrics: { confidence_score: 0.9 },
      metadata: { m: 1 },
      payload: { p: 1 },
      target_agent: { id: 'coach' },
      source_agent: { id: 'neuroscientist' },
      user_id: 'alice',
      parent_event_id: 'parent',
      session_id: 'session',
      trace_id: 'trace',
      timestamp: '2025-01-24T10:00:00.000Z',
      event_type: 'agent_decision',
      event_id: 'e-1',
    };

    const event = sut(accepted(input), context());

    expect(Object.keys(event)).toEqual([
      'event_id',
      'event_type',
      'timestamp',
      'received_at',
      'trace_id',
      'session_id',
      'parent_event_id',
      'user_id',
      'source_agent',
      'target_agent',
      'payload',
      'metadata',
      'performance_metrics',
    ]);
    expect(JSON.stringify(sut(accepted(input), context()))).toBe(JSON.stringify(event));
  });

  it('keeps the event_id of the input', () => {
    expect(sut(accepted(minimal({ event_id: 'mine' })), context()).event_id).toBe('mine');
  });

  it('generates an event_id when absent', () => {
    const a = sut(accepted(minimal()), context());
    const b = sut(accepted(minimal()), context());

    expect(a.event_id).toMatch(/^generated-\d+$/);
    expect(b.event_id).not.toBe(a.event_id);
  });

  it('defaults timestamp to the time received, and always sets received_at from the server', () => {
    const event = sut(accepted(minimal({ received_at: '1999-01-01T00:00:00.000Z' })), context());

    expect(event.timestamp).toBe(RECEIVED_AT);
    expect(event.received_at).toBe(RECEIVED_AT);
  });

  it('keeps the timestamp of the input', () => {
    expect(
      sut(accepted(minimal({ timestamp: '2025-01-24T10:00:00.000Z' })), context()).timestamp,
    ).toBe('2025-01-24T10:00:00.000Z');
  });

  it('fills payload and metadata with {} and leaves out absent optional fields', () => {
    const event = sut(accepted(minimal()), context());

    expect(event.payload).toEqual({});
    expect(event.metadata).toEqual({});
    expect(Object.keys(event)).toEqual([
      'event_id',
      'event_type',
      'timestamp',
      'received_at',
      'source_agent',
      'payload',
      'metadata',
    ]);
  });

  it('writes the bound user over the user_id of the input', () => {
    expect(sut(accepted(minimal({ user_id: 'mallory' })), context('alice')).user_id).toBe('alice');
    expect(sut(accepted(minimal()), context('alice')).user_id).toBe('alice');
  });

  it('keeps the input user_id when the credential is not bound', () => {
    expect(sut(accepted(minimal({ user_id: 'alice' })), context()).user_id).toBe('alice');
  });

  it('drops unknown top-level fields, including stream_id', () => {
    const event = sut(
      accepted(minimal({ surprise: 1, stream_id: '1-0', __proto_hack: { x: 1 } })),
      context(),
    );

    expect(event).not.toHaveProperty('surprise');
    expect(event).not.toHaveProperty('stream_id');
    expect(event).not.toHaveProperty('__proto_hack');
  });

  it('drops unknown performance_metrics fields', () => {
    const event = sut(
      accepted(minimal({ performance_metrics: { confidence_score: 0.5, bogus: 1 } })),
      context(),
    );

    expect(event.performance_metrics).toEqual({ confidence_score: 0.5 });
  });

  it('gives an event that isStoredEvent accepts after a JSON round trip', () => {
    const event = sut(
      accepted(minimal({ user_id: 'alice', performance_metrics: { latency_ms: 3 } })),
      context(),
    );

    expect(isStoredEvent(JSON.parse(JSON.stringify(event)))).toBe(true);
  });
});

describe(isStoredEvent.name, () => {
  const sut = isStoredEvent;
  const stored = {
    event_id: 'e',
    event_type: 'llm_call',
    timestamp: RECEIVED_AT,
    received_at: RECEIVED_AT,
    source_agent: { id: 'a' },
    payload: {},
    metadata: {},
  };

  it('accepts a stored event', () => {
    expect(sut(stored)).toBe(true);
  });

  it.each([
    ['null', null],
    ['a string', '{"event_id":"e"}'],
    ['an array', [stored]],
    ['no event_id', { ...stored, event_id: undefined }],
    ['a numeric event_type', { ...stored, event_type: 3 }],
    ['no source_agent', { ...stored, source_agent: undefined }],
    ['a source_agent without id', { ...stored, source_agent: { role: 'x' } }],
    ['a numeric user_id', { ...stored, user_id: 5 }],
    ['array performance_metrics', { ...stored, performance_metrics: [1] }],
  ])('refuses %s', (_label, value) => {
    expect(sut(value)).toBe(false);
  });
});

describe(nestingDepth.name, () => {
  const sut = nestingDepth;

  it('measures a 100,000-deep array without overflowing the stack', () => {
    let deep: unknown[] = [];
    for (let i = 0; i < 100_000; i += 1) deep = [deep];

    expect(sut(deep, Number.POSITIVE_INFINITY)).toBe(100_001);
    expect(sut(deep, 32)).toBe(33);
  });

  it('refuses a 100,000-deep payload without throwing', () => {
    let deep: unknown[] = [];
    for (let i = 0; i < 100_000; i += 1) deep = [deep];

    expect(fields(refused(minimal({ payload: { deep } })))).toEqual(['payload']);
  });

  it('gives 0 for scalars and 1 for a flat object', () => {
    expect(sut('x', 32)).toBe(0);
    expect(sut(null, 32)).toBe(0);
    expect(sut({ a: 1, b: 'x' }, 32)).toBe(1);
  });
});
