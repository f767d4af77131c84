import type { StreamedEvent } from './agent-event';
import type { AlertFiredMessage, AlertResolvedMessage, AlertUpdatedMessage } from './alerts';
import type { EventType } from './event-types';
import type { Subscription } from './subscriptions';

/** What a client puts in `io(url, { auth })` (CONTRACT §4). */
export interface HandshakeAuth {
  token?: string;
  agent_filter?: string[];
  performance_threshold?: number;
  subscriptions?: string[];
  resume_from?: string;
  /**
   * How live events arrive (an AUREN addition): `event` (default) sends one `stream_event` per
   * event; `batch` sends `stream_events`, the events of one stream read that the connection
   * receives, in order, in one message (fewer messages for dashboards that take many events).
   */
  delivery?: DeliveryMode;
}

export const DELIVERY_MODES = ['event', 'batch'] as const;
export type DeliveryMode = (typeof DELIVERY_MODES)[number];

export const CONNECT_ERROR_CODES = [
  'AUTH_REQUIRED',
  'AUTH_FAILED',
  'TOKEN_EXPIRED',
  'SERVER_AT_CAPACITY',
  'USER_CONNECTION_LIMIT',
  'BAD_HANDSHAKE',
] as const;
export type ConnectErrorCode = (typeof CONNECT_ERROR_CODES)[number];

/** `connect_error`'s `err.data`. */
export interface ConnectErrorData {
  code: ConnectErrorCode;
  message: string;
}

export const MESSAGE_ERROR_CODES = [
  'BAD_MESSAGE',
  'UNKNOWN_SUBSCRIPTION',
  'LIMIT_OUT_OF_RANGE',
  'RATE_LIMITED',
  'INTERNAL_ERROR',
] as const;
export type MessageErrorCode = (typeof MESSAGE_ERROR_CODES)[number];

/**
 * Why a resume did not recover everything (an AUREN addition): the position is older than what
 * the stream still holds (`trimmed`), it belongs to a stream that was reset or lost since
 * (`stream_reset`), it is no position of this backend (`unknown_position`), or the replay
 * stopped at AUREN_RESUME_MAX_EVENTS (`too_many_events`).
 */
export const RESUME_FAILURE_REASONS = [
  'trimmed',
  'stream_reset',
  'unknown_position',
  'too_many_events',
] as const;
export type ResumeFailureReason = (typeof RESUME_FAILURE_REASONS)[number];

export interface ResumeOutcome {
  recovered: boolean;
  replayed: number;
  from: string;
  /** Present when `recovered` is false. */
  reason?: ResumeFailureReason;
}

export interface ConnectionEstablishedMessage {
  type: 'connection_established';
  connection_id: string;
  server_time: string;
  user_id: string;
  available_subscriptions: Subscription[];
  subscriptions: Subscription[];
  agent_filter: string[];
  performance_threshold: number;
  resume?: ResumeOutcome;
  /**
   * Where live delivery to this connection starts: a position to resume from when no event has
   * arrived yet (absent while the pod has not started reading the stream). An AUREN addition.
   */
  position?: string;
  /** How events arrive on this connection (the handshake's `delivery`). An AUREN addition. */
  delivery?: DeliveryMode;
}

export interface StreamEventMessage {
  type: 'stream_event';
  event: StreamedEvent;
}

/**
 * `delivery: 'batch'` connections: consecutive events in stream order, each exactly as a
 * `stream_event` would carry it (with its `stream_id`, and `resume_token` with Kafka); the last
 * one's position is where to resume from. An AUREN addition.
 */
export interface StreamEventsMessage {
  type: 'stream_events';
  events: StreamedEvent[];
  count: number;
}

/** Per-model figures of one agent (an AUREN addition to the contract's `performance_summary`). */
export interface ModelSummary {
  calls: number;
  total_tokens: number;
  total_token_cost: number;
}

export interface AgentSummary {
  average_latency_ms: number;
  success_rate: number;
  total_operations: number;
  total_token_cost: number;
  total_tokens: number;
  last_update: string;
  /** Figures per `performance_metrics.model`; the gateway always sends it (`{}` when none). */
  models?: Record<string, ModelSummary>;
}

export interface CollaborationSummary {
  total_collaborations: number;
  success_rate: number;
  unique_partners: number;
  last_collaboration: string;
}

export interface PerformanceSummaryMessage {
  type: 'performance_summary';
  timestamp: string;
  data: {
    agents: Record<string, AgentSummary>;
    collaboration: Record<string, CollaborationSummary>;
    system: {
      active_connections: number;
      events_received: number;
      events_sent: number;
      uptime_seconds: number;
    };
  };
}

export interface SubscriptionMessage {
  type: 'subscription_confirmed' | 'unsubscription_confirmed';
  subscription: Subscription;
}

export interface FilterUpdatedMessage {
  type: 'filter_updated';
  agent_filter: string[];
  performance_threshold: number;
}

export interface RecentEventsMessage {
  type: 'recent_events';
  events: StreamedEvent[];
  count: number;
}

export interface PongMessage {
  type: 'pong';
  server_time: string;
}

export interface ErrorMessage {
  type: 'error';
  code: MessageErrorCode;
  message: string;
}

export interface StreamGapMessage {
  type: 'stream_gap';
  from: string;
  to: string;
  skipped: number;
}

/**
 * Why the stream a connection followed was reset: it is gone (`stream_lost`: Redis restarted
 * empty, or the key was deleted), it was deleted and written again between two looks
 * (`stream_recreated`), or its ids went back before what was delivered (`stream_went_backwards`:
 * restored from an older copy).
 */
export const STREAM_RESET_REASONS = [
  'stream_lost',
  'stream_recreated',
  'stream_went_backwards',
] as const;
export type StreamResetReason = (typeof STREAM_RESET_REASONS)[number];

/**
 * CONTRACT §7: the stream this connection was following was reset or lost. Events after
 * `previous` that the gateway had not delivered yet may be gone; live delivery goes on from
 * `position` (the start of the new stream). Positions from before are no longer valid for
 * `resume_from`.
 */
export interface StreamResetMessage {
  type: 'stream_reset';
  reason: StreamResetReason;
  /** The position live delivery continues after (resume from it, or from a later stream_id). */
  position: string;
  /** The last position delivered from the stream before the reset. */
  previous: string;
  message: string;
}

export interface ServerToClientEvents {
  connection_established: (body: ConnectionEstablishedMessage) => void;
  stream_event: (body: StreamEventMessage) => void;
  stream_events: (body: StreamEventsMessage) => void;
  performance_summary: (body: PerformanceSummaryMessage) => void;
  subscription_confirmed: (body: SubscriptionMessage) => void;
  unsubscription_confirmed: (body: SubscriptionMessage) => void;
  filter_updated: (body: FilterUpdatedMessage) => void;
  recent_events: (body: RecentEventsMessage) => void;
  pong: (body: PongMessage) => void;
  error: (body: ErrorMessage) => void;
  stream_gap: (body: StreamGapMessage) => void;
  stream_reset: (body: StreamResetMessage) => void;
  /** To connections subscribed to `alerts` that may see the alert (see shouldDeliverAlert). */
  alert_fired: (body: AlertFiredMessage) => void;
  alert_resolved: (body: AlertResolvedMessage) => void;
  alert_updated: (body: AlertUpdatedMessage) => void;
}

type Ack<T> = (reply: T | ErrorMessage) => void;

export interface SubscribeRequest {
  subscription: string;
}
export interface FilterUpdateRequest {
  agent_filter?: string[];
  performance_threshold?: number;
}
export interface GetRecentRequest {
  limit?: number;
  event_types?: EventType[];
}

export interface ClientToServerEvents {
  subscribe: (body: SubscribeRequest, ack?: Ack<SubscriptionMessage>) => void;
  unsubscribe: (body: SubscribeRequest, ack?: Ack<SubscriptionMessage>) => void;
  filter_update: (body: FilterUpdateRequest, ack?: Ack<FilterUpdatedMessage>) => void;
  get_recent: (body: GetRecentRequest, ack?: Ack<RecentEventsMessage>) => void;
  ping: (body?: unknown, ack?: Ack<PongMessage>) => void;
}

export const RECENT_EVENTS_MAX = 1000;
export const RECENT_EVENTS_DEFAULT = 100;
