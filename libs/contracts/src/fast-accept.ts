import { EVENT_LIMITS } from './agent-event';
import type { AgentEventDto, AgentRefDto, PerformanceMetricsDto } from './event.dto';
import { isEventType } from './event-types';
import { isRfc3339DateTime, nestingDepth } from './validators';

/**
 * The ingest hot path's shortcut past class-validator: `true` only when every rule the
 * decorators of {@link AgentEventDto} declare certainly holds. It never produces an error
 * message: when it answers `false` (a bad event, or an edge case it does not try to decide, such
 * as strings made of Unicode variation selectors), `parseEvent` runs class-validator as before,
 * which decides and words every error. The DTO stays the one source of the rules; the unit tests
 * (fast-accept.spec.ts) check on generated inputs that this never accepts what class-validator
 * refuses.
 *
 * Why: class-validator walks its metadata storage, builds constraint objects and error arrays
 * for every property of every event; that was about a sixth of ingest's CPU time under load
 * (docs/performance.md, P1).
 */
export function certainlyValid(dto: AgentEventDto): boolean {
  return (
    optionalLength(dto.event_id, EVENT_LIMITS.idMaxLength) &&
    isEventType(dto.event_type) &&
    (absent(dto.timestamp) || commonTimestamp(dto.timestamp)) &&
    optionalMax(dto.trace_id, EVENT_LIMITS.idMaxLength) &&
    optionalMax(dto.session_id, EVENT_LIMITS.idMaxLength) &&
    optionalMax(dto.parent_event_id, EVENT_LIMITS.idMaxLength) &&
    optionalMax(dto.user_id, EVENT_LIMITS.idMaxLength) &&
    dto.source_agent !== undefined &&
    dto.source_agent !== null &&
    agentValid(dto.source_agent) &&
    (absent(dto.target_agent) || agentValid(dto.target_agent)) &&
    optionalObject(dto.payload) &&
    optionalObject(dto.metadata) &&
    (absent(dto.performance_metrics) || metricsValid(dto.performance_metrics))
  );
}

/**
 * `@IsRfc3339DateTime()` for the form nearly every client sends (`2025-01-24T10:30:00.000Z`, or
 * with `±hh:mm`), years 1900–2999; anything else goes to the full check.
 */
const COMMON_TIMESTAMP =
  /^((?:19|2\d)\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function commonTimestamp(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const match = COMMON_TIMESTAMP.exec(value);
  if (!match) return isRfc3339DateTime(value);
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]);
}

/** `@IsOptional()`: null and undefined skip every other rule of the property. */
function absent(value: unknown): value is null | undefined {
  return value === undefined || value === null;
}

/**
 * `@IsString() @CodePoints(1, max)` when present. A string has at most as many code points as
 * code units, so one of 1..max code units is within the rule.
 */
function optionalLength(value: unknown, max: number): boolean {
  if (absent(value)) return true;
  return typeof value === 'string' && value.length >= 1 && value.length <= max;
}

/** `@IsString() @CodePoints(0, max)` when present. */
function optionalMax(value: unknown, max: number): boolean {
  return absent(value) || (typeof value === 'string' && value.length <= max);
}

/** `@IsObject() @MaxNestingDepth(limit)` when present. */
function optionalObject(value: unknown): boolean {
  if (absent(value)) return true;
  return (
    typeof value === 'object' &&
    !Array.isArray(value) &&
    nestingDepth(value, EVENT_LIMITS.maxNestingDepth) <= EVENT_LIMITS.maxNestingDepth
  );
}

function agentValid(agent: AgentRefDto): boolean {
  return (
    typeof agent.id === 'string' &&
    agent.id.length >= 1 &&
    agent.id.length <= EVENT_LIMITS.idMaxLength &&
    optionalMax(agent.role, EVENT_LIMITS.roleMaxLength)
  );
}

/** `@IsNumber()` (finite) with `@Min`/`@Max`, or `@IsInt() @Min(0)`, when present. */
function number(value: unknown, min: number, max = Number.POSITIVE_INFINITY): boolean {
  return (
    absent(value) ||
    (typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max)
  );
}

function integer(value: unknown): boolean {
  return absent(value) || (Number.isInteger(value) && (value as number) >= 0);
}

function metricsValid(m: PerformanceMetricsDto): boolean {
  return (
    number(m.latency_ms, 0) &&
    number(m.token_cost, 0) &&
    (absent(m.success) || typeof m.success === 'boolean') &&
    number(m.confidence_score, 0, 1) &&
    integer(m.tokens_used) &&
    integer(m.input_tokens) &&
    integer(m.output_tokens) &&
    optionalMax(m.model, EVENT_LIMITS.modelMaxLength) &&
    number(m.memory_usage_mb, 0) &&
    number(m.cpu_percentage, 0, 100) &&
    optionalMax(m.error_type, EVENT_LIMITS.errorTypeMaxLength)
  );
}
