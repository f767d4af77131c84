/**
 * Every field of the agent event (CONTRACT §1) with a value of the wrong JSON type, and the
 * message that must come back: the type, never a range or length rule the value also fails.
 * Shared by the unit spec of the validator and the HTTP/OTLP/gRPC integration tests.
 */
export interface WrongTypeCase {
  /** Dotted path of the field, as error details name it. */
  field: string;
  /** The value sent. */
  value: unknown;
  /** A piece of the message that must be there. */
  says: string;
}

const STRINGS = ['event_id', 'trace_id', 'session_id', 'parent_event_id', 'user_id'];
const NUMBERS = [
  'latency_ms',
  'token_cost',
  'confidence_score',
  'memory_usage_mb',
  'cpu_percentage',
];
const INTEGERS = ['tokens_used', 'input_tokens', 'output_tokens'];

export const WRONG_TYPE_CASES: WrongTypeCase[] = [
  { field: 'event_type', value: 7, says: 'event_type must be a string, not a number' },
  { field: 'timestamp', value: 1732441800000, says: 'timestamp must be a string, not a number' },
  ...STRINGS.map((field) => ({
    field,
    value: 42,
    says: `${field} must be a string, not a number`,
  })),
  ...STRINGS.map((field) => ({
    field,
    value: [],
    says: `${field} must be a string, not an array`,
  })),
  { field: 'source_agent', value: 'neuroscientist', says: 'source_agent must be a JSON object' },
  { field: 'source_agent.id', value: 5, says: 'source_agent.id must be a string, not a number' },
  {
    field: 'source_agent.role',
    value: true,
    says: 'source_agent.role must be a string, not a boolean',
  },
  { field: 'target_agent', value: 'x', says: 'target_agent must be a JSON object' },
  { field: 'target_agent.id', value: {}, says: 'target_agent.id must be a string, not an object' },
  { field: 'payload', value: 'text', says: 'payload must be a JSON object, not a string' },
  { field: 'payload', value: [1], says: 'payload must be a JSON object, not an array' },
  { field: 'metadata', value: 3, says: 'metadata must be a JSON object, not a number' },
  {
    field: 'performance_metrics',
    value: [],
    says: 'performance_metrics must be a JSON object, not an array',
  },
  ...NUMBERS.map((name) => ({
    field: `performance_metrics.${name}`,
    value: '0.9',
    says: `performance_metrics.${name} must be a number, not a string`,
  })),
  ...NUMBERS.map((name) => ({
    field: `performance_metrics.${name}`,
    value: false,
    says: `performance_metrics.${name} must be a number, not a boolean`,
  })),
  ...INTEGERS.map((name) => ({
    field: `performance_metrics.${name}`,
    value: '512',
    says: `performance_metrics.${name} must be an integer, not a string`,
  })),
  ...INTEGERS.map((name) => ({
    field: `performance_metrics.${name}`,
    value: 1.5,
    says: `performance_metrics.${name} must be a whole number (an integer), not 1.5`,
  })),
  {
    field: 'performance_metrics.success',
    value: 'true',
    says: 'performance_metrics.success must be true or false (a boolean), not a string',
  },
  {
    field: 'performance_metrics.model',
    value: 4,
    says: 'performance_metrics.model must be a string, not a number',
  },
  {
    field: 'performance_metrics.error_type',
    value: { code: 1 },
    says: 'performance_metrics.error_type must be a string, not an object',
  },
];

/** A valid event with `field` (a dotted path) set to `value`. */
export function eventWith(field: string, value: unknown): Record<string, unknown> {
  const event: Record<string, unknown> = {
    event_type: 'llm_call',
    source_agent: { id: 'neuroscientist' },
    target_agent: { id: 'critic' },
    performance_metrics: { latency_ms: 12 },
  };
  const [head, tail] = field.split('.');
  if (tail === undefined) event[head] = value;
  else event[head] = { ...(event[head] as Record<string, unknown>), [tail]: value };
  return event;
}
