import {
  eventLine,
  keyFields,
  listValues,
  matchesFilter,
  redactUrl,
  timeOfDay,
} from './event-line';

describe('eventLine', () => {
  it('shows time, position, type, agent, the key fields and the event id', () => {
    const line = eventLine({
      event_id: 'evt-1',
      event_type: 'llm_call',
      timestamp: '2024-11-24T09:39:22.000Z',
      source_agent: { id: 'neuroscientist' },
      performance_metrics: {
        model: 'gpt-4o',
        latency_ms: 820.4,
        tokens_used: 1200,
        token_cost: 0.004,
        confidence_score: 0.91,
      },
      stream_id: '1732441762000-0',
    });

    expect(line).toBe(
      '09:39:22.000Z 1732441762000-0 llm_call neuroscientist model=gpt-4o latency=820ms tokens=1200 cost=$0.0040 conf=0.91 id=evt-1',
    );
  });

  it('takes the position it is given over the stream_id, and shows the target agent', () => {
    const line = eventLine(
      {
        event_type: 'agent_collaboration',
        source_agent: { id: 'coach' },
        target_agent: { id: 'nutritionist' },
        payload: { collaborating_agents: ['nutritionist', 'sleep', 7], consensus_reached: false },
      },
      '2-17',
    );

    expect(line).toBe(
      '--:--:--.---Z 2-17 agent_collaboration coach->nutritionist with=nutritionist,sleep consensus=no id=?',
    );
  });

  it.each([
    [
      { event_type: 'memory_tier_access', payload: { tier: 'redis', operation: 'get', hit: true } },
      ['tier=redis', 'op=get', 'hit=yes'],
    ],
    [
      {
        event_type: 'tool_usage',
        payload: { tool_name: 'calc' },
        performance_metrics: { success: false, error_type: 'Timeout' },
        user_id: 'alice',
      },
      ['tool=calc', 'FAILED', 'error=Timeout', 'user=alice'],
    ],
    [
      { event_type: 'llm_call', performance_metrics: { input_tokens: 10, output_tokens: 5 } },
      ['tokens=15'],
    ],
    [{ event_type: 'custom.x', payload: 'not an object', performance_metrics: [] }, []],
  ])('key fields of %j', (event, fields) => {
    expect(keyFields(event)).toEqual(fields);
  });

  it('keeps a timestamp it cannot parse as it is', () => {
    expect(timeOfDay('yesterday')).toBe('yesterday');
  });
});

describe('filters', () => {
  const event = { event_type: 'custom.sleep_score', source_agent: { id: 'sleep_analyst' } };

  it('reads repeated and comma-separated values, trimmed and without repeats', () => {
    expect(listValues(['a, b', 'c', 'a', ' '])).toEqual(['a', 'b', 'c']);
    expect(listValues(undefined)).toEqual([]);
  });

  it.each([
    [{ agents: [], types: [] }, true],
    [{ agents: ['sleep_analyst'], types: [] }, true],
    [{ agents: ['coach'], types: [] }, false],
    [{ agents: [], types: ['custom.*'] }, true],
    [{ agents: [], types: ['custom.sleep'] }, false],
    [{ agents: ['sleep_analyst'], types: ['llm_call', 'custom.sleep_score'] }, true],
  ])('%j lets it through: %s', (filter, expected) => {
    expect(matchesFilter(event, filter)).toBe(expected);
  });
});

describe('redactUrl', () => {
  it.each([
    ['redis://user:secret@10.0.0.5:6379/0', 'redis://user:***@10.0.0.5:6379/0'],
    ['redis://:secret@localhost:6379', 'redis://:***@localhost:6379'],
    ['rediss://token@cache.example.com:6380', 'rediss://***@cache.example.com:6380'],
    ['http://127.0.0.1:8765', 'http://127.0.0.1:8765'],
  ])('%s -> %s', (raw, shown) => {
    expect(redactUrl(raw)).toBe(shown);
  });
});
