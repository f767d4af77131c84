/**
 * The dashboard's window on libs/contracts. The browser bundle must not import the lib's index
 * (it pulls class-validator and gRPC): types come from their files, and values only from files
 * that are plain data or pure functions without imports (socket-events.ts, subscriptions.ts,
 * event-types.ts, run-tree.ts).
 */
export type {
  AgentEvent,
  AgentRef,
  PerformanceMetrics,
  StreamedEvent,
} from '../../../libs/contracts/src/agent-event';
export type {
  AlertFiredMessage,
  AlertMessage,
  AlertResolvedMessage,
  AlertSeverity,
  AlertTransition,
  AlertUpdatedMessage,
} from '../../../libs/contracts/src/alerts';
export type { EventType } from '../../../libs/contracts/src/event-types';
export { KNOWN_EVENT_TYPES } from '../../../libs/contracts/src/event-types';
export type { RunTotals, RunTreeNode } from '../../../libs/contracts/src/run-tree';
export {
  RUN_COMPLETED,
  RUN_STARTED,
  runSpanField,
  runTreeOf,
} from '../../../libs/contracts/src/run-tree';
export type {
  ClientToServerEvents,
  ConnectErrorCode,
  ConnectErrorData,
  ConnectionEstablishedMessage,
  ErrorMessage,
  HandshakeAuth,
  RecentEventsMessage,
  ResumeOutcome,
  ServerToClientEvents,
  StreamGapMessage,
  StreamResetMessage,
} from '../../../libs/contracts/src/socket-events';
export { CONNECT_ERROR_CODES, RECENT_EVENTS_MAX } from '../../../libs/contracts/src/socket-events';
export type { Subscription } from '../../../libs/contracts/src/subscriptions';
export {
  SUBSCRIPTIONS,
  SUBSCRIPTION_EVENT_TYPES,
  isSubscription,
} from '../../../libs/contracts/src/subscriptions';
