import type { EventType, PerformanceMetrics, StreamedEvent } from '@auren/contracts';

/** Event factory for the specs and the bench (not exported from the library). */

export interface TestEventFields {
  agent?: string;
  type?: EventType;
  user?: string;
  metrics?: PerformanceMetrics;
  payload?: Record<string, unknown>;
  id?: string;
}

let sequence = 0;

/** An event at stream time `ms` (its stream ID is `<ms>-<n>`, n increasing per call). */
export function testEvent(ms: number, fields: TestEventFields = {}): StreamedEvent {
  sequence += 1;
  const time = new Date(ms).toISOString();
  const event: StreamedEvent = {
    event_id: fields.id ?? `e${sequence}`,
    event_type: fields.type ?? 'llm_call',
    timestamp: time,
    received_at: time,
    source_agent: { id: fields.agent ?? 'agent-a' },
    payload: fields.payload ?? {},
    metadata: {},
    stream_id: `${ms}-${sequence}`,
  };
  if (fields.user !== undefined) event.user_id = fields.user;
  if (fields.metrics !== undefined) event.performance_metrics = fields.metrics;
  return event;
}

/** Deterministic pseudo-random numbers in [0, 1) (xorshift32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
}
