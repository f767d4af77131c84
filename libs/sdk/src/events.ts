import { isEventType, LIMITS } from './event-types';
import type { EventType } from './event-types';
import type {
  AgentInput,
  AgentRef,
  AurenEvent,
  AurenEventInput,
  PerformanceMetrics,
} from './types';

/** Options every track* call takes. Ids left out come from the agent's current run. */
export interface TrackOptions {
  sessionId?: string;
  traceId?: string;
  parentEventId?: string;
  /** Your own idempotency key; a UUID is generated otherwise. */
  eventId?: string;
  timestamp?: string | Date;
  userId?: string;
  targetAgent?: AgentInput | null;
  /** Extra payload fields, merged under the ones the call sets. */
  payload?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  /** Extra performance metrics; they override what the call computed. */
  metrics?: PerformanceMetrics;
  /** 0..1, becomes `performance_metrics.confidence_score`. */
  confidence?: number;
}

/** Ids an event inherits from the run its agent is in. */
export interface RunContext {
  sessionId?: string;
  traceId?: string;
  parentEventId?: string;
}

export interface EventParts {
  eventType: EventType;
  agent: AgentInput;
  payload?: Record<string, unknown>;
  metrics?: PerformanceMetrics;
}

export function agentRef(agent: AgentInput): AgentRef {
  return typeof agent === 'string' ? { id: agent } : { ...agent };
}

/** Drops keys whose value is undefined, so that the JSON carries only what was set. */
export function compact<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as T;
}

/** An Error (or anything thrown) as `{type, message}`. */
export function describeError(error: unknown): { type: string; message: string } {
  if (error instanceof Error) return { type: error.name || 'Error', message: error.message };
  return { type: 'Error', message: typeof error === 'string' ? error : JSON.stringify(error) };
}

/** Builds a contract-valid event (CONTRACT §1): snake_case, event_id and timestamp set. */
export function buildEvent(
  parts: EventParts,
  options: TrackOptions,
  run: RunContext,
  newId: () => string,
  defaults: { userId?: string; metadata?: Record<string, unknown> } = {},
): AurenEvent {
  const metrics = compact({
    ...parts.metrics,
    confidence_score: options.confidence,
    ...options.metrics,
  });
  const timestamp =
    options.timestamp instanceof Date
      ? options.timestamp.toISOString()
      : (options.timestamp ?? new Date().toISOString());
  return compact<AurenEvent>({
    event_id: options.eventId ?? newId(),
    event_type: parts.eventType,
    timestamp,
    trace_id: options.traceId ?? run.traceId,
    session_id: options.sessionId ?? run.sessionId,
    parent_event_id: options.parentEventId ?? run.parentEventId,
    user_id: options.userId ?? defaults.userId,
    source_agent: agentRef(parts.agent),
    target_agent:
      options.targetAgent === undefined
        ? undefined
        : options.targetAgent === null
          ? null
          : agentRef(options.targetAgent),
    payload: { ...options.payload, ...compact(parts.payload ?? {}) },
    metadata: { ...defaults.metadata, ...options.metadata },
    performance_metrics: Object.keys(metrics).length > 0 ? metrics : undefined,
  });
}

/** Fills in what `send()` may leave out. */
export function completeEvent(input: AurenEventInput, newId: () => string): AurenEvent {
  return {
    ...input,
    event_id: input.event_id ?? newId(),
    timestamp: input.timestamp ?? new Date().toISOString(),
    payload: input.payload ?? {},
    metadata: input.metadata ?? {},
  };
}

/**
 * The checks worth doing before buffering: what would make the ingest refuse the whole batch the
 * event travels in. Returns the problem, or undefined. The ingest still validates everything.
 */
export function checkEvent(event: AurenEvent): string | undefined {
  if (!isEventType(event.event_type)) {
    return `event_type ${JSON.stringify(event.event_type)} is not a known type nor custom.<name>`;
  }
  const id = event.source_agent?.id;
  if (typeof id !== 'string' || id.length < 1 || id.length > LIMITS.idMaxLength) {
    return `source_agent.id must be a string of 1..${LIMITS.idMaxLength} characters`;
  }
  if (
    typeof event.event_id !== 'string' ||
    event.event_id.length < 1 ||
    event.event_id.length > LIMITS.idMaxLength
  ) {
    return `event_id must be a string of 1..${LIMITS.idMaxLength} characters`;
  }
  return undefined;
}
