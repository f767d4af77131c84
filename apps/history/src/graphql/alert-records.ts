import type { Silence, StoredRule } from '../alerts/alert-store';
import type { QueryViewer } from '../queries';
import {
  Alert,
  AlertRule,
  AlertSeverityEnum,
  AlertSilence,
  AlertStateEnum,
} from './models/alert.model';

/**
 * What the alerts API answers, made from what the alert store holds: the transition body (the
 * contract's AlertTransition, snake_case), stored rules and silences.
 */

/** A transition as read: its body (with `alert_id`) and whether it is acknowledged. */
export interface TransitionRow {
  alertId: string;
  body: Record<string, unknown>;
  acknowledged: boolean;
}

const text = (value: unknown): string | null =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;

const numberOrNull = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

/** RFC 3339 as stored; milliseconds since the epoch (an older body) turned into RFC 3339. */
function time(value: unknown): string {
  if (typeof value === 'number') return new Date(value).toISOString();
  return String(value);
}

function windowOf(value: unknown): Alert['window'] {
  if (typeof value !== 'object' || value === null) return null;
  const { from, to } = value as { from?: unknown; to?: unknown };
  if (from === undefined || to === undefined) return null;
  return { from: time(from), to: time(to) };
}

/** Whether an active silence covers the alert now (as the evaluator's SilenceBook decides). */
export function coveredBy(
  silences: readonly Silence[],
  alert: { owner: string; ruleId: string; agentId: string | null },
  now = Date.now(),
): Silence | undefined {
  return silences.find(
    (silence) =>
      silence.endsAt.getTime() > now &&
      silence.owner === alert.owner &&
      (silence.ruleId === null || silence.ruleId === alert.ruleId) &&
      (silence.agentId === null || silence.agentId === alert.agentId),
  );
}

/**
 * An alert of the API. `silences`: the active ones of its owner; a firing alert they cover is
 * shown `silenced` (its stored body keeps what was true when it was decided).
 */
export function alertOf(row: TransitionRow, silences: readonly Silence[] = []): Alert {
  const body = row.body;
  const eventIds = Array.isArray(body.event_ids) ? body.event_ids.map(String) : [];
  const alert: Alert = {
    alertId: row.alertId,
    ruleId: String(body.rule_id),
    ruleName: text(body.rule_name) ?? String(body.rule_id),
    severity: String(body.severity) as AlertSeverityEnum,
    owner: String(body.owner),
    key: String(body.key),
    agentId: text(body.agent_id),
    state: (body.state === 'firing' ? 'firing' : 'resolved') as AlertStateEnum,
    value: numberOrNull(body.value),
    threshold: numberOrNull(body.threshold),
    window: windowOf(body.window),
    eventIds,
    at: time(body.at),
    seq: Number(body.seq),
    reason: text(body.reason),
    silenced: body.silenced === true,
    acknowledged: row.acknowledged,
  };
  if (!alert.silenced && alert.state === AlertStateEnum.FIRING && coveredBy(silences, alert)) {
    alert.silenced = true;
  }
  return alert;
}

/** Alerts naming an agent are shown only to tokens allowed that agent (as the gateway does). */
export function agentVisible(viewer: QueryViewer, agentId: string | null): boolean {
  return (
    agentId === null || viewer.allowedAgents === null || viewer.allowedAgents.includes(agentId)
  );
}

function webhookOf(rule: Record<string, unknown>): Record<string, unknown> | undefined {
  const webhook = rule.webhook;
  return typeof webhook === 'object' && webhook !== null
    ? (webhook as Record<string, unknown>)
    : undefined;
}

/** The stored rule's webhook secret, if it has one. */
export function webhookSecretOf(rule: Record<string, unknown>): string | undefined {
  const secret = webhookOf(rule)?.secret;
  return typeof secret === 'string' ? secret : undefined;
}

/** A stored rule as answered: the webhook secret is write-only, `webhookSecretSet` says if any. */
export function ruleOf(stored: StoredRule): AlertRule {
  const rule = { ...stored.rule };
  const webhook = webhookOf(rule);
  if (webhook) {
    const { secret: _secret, ...shown } = webhook;
    rule.webhook = shown;
  }
  return {
    id: stored.id,
    owner: stored.owner,
    name: typeof rule.name === 'string' ? rule.name : stored.id,
    severity: (typeof rule.severity === 'string' ? rule.severity : 'warning') as AlertSeverityEnum,
    enabled: rule.enabled !== false,
    webhookSecretSet: webhookSecretOf(stored.rule) !== undefined,
    source: stored.source,
    rule,
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
  };
}

export function silenceOf(silence: Silence, now = Date.now()): AlertSilence {
  return { ...silence, active: silence.endsAt.getTime() > now };
}

export { storedRuleForm } from '../alerts/alert-store';
