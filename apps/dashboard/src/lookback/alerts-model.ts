/**
 * The alert list of the Alerts view: stored transitions (GraphQL `firingAlerts` and `alerts`)
 * merged with the live ones (Socket.IO `alert_fired` / `alert_resolved` / `alert_updated` bodies,
 * oldest first), updates applied, then what fires now (the latest transition of each key, when
 * firing) and every transition newest first.
 */
import type { AlertSeverity, AlertTransition } from './contracts';

/** The GraphQL `Alert` fields the view asks for (queries.ts, ALERT_FIELDS). */
export interface GqlAlert {
  alertId: string;
  ruleId: string;
  ruleName: string;
  severity: 'INFO' | 'WARNING' | 'CRITICAL';
  owner: string;
  key: string;
  agentId: string | null;
  state: 'FIRING' | 'RESOLVED';
  value: number | null;
  threshold: number | null;
  window: { from: string; to: string } | null;
  eventIds: string[];
  at: string;
  seq: number;
  reason: string | null;
  silenced: boolean;
  acknowledged: boolean;
}

/** A GraphQL alert in the contract's shape (as live transitions come). */
export function fromGraphqlAlert(a: GqlAlert): AlertTransition {
  const t: AlertTransition = {
    alert_id: a.alertId,
    rule_id: a.ruleId,
    rule_name: a.ruleName,
    severity: a.severity.toLowerCase() as AlertSeverity,
    owner: a.owner,
    key: a.key,
    agent_id: a.agentId,
    state: a.state === 'FIRING' ? 'firing' : 'resolved',
    value: a.value,
    threshold: a.threshold,
    window: a.window,
    event_ids: a.eventIds,
    at: a.at,
    seq: a.seq,
    silenced: a.silenced,
    acknowledged: a.acknowledged,
  };
  if (a.reason) t.reason = a.reason;
  return t;
}

/** Compares two decimal alert ids (positive 64-bit integers as strings) without BigInt. */
export function compareAlertIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A flag change applied on top (a mutation's answer, an optimistic silence). */
export interface AlertPatch {
  alertId: string;
  acknowledged?: boolean;
  silenced?: boolean;
}

export interface AlertLists {
  /** The latest transition of each key, when firing: newest first. */
  firing: AlertTransition[];
  /** Every transition known (updates folded in), newest first. */
  transitions: AlertTransition[];
}

/**
 * Folds stored transitions, live ones and local patches into the two lists. Live bodies fill in
 * transitions the stored lists lack; live `alert_updated` bodies (`updates` set) change the
 * flags of the transition they name; patches come last.
 */
export function mergeAlerts(
  stored: readonly AlertTransition[],
  live: readonly AlertTransition[],
  patches: readonly AlertPatch[] = [],
): AlertLists {
  const byId = new Map<string, AlertTransition>();
  for (const a of stored) {
    const known = byId.get(a.alert_id);
    // The same transition from two stored answers: the flags of the later answer.
    byId.set(
      a.alert_id,
      known ? { ...known, silenced: a.silenced, acknowledged: a.acknowledged } : { ...a },
    );
  }
  const pendingUpdates: AlertTransition[] = [];
  for (const a of live) {
    if (a.updates !== undefined) {
      pendingUpdates.push(a);
      continue;
    }
    if (!byId.has(a.alert_id)) byId.set(a.alert_id, { ...a });
  }
  for (const u of pendingUpdates) {
    const target = byId.get(u.updates!);
    if (target) {
      target.silenced = u.silenced;
      if (u.acknowledged !== undefined) target.acknowledged = u.acknowledged;
    } else {
      // An update of a transition not listed here: show the transition as it now stands.
      const copy: AlertTransition = { ...u, alert_id: u.updates! };
      delete copy.updates;
      byId.set(copy.alert_id, copy);
    }
  }
  for (const p of patches) {
    const target = byId.get(p.alertId);
    if (!target) continue;
    if (p.acknowledged !== undefined) target.acknowledged = p.acknowledged;
    if (p.silenced !== undefined) target.silenced = p.silenced;
  }
  const transitions = [...byId.values()].sort((a, b) => compareAlertIds(b.alert_id, a.alert_id));
  const latestOfKey = new Map<string, AlertTransition>();
  for (const t of transitions) if (!latestOfKey.has(t.key)) latestOfKey.set(t.key, t);
  const firing = [...latestOfKey.values()]
    .filter((t) => t.state === 'firing')
    .sort((a, b) => compareAlertIds(b.alert_id, a.alert_id));
  return { firing, transitions };
}

/** The firing alerts a silence of `ruleId` (and `agentId`, when given) covers. */
export function coveredBySilence(
  firing: readonly AlertTransition[],
  ruleId: string | null,
  agentId: string | null,
): string[] {
  return firing
    .filter(
      (a) =>
        (ruleId === null || a.rule_id === ruleId) && (agentId === null || a.agent_id === agentId),
    )
    .map((a) => a.alert_id);
}

const SEVERITY_RANK: Record<string, number> = { critical: 0, warning: 1, info: 2 };
export const severityRank = (s: string): number => SEVERITY_RANK[s] ?? 3;

/** Silence durations offered (the API accepts 1m..30d). */
export const SILENCE_DURATIONS = ['30m', '1h', '4h', '24h', '7d'] as const;
