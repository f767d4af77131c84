export { AurenClient } from './client';
export type { AurenClientOptions } from './options';
export type { OverflowPolicy } from './dispatcher';
export type { EventAck, SendOutcome, Transport } from './transport';
export type { TrackOptions } from './events';
export type {
  AgentCompleteOptions,
  AgentStartOptions,
  CollaborationOptions,
  DecisionOptions,
  HypothesisOptions,
  KnowledgeAccessOptions,
  LlmCallOptions,
  MemoryAccessOptions,
  ToolUsageOptions,
} from './track-options';
export type {
  AgentInput,
  AgentRef,
  AurenError,
  AurenEvent,
  AurenEventInput,
  ClientStats,
  ErrorKind,
  PerformanceMetrics,
  RetryInfo,
  TrackResult,
} from './types';
export { EVENT_TYPES, isEventType } from './event-types';
export type { EventType, KnownEventType } from './event-types';
export { backoffDelay, parseRetryAfter } from './backoff';
export { SDK_VERSION } from './version';
