import type { EventType } from './event-types';

/** An agent as the contract describes it: `id` is required, other string fields are kept. */
export interface AgentRef {
  id: string;
  role?: string;
  [field: string]: string | undefined;
}

/** An agent id or a full agent object. */
export type AgentInput = string | AgentRef;

export interface PerformanceMetrics {
  latency_ms?: number;
  token_cost?: number;
  success?: boolean;
  confidence_score?: number;
  tokens_used?: number;
  input_tokens?: number;
  output_tokens?: number;
  model?: string;
  memory_usage_mb?: number;
  cpu_percentage?: number;
  error_type?: string;
}

/** One event on the wire (CONTRACT §1), as the SDK sends it: `event_id` and `timestamp` are always set. */
export interface AurenEvent {
  event_id: string;
  event_type: EventType;
  timestamp: string;
  source_agent: AgentRef;
  target_agent?: AgentRef | null;
  trace_id?: string;
  session_id?: string;
  parent_event_id?: string;
  user_id?: string;
  payload: Record<string, unknown>;
  metadata: Record<string, unknown>;
  performance_metrics?: PerformanceMetrics;
}

/** What `send()` takes: an event whose `event_id`, `timestamp`, `payload` and `metadata` may be left out. */
export type AurenEventInput = Omit<AurenEvent, 'event_id' | 'timestamp' | 'payload' | 'metadata'> &
  Partial<Pick<AurenEvent, 'event_id' | 'timestamp' | 'payload' | 'metadata'>>;

/** What every track* call returns. */
export interface TrackResult {
  eventId: string;
  sessionId?: string;
  traceId?: string;
}

/** Counters since the client was created. */
export interface ClientStats {
  /** Events the ingest acknowledged (duplicates included: the server has them). */
  sent: number;
  /** Events the SDK discarded: buffer full, retries exhausted, or left over at close. */
  dropped: number;
  /** Events the ingest refused (4xx other than 408/429); not retried. */
  rejected: number;
  /** Event send attempts repeated after a retryable failure (one per event per retry). */
  retried: number;
  /** Events waiting or in flight right now. */
  buffered: number;
  /** Of `sent`, how many the ingest answered `duplicate: true`. */
  duplicates: number;
  /** Requests made to the ingest (batches, including retries). */
  requests: number;
}

export type ErrorKind = 'rejected' | 'dropped';

/** What `onError` receives. The SDK never throws from track*; problems arrive here. */
export interface AurenError {
  kind: ErrorKind;
  /** `rejected`: the ingest's refusal (`http_400`, `grpc_invalid_argument`...) or `invalid_event`; `dropped`: `buffer_full`, `retries_exhausted`, `closed`. */
  reason: string;
  message: string;
  /** HTTP status (or the gRPC status mapped to HTTP) when the ingest answered. */
  status?: number;
  /** Field errors of a 400 (`{index?, field, message}`), indexes relative to `eventIds`. */
  details?: Array<{ index?: number; field?: string; message: string }>;
  eventIds: string[];
}

/** What `onRetry` receives, before the SDK waits `delayMs` and tries again. */
export interface RetryInfo {
  /** 1 for the first retry. */
  attempt: number;
  delayMs: number;
  /** `http_503`, `http_429`, `network`, `timeout`, `grpc_unavailable`... */
  reason: string;
  status?: number;
  /** The server's Retry-After, in ms, when it sent one. */
  retryAfterMs?: number;
  events: number;
}
