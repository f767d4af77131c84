/**
 * Every GraphQL operation of the look-back views, with the shapes of their answers. Field and
 * argument names are those of apps/history/schema.graphql; queries.test.ts checks each
 * operation against that file.
 */
import type { StoredEvent } from './run-tree';
import type { StoredEdge } from './collab';
import type { GqlAlert } from './alerts-model';

// ---------------------------------------------------------------- runs (TraceView)

const RUN_SELECTION = `id truncated startedAt endedAt
    nodes { event { eventId eventType timestamp agentId targetAgentId parentEventId traceId sessionId
      model latencyMs inputTokens outputTokens tokens cost success errorType raw } }`;

export const TRACE_QUERY = `query LookbackTrace($id: String!) {
  trace(id: $id) { ${RUN_SELECTION} }
}`;

export const SESSION_QUERY = `query LookbackSession($id: String!) {
  session(id: $id) { ${RUN_SELECTION} }
}`;

export interface StoredRun {
  id: string;
  truncated: boolean;
  startedAt: string;
  endedAt: string;
  nodes: Array<{ event: StoredEvent }>;
}
export type TraceAnswer = { trace: StoredRun | null };
export type SessionAnswer = { session: StoredRun | null };

// ---------------------------------------------------------------- collaborations

export const COLLABORATIONS_QUERY = `query LookbackCollaborations($from: DateTime, $to: DateTime) {
  collaborations(from: $from, to: $to) { source target count successes failures unknown successRate lastAt }
}`;
export type CollaborationsAnswer = {
  collaborations: Array<StoredEdge & { successRate: number | null }> | null;
};

/** The stored collaboration events themselves (whole), for the seed's most recent minute. */
export const RECENT_COLLABORATIONS_QUERY = `query LookbackRecentCollaborations($filter: EventFilter, $first: Int) {
  events(filter: $filter, first: $first, order: OLDEST_FIRST) {
    edges { node { raw } }
    pageInfo { hasNextPage }
  }
}`;
export type RecentCollaborationsAnswer = {
  events: {
    edges: Array<{ node: { raw: unknown } }>;
    pageInfo: { hasNextPage: boolean };
  } | null;
};

// ---------------------------------------------------------------- alerts

const ALERT_FIELDS = `alertId ruleId ruleName severity owner key agentId state value threshold
  window { from to } eventIds at seq reason silenced acknowledged`;

export const FIRING_ALERTS_QUERY = `query LookbackFiringAlerts {
  firingAlerts { ${ALERT_FIELDS} }
}`;
export type FiringAlertsAnswer = { firingAlerts: GqlAlert[] };

export const ALERTS_PAGE_QUERY = `query LookbackAlerts($first: Int, $after: String) {
  alerts(first: $first, after: $after) {
    edges { cursor node { ${ALERT_FIELDS} } }
    pageInfo { hasNextPage endCursor }
  }
}`;
export type AlertsPageAnswer = {
  alerts: {
    edges: Array<{ cursor: string; node: GqlAlert }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  } | null;
};

export const ACKNOWLEDGE_ALERT_MUTATION = `mutation LookbackAcknowledge($alertId: String!, $comment: String) {
  acknowledgeAlert(alertId: $alertId, comment: $comment) { ${ALERT_FIELDS} }
}`;
export type AcknowledgeAnswer = { acknowledgeAlert: GqlAlert | null };

export const SILENCE_ALERTS_MUTATION = `mutation LookbackSilence($ruleId: String, $agentId: String, $duration: String, $reason: String) {
  silenceAlerts(ruleId: $ruleId, agentId: $agentId, duration: $duration, reason: $reason) {
    id ruleId agentId endsAt active owner reason
  }
}`;
export type SilenceAnswer = {
  silenceAlerts: {
    id: string;
    ruleId: string | null;
    agentId: string | null;
    endsAt: string;
    active: boolean;
    owner: string;
    reason: string | null;
  } | null;
};

// ---------------------------------------------------------------- history

const LATENCY = 'latency { count averageMs p50Ms p95Ms p99Ms }';
const FIGURES = `events successes failures successRate ${LATENCY} inputTokens outputTokens tokens cost`;

export interface LatencyFigures {
  count: number;
  averageMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}
export interface Figures {
  events: number;
  successes: number;
  failures: number;
  successRate: number | null;
  latency: LatencyFigures;
  inputTokens: number;
  outputTokens: number;
  tokens: number;
  cost: number;
}

export const AGENTS_QUERY = `query LookbackAgents($from: DateTime, $to: DateTime) {
  agents(from: $from, to: $to) { agent ${FIGURES} lastSeen }
}`;
export type AgentSummary = Figures & { agent: string; lastSeen: string | null };
export type AgentsAnswer = { agents: AgentSummary[] | null };

export const COST_BREAKDOWN_QUERY = `query LookbackCost($from: DateTime, $to: DateTime) {
  costBreakdown(by: [MODEL, DAY], from: $from, to: $to) {
    from to truncated
    rows { day model events inputTokens outputTokens tokens cost }
    total { events inputTokens outputTokens tokens cost }
  }
}`;
export interface CostRow {
  day: string | null;
  model: string | null;
  events: number;
  inputTokens: number;
  outputTokens: number;
  tokens: number;
  cost: number;
}
export type CostAnswer = {
  costBreakdown: {
    from: string;
    to: string;
    truncated: boolean;
    rows: CostRow[];
    total: Omit<CostRow, 'day' | 'model'>;
  } | null;
};

export const AGENT_STATS_QUERY = `query LookbackAgentStats($agent: String!, $from: DateTime, $to: DateTime, $bucket: StatsBucket) {
  agentStats(agent: $agent, from: $from, to: $to, bucket: $bucket) {
    agent bucket from to
    totals { ${FIGURES} }
    buckets { start ${FIGURES} }
    models { model ${FIGURES} }
  }
}`;
export type AgentStatsAnswer = {
  agentStats: {
    agent: string;
    bucket: 'MINUTE' | 'HOUR' | 'DAY';
    from: string;
    to: string;
    totals: Figures;
    buckets: Array<Figures & { start: string }>;
    models: Array<Figures & { model: string | null }>;
  } | null;
};

export const EVENTS_QUERY = `query LookbackEvents($filter: EventFilter, $first: Int, $after: String) {
  events(filter: $filter, first: $first, after: $after) {
    edges { cursor node { eventId eventType timestamp agentId targetAgentId traceId sessionId model
      latencyMs tokens cost success } }
    pageInfo { hasNextPage endCursor }
  }
}`;
export interface EventRow {
  eventId: string;
  eventType: string;
  timestamp: string;
  agentId: string;
  targetAgentId: string | null;
  traceId: string | null;
  sessionId: string | null;
  model: string | null;
  latencyMs: number | null;
  tokens: number | null;
  cost: number | null;
  success: boolean | null;
}
export type EventsAnswer = {
  events: {
    edges: Array<{ cursor: string; node: EventRow }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  } | null;
};

export const EVENTS_PAGE_SIZE = 50;

/** Every operation, for the schema check of queries.test.ts. */
export const ALL_OPERATIONS = {
  TRACE_QUERY,
  SESSION_QUERY,
  COLLABORATIONS_QUERY,
  FIRING_ALERTS_QUERY,
  ALERTS_PAGE_QUERY,
  ACKNOWLEDGE_ALERT_MUTATION,
  SILENCE_ALERTS_MUTATION,
  AGENTS_QUERY,
  COST_BREAKDOWN_QUERY,
  AGENT_STATS_QUERY,
  EVENTS_QUERY,
} as const;
