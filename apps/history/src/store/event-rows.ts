import type { StreamedEvent } from '@auren/contracts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** One event as the history stores it: the columns queries filter and sum on, and the event. */
export interface EventRow {
  ts: string;
  event_id: string;
  received_at: string;
  stream_id: string;
  event_type: string;
  agent_id: string;
  target_agent_id: string | null;
  user_id: string | null;
  trace_id: string | null;
  session_id: string | null;
  parent_event_id: string | null;
  model: string | null;
  success: boolean | null;
  latency_ms: number | null;
  confidence: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  tokens: number | null;
  cost: number | null;
  error_type: string | null;
  body: string;
}

const num = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;
const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * The time the history files an event under (its partition and rollup buckets): the event's own
 * `timestamp`, unless that is more than an hour after `received_at` or older than the retention
 * window at arrival, in which case `received_at` (a clock far off must not create partitions
 * outside the kept window). The body keeps the timestamp as sent.
 */
export function historyTime(event: StreamedEvent, retentionDays: number): string {
  const received = Date.parse(event.received_at);
  const stamped = Date.parse(event.timestamp);
  if (!Number.isFinite(stamped)) return event.received_at;
  if (Number.isFinite(received)) {
    if (stamped > received + HOUR_MS || stamped < received - retentionDays * DAY_MS)
      return new Date(received).toISOString();
  }
  return new Date(stamped).toISOString();
}

export function toRow(event: StreamedEvent, retentionDays: number): EventRow {
  const metrics = event.performance_metrics ?? {};
  const input = num(metrics.input_tokens);
  const output = num(metrics.output_tokens);
  const used = num(metrics.tokens_used);
  const tokens = used ?? (input !== null || output !== null ? (input ?? 0) + (output ?? 0) : null);
  const body = { ...event };
  // The resume token is a reader's artefact, not part of the event.
  delete (body as { resume_token?: string }).resume_token;
  return {
    ts: historyTime(event, retentionDays),
    event_id: event.event_id,
    received_at: event.received_at,
    stream_id: event.stream_id,
    event_type: event.event_type,
    agent_id: event.source_agent.id,
    target_agent_id: event.target_agent?.id ?? null,
    user_id: event.user_id ?? null,
    trace_id: event.trace_id ?? null,
    session_id: event.session_id ?? null,
    parent_event_id: event.parent_event_id ?? null,
    model: str(metrics.model) ?? str(event.payload?.model),
    success: typeof metrics.success === 'boolean' ? metrics.success : null,
    latency_ms: num(metrics.latency_ms),
    confidence: num(metrics.confidence_score),
    input_tokens: input,
    output_tokens: output,
    tokens,
    cost: num(metrics.token_cost),
    error_type: str(metrics.error_type),
    body: JSON.stringify(body),
  };
}

/** The UTC day (`YYYY-MM-DD`) of an ISO timestamp: the partition it goes to. */
export function dayOf(iso: string): string {
  return new Date(iso).toISOString().slice(0, 10);
}
