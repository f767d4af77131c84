import type { EventType } from './event-types';

/** Field limits of CONTRACT §1, in one place for validation, docs and tests. */
export const EVENT_LIMITS = {
  idMaxLength: 128,
  roleMaxLength: 256,
  agentExtraFieldMaxLength: 8192,
  agentExtraFieldsMax: 32,
  modelMaxLength: 256,
  errorTypeMaxLength: 256,
  maxNestingDepth: 32,
  maxBodyBytes: 1024 * 1024,
  maxBatchSize: 1000,
} as const;

export interface AgentRef {
  id: string;
  role?: string;
  /** Other string fields (goal, backstory...) are kept as sent. */
  [field: string]: string | undefined;
}

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

/**
 * The canonical event: what ingest writes to the stream and what gateways deliver.
 * `stream_id` is absent in the stored JSON and added by whoever reads the stream.
 */
export interface AgentEvent {
  event_id: string;
  event_type: EventType;
  timestamp: string;
  received_at: string;
  trace_id?: string;
  session_id?: string;
  parent_event_id?: string;
  user_id?: string;
  source_agent: AgentRef;
  target_agent?: AgentRef | null;
  payload: Record<string, unknown>;
  metadata: Record<string, unknown>;
  performance_metrics?: PerformanceMetrics;
  stream_id?: string;
}

/** An event as delivered: always carries its stream position. */
/**
 * An event as gateways send it. `resume_token` is set when `stream_id` alone is not a position a
 * client can resume from (Kafka: a position covers every partition; see docs/kafka.md).
 */
export type StreamedEvent = AgentEvent & { stream_id: string; resume_token?: string };
