/** One stored event as the queries return it. */
export interface EventRecord {
  eventId: string;
  eventType: string;
  /** The time the history files the event under (its `timestamp`, see event-rows.ts), ISO 8601 UTC with microseconds. */
  timestamp: string;
  receivedAt: string;
  streamId: string;
  agentId: string;
  targetAgentId: string | null;
  userId: string | null;
  traceId: string | null;
  sessionId: string | null;
  parentEventId: string | null;
  model: string | null;
  success: boolean | null;
  latencyMs: number | null;
  confidence: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  tokens: number | null;
  cost: number | null;
  errorType: string | null;
  /** The event as it was streamed (JSON). */
  raw: Record<string, unknown>;
}

const ISO_US = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

/**
 * The SELECT list that {@link toEventRecord} reads (times as exact UTC text). Its aliases differ
 * from the column names: an `ORDER BY ts` must sort on the indexed column, not on this text.
 */
export const EVENT_SELECT = `to_char(ts AT TIME ZONE 'UTC', ${ISO_US}) AS ts_iso, event_id,
  to_char(received_at AT TIME ZONE 'UTC', ${ISO_US}) AS received_iso, stream_id, event_type,
  agent_id, target_agent_id, user_id, trace_id, session_id, parent_event_id, model, success,
  latency_ms, confidence, input_tokens, output_tokens, tokens, cost, error_type, body`;

export type EventSqlRow = Record<string, unknown>;

/** `pg` returns bigint as a string, PGlite as a number: both become numbers (or null). */
export function numberOrNull(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** A timestamptz as a Date (`pg` and PGlite both parse it; a string is parsed here). */
export function asDate(value: unknown): Date | null {
  if (value instanceof Date) return value;
  if (typeof value === 'string' || typeof value === 'number') return new Date(value);
  return null;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

export function toEventRecord(row: EventSqlRow): EventRecord {
  const body = typeof row.body === 'string' ? (JSON.parse(row.body) as unknown) : row.body;
  return {
    eventId: String(row.event_id),
    eventType: String(row.event_type),
    timestamp: String(row.ts_iso),
    receivedAt: String(row.received_iso),
    streamId: String(row.stream_id),
    agentId: String(row.agent_id),
    targetAgentId: text(row.target_agent_id),
    userId: text(row.user_id),
    traceId: text(row.trace_id),
    sessionId: text(row.session_id),
    parentEventId: text(row.parent_event_id),
    model: text(row.model),
    success: typeof row.success === 'boolean' ? row.success : null,
    latencyMs: numberOrNull(row.latency_ms),
    confidence: numberOrNull(row.confidence),
    inputTokens: numberOrNull(row.input_tokens),
    outputTokens: numberOrNull(row.output_tokens),
    tokens: numberOrNull(row.tokens),
    cost: numberOrNull(row.cost),
    errorType: text(row.error_type),
    raw: (body ?? {}) as Record<string, unknown>,
  };
}
