import { createHmac, timingSafeEqual } from 'node:crypto';
import { backoffDelay } from '@auren/sdk';
import { describeTransition } from './describe';
import type { AlertRule, WebhookFormat } from './rule';
import type { AlertTransition } from './transition';

/** Webhook bodies, signatures and the retry schedule (docs/alerts.md "Webhooks"). */

export const WEBHOOK_SIGNATURE_HEADER = 'X-Auren-Signature';
export const WEBHOOK_DELIVERY_HEADER = 'X-Auren-Delivery';
/** Receivers refuse a signature older or newer than this (replay window). */
export const WEBHOOK_TOLERANCE_SEC = 300;

function hmac(secret: string, timestampSec: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSec}.${body}`).digest('hex');
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, the value of X-Auren-Signature. */
export function signWebhook(secret: string, timestampMs: number, body: string): string {
  const t = Math.floor(timestampMs / 1000);
  return `t=${t},v1=${hmac(secret, t, body)}`;
}

export type WebhookVerification =
  { ok: true; timestampSec: number } | { ok: false; reason: 'malformed' | 'stale' | 'signature' };

/**
 * Checks a signature header against the raw body, as a receiver does: one `t` and at least one
 * `v1` (several are allowed while a secret is rotated); `t` within `toleranceSec` of `nowMs`.
 */
export function verifyWebhook(
  secret: string,
  header: string | undefined,
  body: string,
  nowMs: number,
  toleranceSec = WEBHOOK_TOLERANCE_SEC,
): WebhookVerification {
  if (!header || header.length > 1024) return { ok: false, reason: 'malformed' };
  let timestampSec: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [name, value, extra] = part.trim().split('=');
    if (value === undefined || extra !== undefined) return { ok: false, reason: 'malformed' };
    if (name === 't') {
      if (timestampSec !== undefined || !/^\d{1,12}$/.test(value)) {
        return { ok: false, reason: 'malformed' };
      }
      timestampSec = Number(value);
    } else if (name === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(value)) return { ok: false, reason: 'malformed' };
      signatures.push(value);
    }
  }
  if (timestampSec === undefined || signatures.length === 0) {
    return { ok: false, reason: 'malformed' };
  }
  if (Math.abs(nowMs / 1000 - timestampSec) > toleranceSec) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(hmac(secret, timestampSec, body), 'hex');
  const match = signatures.some((signature) =>
    timingSafeEqual(Buffer.from(signature, 'hex'), expected),
  );
  return match ? { ok: true, timestampSec } : { ok: false, reason: 'signature' };
}

/** Identifies one transition for receivers' de-duplication: `<key>/<seq>`. */
export function webhookDeliveryId(transition: AlertTransition): string {
  return `${transition.key}/${transition.seq}`;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The JSON webhook body (and a natural body for `alert_fired` / `alert_resolved` messages). */
export interface AlertPayload {
  type: 'alert_fired' | 'alert_resolved';
  delivery_id: string;
  rule: { id: string; name: string; severity: string; owner: string };
  key: string;
  agent: string | null;
  state: 'firing' | 'resolved';
  reason: string;
  summary: string;
  value: number | null;
  threshold: number | null;
  window: { from: string; to: string } | null;
  event_ids: string[];
  at: string;
  seq: number;
}

export function alertPayload(transition: AlertTransition, rule: AlertRule): AlertPayload {
  const { id, name, severity, owner } = rule;
  return {
    type: transition.state === 'firing' ? 'alert_fired' : 'alert_resolved',
    delivery_id: webhookDeliveryId(transition),
    rule: { id, name, severity, owner },
    key: transition.key,
    agent: transition.agent,
    state: transition.state,
    reason: transition.reason,
    summary: describeTransition(transition, rule),
    value: transition.value,
    threshold: transition.threshold,
    window: transition.window && {
      from: iso(transition.window.from),
      to: iso(transition.window.to),
    },
    event_ids: transition.eventIds,
    at: iso(transition.at),
    seq: transition.seq,
  };
}

/** Slack mrkdwn treats &, < and > as markup. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The exact body to sign and send: {@link AlertPayload} JSON, or Slack's `{"text": ...}`. */
export function webhookBody(
  transition: AlertTransition,
  rule: AlertRule,
  format: WebhookFormat,
): string {
  if (format === 'json') return JSON.stringify(alertPayload(transition, rule));
  const icon = transition.state === 'firing' ? ':rotating_light:' : ':white_check_mark:';
  const head = `${icon} *[${rule.severity.toUpperCase()}] ${slackEscape(rule.name)}* (${rule.id}) ${transition.state}`;
  return JSON.stringify({ text: `${head}: ${slackEscape(describeTransition(transition, rule))}` });
}

export interface WebhookRetryPolicy {
  /** Attempts in all, the first included; after the last failure the delivery is dead-lettered. */
  maxAttempts: number;
  /** Ceiling of the first retry's delay; it doubles per retry... */
  baseMs: number;
  /** ...up to this. */
  maxMs: number;
  /** The last attempt is never earlier than this after the first one. */
  minSpanMs: number;
}

/** 8 attempts over at least 10 minutes: a receiver down for 10 minutes still gets the alert. */
export const WEBHOOK_RETRY: WebhookRetryPolicy = {
  maxAttempts: 8,
  baseMs: 5_000,
  maxMs: 300_000,
  minSpanMs: 600_000,
};

/**
 * The wait (ms) before the next attempt after `attempts` failed ones, `elapsedMs` after the first
 * started; `null`: give up and dead-letter. Full jitter (`backoffDelay` of @auren/sdk: random in
 * [0, min(maxMs, baseMs·2^(attempts−1))]), except that the last attempt waits at least until
 * `minSpanMs` after the first.
 */
export function retryDelay(
  attempts: number,
  elapsedMs: number,
  policy: WebhookRetryPolicy = WEBHOOK_RETRY,
  random: () => number = Math.random,
): number | null {
  if (attempts >= policy.maxAttempts) return null;
  const delay = backoffDelay(attempts, policy, random);
  const last = attempts + 1 === policy.maxAttempts;
  return last ? Math.max(delay, policy.minSpanMs - elapsedMs) : delay;
}
