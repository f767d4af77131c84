import type { AgentEvent } from './agent-event';
import type { AlertTransition } from './alerts';
import { carries, type Subscription } from './subscriptions';

/** What the delivery rule needs to know about one connection. */
export interface Viewer {
  userId: string;
  /** The `all` permission: sees every user's events. */
  seesAllUsers: boolean;
  /** Agents the token allows; `null` when it does not restrict agents. */
  allowedAgents: ReadonlySet<string> | null;
  subscriptions: ReadonlySet<Subscription>;
  /** Empty: all agents. */
  agentFilter: ReadonlySet<string>;
  /** 0: no threshold. */
  threshold: number;
}

export function isVisibleTo(event: AgentEvent, viewer: Viewer): boolean {
  const ownerOk =
    viewer.seesAllUsers || event.user_id === undefined || event.user_id === viewer.userId;
  return (
    ownerOk && (viewer.allowedAgents === null || viewer.allowedAgents.has(event.source_agent.id))
  );
}

/**
 * Passes the threshold when there is none, when the event has no metrics, or when its
 * `confidence_score` reaches it. An event with metrics but no score does not pass a threshold
 * above 0 (the rule compares a score that is not there).
 */
export function passesThreshold(event: AgentEvent, threshold: number): boolean {
  if (threshold <= 0 || !event.performance_metrics) return true;
  const score = event.performance_metrics.confidence_score;
  return typeof score === 'number' && score >= threshold;
}

/** The delivery rule of CONTRACT §4, as a pure function: the reference the gateway's routing is tested against. */
export function shouldDeliver(event: AgentEvent, viewer: Viewer): boolean {
  if (!isVisibleTo(event, viewer)) return false;
  if (viewer.agentFilter.size > 0 && !viewer.agentFilter.has(event.source_agent.id)) return false;
  if (!passesThreshold(event, viewer.threshold)) return false;
  for (const subscription of viewer.subscriptions) {
    if (carries(subscription, event, viewer.userId)) return true;
  }
  return false;
}

/**
 * Which connections receive an alert transition (`alert_fired` / `alert_resolved`), as a pure
 * function: the reference the gateway's alert rooms are tested against. Only an explicit `alerts`
 * subscription carries them; the alert's owner or the `all` permission sees them; when the alert
 * names an agent, the token's agent permissions and the connection's `agent_filter` apply to it.
 * The threshold does not apply.
 */
export function shouldDeliverAlert(alert: AlertTransition, viewer: Viewer): boolean {
  if (!viewer.subscriptions.has('alerts')) return false;
  if (!viewer.seesAllUsers && alert.owner !== viewer.userId) return false;
  const agent = alert.agent_id;
  if (agent === null) return true;
  if (viewer.allowedAgents !== null && !viewer.allowedAgents.has(agent)) return false;
  return viewer.agentFilter.size === 0 || viewer.agentFilter.has(agent);
}
