import {
  AgentEvent,
  AlertTransition,
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
 *
 * Alert transitions have rooms of their own, `alerts|scope|agent` (see {@link roomsForAlert}).
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

/** Every room a connection belongs to (its alert rooms too, when it subscribes to `alerts`). */
export function roomsForViewer(viewer: Viewer): string[] {
  const agents = effectiveAgents(viewer)?.map((a) => `a:${esc(a)}`) ?? ['*'];
  const visibility = viewer.seesAllUsers ? ['*'] : [`u:${esc(viewer.userId)}`, 'none'];
  const rooms: string[] = [];
  for (const subscription of viewer.subscriptions) {
    if (subscription === 'alerts') {
      const scope = viewer.seesAllUsers ? '*' : `u:${esc(viewer.userId)}`;
      // `-`: alerts that name no agent, which agent permissions and filters do not narrow.
      for (const agent of ['-', ...agents]) rooms.push(alertRoomName(scope, agent));
      continue;
    }
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

/**
 * `alerts|scope|agent`: scope `*` (the `all` permission) or `u:<user>` (the alert's owner); agent
 * `*` (no restriction), `a:<agent id>`, or `-` for alerts that name no agent. No threshold: it
 * does not apply to alerts.
 */
export function alertRoomName(scope: string, agent: string): string {
  return `alerts|${scope}|${agent}`;
}

/** Whether a room of {@link roomsForViewer} is an alert room (not an event routing room). */
export function isAlertRoom(room: string): boolean {
  return room.startsWith('alerts|');
}

/**
 * Every room an alert transition goes to: its owner's and the `all` permission's, for its agent
 * (or, without agent, the `-` rooms every `alerts` subscriber of that scope is in). The reference
 * is `shouldDeliverAlert` in libs/contracts.
 */
export function roomsForAlert(alert: AlertTransition): string[] {
  const agents = alert.agent_id === null ? ['-'] : ['*', `a:${esc(alert.agent_id)}`];
  const rooms: string[] = [];
  for (const scope of ['*', `u:${esc(alert.owner)}`])
    for (const agent of agents) rooms.push(alertRoomName(scope, agent));
  return rooms;
}
