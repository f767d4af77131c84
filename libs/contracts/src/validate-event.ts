import { validateSync, ValidationError } from 'class-validator';
import type { AgentEvent, AgentRef, PerformanceMetrics } from './agent-event';
import { EVENT_LIMITS } from './agent-event';
import { AgentEventDto, AgentRefDto, PerformanceMetricsDto } from './event.dto';
import { certainlyValid } from './fast-accept';
import { codePointLength } from './validators';
import type { EventType } from './event-types';

/** One reason an event was refused: the field (dotted path) and why. */
export interface FieldError {
  field: string;
  message: string;
  /** Position in a batch, when the event came in one. */
  index?: number;
}

/** An input event that passed validation, with agent references kept whole. */
export interface ValidEvent {
  dto: AgentEventDto;
  source_agent: AgentRef;
  target_agent: AgentRef | null;
}

export type ParseResult = { ok: true; value: ValidEvent } | { ok: false; errors: FieldError[] };

const METRIC_FIELDS: ReadonlyArray<keyof PerformanceMetrics> = [
  'latency_ms',
  'token_cost',
  'success',
  'confidence_score',
  'tokens_used',
  'input_tokens',
  'output_tokens',
  'model',
  'memory_usage_mb',
  'cpu_percentage',
  'error_type',
];

const SCALAR_FIELDS = [
  'event_id',
  'event_type',
  'timestamp',
  'trace_id',
  'session_id',
  'parent_event_id',
  'user_id',
  'payload',
  'metadata',
] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Builds the agent reference: `id` and `role` go through class-validator, the other string
 * fields are kept (CONTRACT §1), non-string extras are dropped (documented in docs/ingest.md).
 */
function readAgent(
  raw: Record<string, unknown>,
  field: string,
  errors: FieldError[],
): [AgentRefDto, AgentRef] {
  const dto = Object.assign(new AgentRefDto(), { id: raw.id, role: raw.role });
  const full: AgentRef = { id: raw.id as string };
  if (raw.role !== undefined && raw.role !== null) full.role = raw.role as string;
  let extras = 0;
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'id' || key === 'role' || typeof value !== 'string') continue;
    extras += 1;
    if (codePointLength(value) > EVENT_LIMITS.agentExtraFieldMaxLength) {
      errors.push({
        field: `${field}.${key}`,
        message: `${field}.${key} must be at most ${EVENT_LIMITS.agentExtraFieldMaxLength} characters`,
      });
    }
    full[key] = value;
  }
  if (extras > EVENT_LIMITS.agentExtraFieldsMax) {
    errors.push({
      field,
      message: `${field} has more than ${EVENT_LIMITS.agentExtraFieldsMax} extra fields`,
    });
  }
  return [dto, full];
}

/** The JSON type of a value, as a message names it: `a string`, `null`, `an array`. */
export function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

/**
 * Type constraints, and what each says. A value of the wrong JSON type fails its range and
 * length rules too (`"0.9"` is "not less than 0" and "not greater than 1" for class-validator);
 * the type is what to fix, so a type failure is the one reported.
 */
const TYPE_RULES: Record<string, (value: unknown) => string> = {
  isDefined: () => 'is required',
  isString: (value) => `must be a string, not ${jsonTypeOf(value)}`,
  isNumber: (value) =>
    typeof value === 'number'
      ? 'must be a finite number'
      : `must be a number, not ${jsonTypeOf(value)}`,
  isInt: (value) =>
    typeof value === 'number'
      ? `must be a whole number (an integer), not ${value}`
      : `must be an integer, not ${jsonTypeOf(value)}`,
  isBoolean: (value) => `must be true or false (a boolean), not ${jsonTypeOf(value)}`,
  isObject: (value) => `must be a JSON object, not ${jsonTypeOf(value)}`,
};

function messageOf(error: ValidationError, field: string): string {
  const constraints = error.constraints ?? {};
  for (const [name, describe] of Object.entries(TYPE_RULES)) {
    if (constraints[name] !== undefined) return `${field} ${describe(error.value)}`;
  }
  // One message per field is enough to fix it.
  const message = Object.values(constraints)[0] ?? 'is invalid';
  return message.startsWith(error.property)
    ? field + message.slice(error.property.length)
    : `${field} ${message}`;
}

function flatten(errors: ValidationError[], prefix: string, out: FieldError[]): void {
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    if (error.constraints) out.push({ field, message: messageOf(error, field) });
    if (error.children?.length) flatten(error.children, field, out);
  }
}

/** Validates one event as received (CONTRACT §1). Pure and synchronous; never throws. */
export function parseEvent(input: unknown): ParseResult {
  if (!isPlainObject(input)) {
    return {
      ok: false,
      errors: [
        { field: '(body)', message: `an event must be a JSON object, not ${jsonTypeOf(input)}` },
      ],
    };
  }
  const errors: FieldError[] = [];
  const dto = new AgentEventDto();
  // null is absent for every optional field (docs/ingest.md): it is neither checked nor stored.
  for (const key of SCALAR_FIELDS) {
    const value = input[key];
    if (value !== undefined && value !== null) {
      (dto as unknown as Record<string, unknown>)[key] = value;
    }
  }

  let source: AgentRef = { id: '' };
  if (input.source_agent === undefined || input.source_agent === null) {
    errors.push({ field: 'source_agent.id', message: 'source_agent.id is required' });
  } else if (!isPlainObject(input.source_agent)) {
    errors.push({
      field: 'source_agent',
      message: `source_agent must be a JSON object with an id, not ${jsonTypeOf(input.source_agent)}`,
    });
  } else {
    [dto.source_agent, source] = readAgent(input.source_agent, 'source_agent', errors);
  }

  let target: AgentRef | null = null;
  if (input.target_agent !== undefined && input.target_agent !== null) {
    if (!isPlainObject(input.target_agent)) {
      errors.push({
        field: 'target_agent',
        message: `target_agent must be a JSON object with an id, or null, not ${jsonTypeOf(input.target_agent)}`,
      });
    } else {
      [dto.target_agent, target] = readAgent(input.target_agent, 'target_agent', errors);
    }
  }

  if (input.performance_metrics !== undefined && input.performance_metrics !== null) {
    if (!isPlainObject(input.performance_metrics)) {
      errors.push({
        field: 'performance_metrics',
        message: `performance_metrics must be a JSON object, not ${jsonTypeOf(input.performance_metrics)}`,
      });
    } else {
      const metrics = new PerformanceMetricsDto();
      for (const key of METRIC_FIELDS) {
        const value = input.performance_metrics[key];
        if (value !== undefined && value !== null)
          (metrics as Record<string, unknown>)[key] = value;
      }
      dto.performance_metrics = metrics;
    }
  }

  // Most events are valid: a cheap check that the DTO's rules hold skips class-validator; it
  // still decides (and words) everything else.
  if (errors.length === 0 && certainlyValid(dto)) {
    return { ok: true, value: { dto, source_agent: source, target_agent: target } };
  }
  const checked: FieldError[] = [];
  flatten(validateSync(dto, { forbidUnknownValues: false }), '', checked);
  // A missing or non-object source_agent was reported above; @IsDefined would report it again.
  errors.push(
    ...checked.filter((e) => e.field !== 'source_agent' || dto.source_agent !== undefined),
  );
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { dto, source_agent: source, target_agent: target } };
}

export interface CanonicalContext {
  /** ISO time the server received the event. */
  receivedAt: string;
  /** Supplies an id when the event has none. */
  newEventId: () => string;
  /** The user a credential is bound to; overrides the input's `user_id`. */
  boundUserId?: string;
}

/**
 * The canonical event written to the stream, with a fixed field order so that the same input
 * always gives the same JSON.
 */
export function toCanonicalEvent(valid: ValidEvent, ctx: CanonicalContext): AgentEvent {
  const { dto } = valid;
  // Built in the canonical field order (docs/ingest.md; validate-event.spec.ts checks it) in one
  // pass: this runs for every event.
  const event = {
    event_id: dto.event_id ?? ctx.newEventId(),
    event_type: dto.event_type as EventType,
    timestamp: dto.timestamp ?? ctx.receivedAt,
    received_at: ctx.receivedAt,
  } as AgentEvent;
  if (dto.trace_id !== undefined) event.trace_id = dto.trace_id;
  if (dto.session_id !== undefined) event.session_id = dto.session_id;
  if (dto.parent_event_id !== undefined) event.parent_event_id = dto.parent_event_id;
  const userId = ctx.boundUserId ?? dto.user_id;
  if (userId !== undefined) event.user_id = userId;
  event.source_agent = valid.source_agent;
  if (valid.target_agent) event.target_agent = valid.target_agent;
  event.payload = dto.payload ?? {};
  event.metadata = dto.metadata ?? {};
  if (dto.performance_metrics) event.performance_metrics = { ...dto.performance_metrics };
  return event;
}

/**
 * A structural check of what a consumer reads back from the stream: cheap enough for the hot
 * path, strict enough that a hand-written or corrupt record cannot reach a dashboard.
 */
export function isStoredEvent(value: unknown): value is AgentEvent {
  if (!isPlainObject(value)) return false;
  const agent = value.source_agent;
  return (
    typeof value.event_id === 'string' &&
    typeof value.event_type === 'string' &&
    isPlainObject(agent) &&
    typeof agent.id === 'string' &&
    (value.user_id === undefined || typeof value.user_id === 'string') &&
    (value.performance_metrics === undefined || isPlainObject(value.performance_metrics))
  );
}
