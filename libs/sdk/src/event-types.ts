/**
 * Event types the ingest accepts (CONTRACT §1). A copy, so that the published package has no
 * dependency on the monorepo; a unit spec checks it against `@auren/contracts`.
 */
export const EVENT_TYPES = [
  'agent_execution_started',
  'agent_execution_completed',
  'agent_collaboration',
  'agent_decision',
  'llm_call',
  'tool_usage',
  'memory_tier_access',
  'hypothesis_formation',
  'knowledge_access',
  'system_health',
  'performance_metric',
  'conversation_event',
] as const;

export type KnownEventType = (typeof EVENT_TYPES)[number];
export type EventType = KnownEventType | `custom.${string}`;

const KNOWN = new Set<string>(EVENT_TYPES);
const CUSTOM = /^custom\.[A-Za-z0-9_.:-]{1,120}$/;

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (KNOWN.has(value) || CUSTOM.test(value));
}

/** Limits of CONTRACT §1–2 the SDK relies on. */
export const LIMITS = {
  idMaxLength: 128,
  maxBatchSize: 1000,
} as const;
