import type { AgentEvent } from './agent-event';
import type { EventType } from './event-types';

export const SUBSCRIPTIONS = [
  'all_events',
  'agent_activity',
  'agent_collaboration',
  'agent_performance',
  'llm_usage',
  'tool_usage',
  'memory_access',
  'intelligence_events',
  'system_monitoring',
  'user_specific',
  // Alert transitions (alert_fired / alert_resolved), never agent events: all_events does not
  // include them (see shouldDeliverAlert).
  'alerts',
] as const;

export type Subscription = (typeof SUBSCRIPTIONS)[number];

export const DEFAULT_SUBSCRIPTIONS: readonly Subscription[] = ['all_events'];

const SUBSCRIPTION_SET = new Set<string>(SUBSCRIPTIONS);
export function isSubscription(value: unknown): value is Subscription {
  return typeof value === 'string' && SUBSCRIPTION_SET.has(value);
}

/** The subscriptions that carry fixed event types (CONTRACT §4 table). */
export const SUBSCRIPTION_EVENT_TYPES: Readonly<
  Partial<Record<Subscription, readonly EventType[]>>
> = {
  agent_activity: ['agent_execution_started', 'agent_execution_completed', 'agent_decision'],
  agent_collaboration: ['agent_collaboration'],
  llm_usage: ['llm_call'],
  tool_usage: ['tool_usage'],
  memory_access: ['memory_tier_access'],
  intelligence_events: ['hypothesis_formation', 'knowledge_access'],
  system_monitoring: ['system_health', 'performance_metric'],
};

const BY_TYPE = new Map<string, Subscription[]>();
for (const [subscription, types] of Object.entries(SUBSCRIPTION_EVENT_TYPES)) {
  for (const type of types ?? []) {
    const list = BY_TYPE.get(type) ?? [];
    list.push(subscription as Subscription);
    BY_TYPE.set(type, list);
  }
}

/**
 * The subscriptions that carry an event for everyone: `all_events`, the type's own subscription,
 * and `agent_performance` when the event has metrics. `user_specific` depends on the viewer and
 * is handled by {@link carries}.
 */
export function subscriptionsCarrying(
  event: Pick<AgentEvent, 'event_type' | 'performance_metrics'>,
): Subscription[] {
  const out: Subscription[] = ['all_events', ...(BY_TYPE.get(event.event_type) ?? [])];
  if (event.performance_metrics) out.push('agent_performance');
  return out;
}

/** Whether one subscription carries an event for a viewer whose user is `userId`. */
export function carries(subscription: Subscription, event: AgentEvent, userId: string): boolean {
  if (subscription === 'user_specific')
    return event.user_id !== undefined && event.user_id === userId;
  return subscriptionsCarrying(event).includes(subscription);
}
