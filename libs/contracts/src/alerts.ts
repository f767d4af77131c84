import { isRfc3339DateTime } from './validators';

/**
 * Alert transitions (CONTRACT §7: subscription `alerts`, messages `alert_fired`/`alert_resolved`).
 * The alert evaluator decides each transition once and publishes it to the alerts log; gateways
 * read that log and deliver each transition to the connections allowed to see it.
 */
export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];
export type AlertState = 'firing' | 'resolved';

export interface AlertTransition {
  /**
   * Decimal string of a positive 64-bit counter, strictly increasing in publication order: the
   * order of the alerts log and the key readers drop repeats by.
   */
  alert_id: string;
  rule_id: string;
  rule_name: string;
  severity: AlertSeverity;
  /** The rule's owner (a user id): only they, and connections with `all`, receive it. */
  owner: string;
  /** What fired: the rule id, plus `:<agent id>` for per-agent rules. */
  key: string;
  agent_id: string | null;
  state: AlertState;
  value: number | null;
  threshold: number | null;
  /** RFC 3339 times. */
  window: { from: string; to: string } | null;
  /** Ids of the events that caused it (at most {@link ALERT_EVENT_IDS_MAX}). */
  event_ids: string[];
  /** RFC 3339 time the transition was decided. */
  at: string;
  /** Per key: 1 for its first transition, then 2, ... */
  seq: number;
  /** True while a silence covers it: delivered to dashboards anyway, flagged. */
  silenced: boolean;
  acknowledged?: boolean;
  /** Why, when not the rule's condition: e.g. `rule_removed`. */
  reason?: string;
  /**
   * Set on an update of an alert already delivered (acknowledged, silenced): the `alert_id` of
   * the transition it changes. Delivered as `alert_updated`, never as a second `alert_fired`.
   */
  updates?: string;
}

export interface AlertFiredMessage {
  type: 'alert_fired';
  alert: AlertTransition;
}
export interface AlertResolvedMessage {
  type: 'alert_resolved';
  alert: AlertTransition;
}
/** An alert already delivered changed (acknowledged, silenced); `alert.updates` names it. */
export interface AlertUpdatedMessage {
  type: 'alert_updated';
  alert: AlertTransition;
}
export type AlertMessage = AlertFiredMessage | AlertResolvedMessage | AlertUpdatedMessage;

/** The largest `alert_id`: the counter is an unsigned 64-bit integer. */
export const ALERT_ID_MAX = 18446744073709551615n;
/** Most `event_ids` a transition may carry when read back from the log. */
export const ALERT_EVENT_IDS_MAX = 100;
/** Longest id, name, key or reason accepted from the log (in UTF-16 units). */
const TEXT_MAX = 1024;

const SEVERITY_SET = new Set<string>(ALERT_SEVERITIES);
const ALERT_ID = /^[1-9][0-9]{0,19}$/;

/** `alert_id` as a number to compare, or null when it is not a valid alert id. */
export function alertIdValue(alertId: unknown): bigint | null {
  if (typeof alertId !== 'string' || !ALERT_ID.test(alertId)) return null;
  const value = BigInt(alertId);
  return value <= ALERT_ID_MAX ? value : null;
}

export type AlertParseResult = { ok: true; alert: AlertTransition } | { ok: false; reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown, empty = false): value is string {
  return typeof value === 'string' && value.length <= TEXT_MAX && (empty || value.length > 0);
}

function numberOrNull(value: unknown): value is number | null {
  return value === null || (typeof value === 'number' && Number.isFinite(value));
}

/**
 * The strict check of what a reader gets from the alerts log: every field of
 * {@link AlertTransition} with its type. Answers a copy holding only those fields (a field a newer
 * publisher adds is dropped, not passed to clients), or why the record is refused.
 */
export function parseAlertTransition(value: unknown): AlertParseResult {
  const fail = (reason: string): AlertParseResult => ({ ok: false, reason });
  if (!isRecord(value)) return fail('not an object');
  const v = value;
  if (alertIdValue(v.alert_id) === null)
    return fail('alert_id must be the decimal string of a positive 64-bit integer');
  for (const field of ['rule_id', 'rule_name', 'owner', 'key'] as const)
    if (!text(v[field])) return fail(`${field} must be a non-empty string`);
  if (typeof v.severity !== 'string' || !SEVERITY_SET.has(v.severity))
    return fail(`severity must be one of ${ALERT_SEVERITIES.join(', ')}`);
  if (v.agent_id !== null && !text(v.agent_id))
    return fail('agent_id must be a non-empty string or null');
  if (v.state !== 'firing' && v.state !== 'resolved')
    return fail('state must be firing or resolved');
  if (!numberOrNull(v.value)) return fail('value must be a finite number or null');
  if (!numberOrNull(v.threshold)) return fail('threshold must be a finite number or null');
  const window = v.window;
  if (
    window !== null &&
    !(isRecord(window) && isRfc3339DateTime(window.from) && isRfc3339DateTime(window.to))
  )
    return fail('window must be null or {from, to} with RFC 3339 times');
  const eventIds = v.event_ids;
  if (
    !Array.isArray(eventIds) ||
    eventIds.length > ALERT_EVENT_IDS_MAX ||
    !eventIds.every((id) => text(id))
  )
    return fail(`event_ids must be an array of at most ${ALERT_EVENT_IDS_MAX} strings`);
  if (!isRfc3339DateTime(v.at)) return fail('at must be an RFC 3339 time');
  if (typeof v.seq !== 'number' || !Number.isSafeInteger(v.seq) || v.seq < 1)
    return fail('seq must be a positive integer');
  if (typeof v.silenced !== 'boolean') return fail('silenced must be a boolean');
  if (v.acknowledged !== undefined && typeof v.acknowledged !== 'boolean')
    return fail('acknowledged must be a boolean when present');
  if (v.reason !== undefined && !text(v.reason))
    return fail('reason must be a string when present');
  if (v.updates !== undefined && alertIdValue(v.updates) === null)
    return fail('updates must be an alert_id when present');
  const alert: AlertTransition = {
    alert_id: v.alert_id as string,
    rule_id: v.rule_id as string,
    rule_name: v.rule_name as string,
    severity: v.severity as AlertSeverity,
    owner: v.owner as string,
    key: v.key as string,
    agent_id: v.agent_id,
    state: v.state,
    value: v.value,
    threshold: v.threshold,
    window: window === null ? null : { from: window.from as string, to: window.to as string },
    event_ids: [...eventIds],
    at: v.at as string,
    seq: v.seq,
    silenced: v.silenced,
  };
  if (v.acknowledged !== undefined) alert.acknowledged = v.acknowledged;
  if (v.reason !== undefined) alert.reason = v.reason;
  if (v.updates !== undefined) alert.updates = v.updates as string;
  return { ok: true, alert };
}

/** Whether `value` is a valid {@link AlertTransition} (see {@link parseAlertTransition}). */
export function isAlertTransition(value: unknown): value is AlertTransition {
  return parseAlertTransition(value).ok;
}

/**
 * The Socket.IO message of a transition: `alert_fired` when firing, `alert_resolved` when
 * resolved; `alert_updated` for an update of one already delivered.
 */
export function alertMessage(alert: AlertTransition): AlertMessage {
  if (alert.updates !== undefined) return { type: 'alert_updated', alert };
  return alert.state === 'firing'
    ? { type: 'alert_fired', alert }
    : { type: 'alert_resolved', alert };
}
