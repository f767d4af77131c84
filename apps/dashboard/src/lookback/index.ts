/**
 * The look-back views of the dashboard (issue 13, views 3–6): a run as a tree and waterfall,
 * the collaboration graph, alerts, and history. Self-contained: their own GraphQL client,
 * queries, formatting and styles (lookback.css, plain class names over the shell's CSS variables).
 */
import './lookback.css';

export { createGraphqlClient, GraphqlError, describeError } from './graphql';
export type { GraphqlClient, GraphqlClientOptions, GraphqlErrorEntry } from './graphql';
export { TraceView } from './TraceView';
export type { TraceViewProps } from './TraceView';
export { CollaborationView } from './CollaborationView';
export type { CollaborationViewProps } from './CollaborationView';
export { AlertsView } from './AlertsView';
export type { AlertsViewProps } from './AlertsView';
export { HistoryView } from './HistoryView';
export type { HistoryViewProps } from './HistoryView';
