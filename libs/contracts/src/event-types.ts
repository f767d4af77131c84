/** The nine event types of the original system (CONTRACT §1). */
export const AGENT_EVENT_TYPES = [
  'agent_execution_started',
  'agent_execution_completed',
  'agent_collaboration',
  'agent_decision',
  'llm_call',
  'tool_usage',
  'memory_tier_access',
  'hypothesis_formation',
  'knowledge_access',
] as const;

/** Operational event types accepted beside the agent ones. */
export const SYSTEM_EVENT_TYPES = [
  'system_health',
  'performance_metric',
  'conversation_event',
] as const;

export const KNOWN_EVENT_TYPES = [...AGENT_EVENT_TYPES, ...SYSTEM_EVENT_TYPES] as const;

export type KnownEventType = (typeof KNOWN_EVENT_TYPES)[number];
export type CustomEventType = `custom.${string}`;
export type EventType = KnownEventType | CustomEventType;

export const CUSTOM_EVENT_PREFIX = 'custom.';
/** `custom.` followed by 1..120 characters of letters, digits, `_`, `.`, `:` or `-`. */
export const CUSTOM_EVENT_PATTERN = /^custom\.[A-Za-z0-9_.:-]{1,120}$/;

const KNOWN = new Set<string>(KNOWN_EVENT_TYPES);

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (KNOWN.has(value) || CUSTOM_EVENT_PATTERN.test(value));
}

/** What a 400 for an unknown `event_type` lists. */
export const ALLOWED_EVENT_TYPES_TEXT = `${KNOWN_EVENT_TYPES.join(', ')}, or custom.<name>`;
