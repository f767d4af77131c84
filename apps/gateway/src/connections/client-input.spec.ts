import { SUBSCRIPTIONS } from '@auren/contracts';
import {
  parseAgentFilter,
  parseHandshake,
  parseRecentRequest,
  parseSubscription,
  parseThreshold,
  type Parsed,
} from './client-input';

function value<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw new Error(`expected success, got "${parsed.message}"`);
  return parsed.value;
}

function message<T>(parsed: Parsed<T>): string {
  if (parsed.ok) throw new Error(`expected a refusal, got ${JSON.stringify(parsed.value)}`);
  return parsed.message;
}

describe(parseHandshake.name, () => {
  const sut = parseHandshake;

  it('defaults to all agents, no threshold, all_events and no resume', () => {
    expect(value(sut({}))).toEqual({
      agentFilter: [],
      threshold: 0,
      subscriptions: ['all_events'],
      resumeFrom: undefined,
      delivery: 'event',
    });
  });

  it('reads the example handshake of CONTRACT §4', () => {
    const parsed = value(
      sut({
        token: 'test-token-123',
        agent_filter: ['neuroscientist', 'training_coach'],
        performance_threshold: 0.8,
        subscriptions: ['all_events'],
        resume_from: '1732441800000-0',
      }),
    );

    expect(parsed).toEqual({
      agentFilter: ['neuroscientist', 'training_coach'],
      threshold: 0.8,
      subscriptions: ['all_events'],
      resumeFrom: '1732441800000-0',
      delivery: 'event',
    });
  });

  it('treats null fields as absent', () => {
    expect(
      value(
        sut({
          agent_filter: null,
          performance_threshold: null,
          subscriptions: null,
          resume_from: null,
          delivery: null,
        }),
      ),
    ).toEqual({
      agentFilter: [],
      threshold: 0,
      subscriptions: ['all_events'],
      resumeFrom: undefined,
      delivery: 'event',
    });
  });

  it("takes delivery 'batch' and refuses any other mode, naming the field", () => {
    expect(value(sut({ delivery: 'batch' })).delivery).toBe('batch');
    expect(value(sut({ delivery: 'event' })).delivery).toBe('event');
    expect(message(sut({ delivery: 'bulk' }))).toBe(
      'delivery must be one of event, batch (got "bulk")',
    );
    expect(message(sut({ delivery: true }))).toContain('delivery must be one of');
  });

  it('keeps each subscription once, and allows an empty list', () => {
    expect(
      value(sut({ subscriptions: ['llm_usage', 'tool_usage', 'llm_usage'] })).subscriptions,
    ).toEqual(['llm_usage', 'tool_usage']);
    expect(value(sut({ subscriptions: [] })).subscriptions).toEqual([]);
  });

  it('refuses an unknown subscription, naming it', () => {
    expect(message(sut({ subscriptions: ['all_events', 'everything'] }))).toContain('"everything"');
  });

  it('refuses subscriptions that are not an array', () => {
    expect(message(sut({ subscriptions: 'all_events' }))).toContain('subscriptions');
  });

  it('refuses a bad agent_filter or threshold', () => {
    expect(message(sut({ agent_filter: 5 }))).toContain('agent_filter');
    expect(message(sut({ performance_threshold: 2 }))).toContain('performance_threshold');
  });

  it('refuses a resume_from that is not a stream position, and ignores an empty one', () => {
    expect(message(sut({ resume_from: 'yesterday' }))).toContain('resume_from');
    expect(message(sut({ resume_from: 1732441800000 }))).toContain('resume_from');
    expect(value(sut({ resume_from: '' })).resumeFrom).toBeUndefined();
  });
});

describe(parseAgentFilter.name, () => {
  const sut = parseAgentFilter;

  it('gives [] for absent', () => {
    expect(value(sut(undefined))).toEqual([]);
    expect(value(sut(null))).toEqual([]);
  });

  it('keeps each agent once', () => {
    expect(value(sut(['a', 'b', 'a']))).toEqual(['a', 'b']);
  });

  it('splits a comma-separated string', () => {
    expect(value(sut('a, b,,c'))).toEqual(['a', 'b', 'c']);
  });

  it('refuses an entry that is not a 1..128 character string', () => {
    expect(message(sut(['a', 7]))).toContain('1..128');
    expect(message(sut(['']))).toContain('1..128');
    expect(message(sut(['x'.repeat(129)]))).toContain('1..128');
    expect(value(sut(['x'.repeat(128)]))).toEqual(['x'.repeat(128)]);
  });

  it('refuses more than 1000 agents', () => {
    const many = Array.from({ length: 1001 }, (_, i) => `agent-${i}`);

    expect(message(sut(many))).toContain('1000');
    expect(value(sut(many.slice(0, 1000)))).toHaveLength(1000);
  });

  it('names the field it was given', () => {
    expect(message(sut({}, 'filter.agent_filter'))).toContain('filter.agent_filter');
  });
});

describe(parseThreshold.name, () => {
  const sut = parseThreshold;

  it.each([[0], [0.5], [1]])('accepts %p', (threshold) => {
    expect(value(sut(threshold))).toBe(threshold);
  });

  it('gives 0 for absent', () => {
    expect(value(sut(undefined))).toBe(0);
  });

  it.each([[-0.1], [1.01], [Number.NaN], [Number.POSITIVE_INFINITY], ['0.8'], [true]])(
    'refuses %p',
    (threshold) => {
      expect(message(sut(threshold))).toContain('0 to 1');
    },
  );
});

describe(parseSubscription.name, () => {
  const sut = parseSubscription;

  it.each(SUBSCRIPTIONS.map((s) => [s]))('accepts %s', (subscription) => {
    expect(value(sut(subscription))).toBe(subscription);
  });

  it('refuses an unknown one and lists the available ones', () => {
    const text = message(sut('everything'));

    for (const subscription of SUBSCRIPTIONS) expect(text).toContain(subscription);
  });

  it('refuses a non-string', () => {
    expect(sut(['all_events']).ok).toBe(false);
  });
});

describe(parseRecentRequest.name, () => {
  const sut = parseRecentRequest;

  it('defaults to 100 events of all types', () => {
    expect(value(sut(undefined))).toEqual({ limit: 100 });
    expect(value(sut({}))).toEqual({ limit: 100 });
  });

  it('accepts 1 and 1000', () => {
    expect(value(sut({ limit: 1 })).limit).toBe(1);
    expect(value(sut({ limit: 1000 })).limit).toBe(1000);
  });

  it.each([[0], [1001], [1_000_000], [-5], [2.5], ['10']])('refuses limit %p', (limit) => {
    expect(message(sut({ limit }))).toContain('limit');
  });

  it('reads event_types into a set', () => {
    expect(value(sut({ event_types: ['llm_call', 'custom.x', 'llm_call'] })).eventTypes).toEqual(
      new Set(['llm_call', 'custom.x']),
    );
  });

  it('refuses unknown event types and a non-array', () => {
    expect(message(sut({ event_types: ['llm_call', 'bogus'] }))).toContain('event_types');
    expect(message(sut({ event_types: 'llm_call' }))).toContain('event_types');
  });

  it('refuses a body that is not an object', () => {
    expect(sut(42).ok).toBe(false);
    expect(sut('limit=5').ok).toBe(false);
  });
});
