import {
  AgentEvent,
  passesThreshold,
  Subscription,
  subscriptionsCarrying,
  Viewer,
} from '@auren/contracts';

/**
 * Socket.IO rooms are the routing table (CONTRACT §4). A room name is the tuple
 * `subscription|visibility|agent|threshold`; a connection joins the rooms of its own tuples and an
 * event is emitted to the rooms of the tuples that select it, so that Socket.IO's room union does
 * the matching and no code loops over sockets per event.
 *
 * - visibility: `*` (the `all` permission), `u:<user>` (own events) or `none` (events without owner)
 * - agent: `*` (no filter) or `a:<agent id>`
 * - threshold: `t:<threshold>`; an event targets every threshold in use that it passes
 *
 * User and agent ids are escaped (`%` and `|`), so that an id holding `|` cannot spell another
 * tuple's room name.
 */
export function roomName(
  subscription: Subscription,
  visibility: string,
  agent: string,
  threshold: number,
): string {
  return `${subscription}|${visibility}|${agent}|t:${threshold}`;
}

/** Escapes a user or agent id for a room name: `%` and `|` become `%25` and `%7C`. */
function esc(id: string): string {
  return id.replace(/%/g, '%25').replace(/\|/g, '%7C');
}

/** The agents a viewer effectively watches: its filter within its permissions; `null` = all. */
export function effectiveAgents(viewer: Viewer): string[] | null {
  const { agentFilter, allowedAgents } = viewer;
  if (agentFilter.size === 0) return allowedAgents === null ? null : [...allowedAgents];
  return allowedAgents === null
    ? [...agentFilter]
    : [...agentFilter].filter((a) => allowedAgents.has(a));
}

/** Every room a connection belongs to. */
export function roomsForViewer(viewer: Viewer): string[] {
  const agents = effectiveAgents(viewer)?.map((a) => `a:${esc(a)}`) ?? ['*'];
  const visibility = viewer.seesAllUsers ? ['*'] : [`u:${esc(viewer.userId)}`, 'none'];
  const rooms: string[] = [];
  for (const subscription of viewer.subscriptions) {
    // user_specific carries only the viewer's own events, whatever its permissions.
    const scopes = subscription === 'user_specific' ? [`u:${esc(viewer.userId)}`] : visibility;
    for (const scope of scopes) {
      for (const agent of agents)
        rooms.push(roomName(subscription, scope, agent, viewer.threshold));
    }
  }
  return rooms;
}

/**
 * Every room an event goes to, given the thresholds connections currently use.
 * `thresholdsInUse` holds each distinct threshold once (0 included when in use).
 */
export function roomsForEvent(event: AgentEvent, thresholdsInUse: Iterable<number>): string[] {
  const thresholds: number[] = [];
  for (const t of thresholdsInUse) if (passesThreshold(event, t)) thresholds.push(t);
  if (thresholds.length === 0) return [];
  const owner = event.user_id;
  const visibility = ['*', owner === undefined ? 'none' : `u:${esc(owner)}`];
  const agents = ['*', `a:${esc(event.source_agent.id)}`];
  const rooms: string[] = [];
  for (const subscription of subscriptionsCarrying(event)) {
    for (const scope of visibility) {
      for (const agent of agents)
        for (const t of thresholds) rooms.push(roomName(subscription, scope, agent, t));
    }
  }
  if (owner !== undefined) {
    for (const agent of agents)
      for (const t of thresholds)
        rooms.push(roomName('user_specific', `u:${esc(owner)}`, agent, t));
  }
  return rooms;
}
