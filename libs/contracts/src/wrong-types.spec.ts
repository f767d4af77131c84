import { eventWith, WRONG_TYPE_CASES } from '../../../test/harness/wrong-types';
import { parseEvent, toCanonicalEvent } from './validate-event';

describe('parseEvent on values of the wrong JSON type', () => {
  it.each(WRONG_TYPE_CASES)('$field = $value says "$says"', ({ field, value, says }) => {
    const result = parseEvent(eventWith(field, value));

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([{ field, message: expect.stringContaining(says) }]);
  });

  it('names the type, not the range, for "confidence_score": "0.9"', () => {
    const result = parseEvent(eventWith('performance_metrics.confidence_score', '0.9'));

    expect(result.ok ? [] : result.errors.map((e) => e.message)).toEqual([
      'performance_metrics.confidence_score must be a number, not a string',
    ]);
  });

  it('says a required field is required when it is null', () => {
    const result = parseEvent(eventWith('event_type', null));

    expect(result.ok ? [] : result.errors).toEqual([
      { field: 'event_type', message: 'event_type is required' },
    ]);
  });

  it.each([
    'event_id',
    'timestamp',
    'trace_id',
    'user_id',
    'target_agent',
    'payload',
    'metadata',
    'performance_metrics',
    'performance_metrics.confidence_score',
    'performance_metrics.tokens_used',
    'source_agent.role',
  ])('treats null as absent for the optional field %s, and stores no null', (field) => {
    const result = parseEvent(eventWith(field, null));

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    // Nothing null reaches the canonical event.
    const event = toCanonicalEvent(result.value, {
      receivedAt: '2025-01-24T10:30:00.000Z',
      newEventId: () => 'id',
    });
    expect(JSON.stringify(event)).not.toContain('null');
  });

  it('keeps the range message for a number of the right type', () => {
    const result = parseEvent(eventWith('performance_metrics.confidence_score', 1.5));

    expect(result.ok ? [] : result.errors.map((e) => e.message)).toEqual([
      'performance_metrics.confidence_score must not be greater than 1',
    ]);
  });
});

describe('lengths and timestamps as the OpenAPI document states them', () => {
  it('counts string lengths in code points (JSON Schema maxLength)', () => {
    expect(parseEvent(eventWith('event_id', '😀'.repeat(128))).ok).toBe(true);
    expect(parseEvent(eventWith('event_id', '😀'.repeat(129))).ok).toBe(false);
    expect(parseEvent(eventWith('trace_id', '\ufe0f'.repeat(129))).ok).toBe(false);
    expect(parseEvent(eventWith('event_id', '\ufe0f')).ok).toBe(true);
  });

  it.each([
    '2025-01-24T10:30:00Z',
    '2025-01-24t10:30:00.5z',
    '0001-01-01T00:00:00+14:00',
    '2024-02-29T23:59:59.123456789-05:30',
  ])('accepts the RFC 3339 date-time %s', (timestamp) => {
    expect(parseEvent(eventWith('timestamp', timestamp)).ok).toBe(true);
  });

  it.each([
    '2025-01-24',
    '2025-01-24T10:30:00',
    '2025-01-24 10:30:00Z',
    '2023-02-29T00:00:00Z',
    '2025-01-24T10:30:60Z',
    '2025-01-24T10:30:00+0200',
  ])('refuses %s, which is not an RFC 3339 date-time', (timestamp) => {
    const result = parseEvent(eventWith('timestamp', timestamp));
    expect(result.ok ? [] : result.errors.map((e) => e.message)).toEqual([
      expect.stringContaining('timestamp must be an RFC 3339 date-time'),
    ]);
  });
});
