import { validateRule } from './rule';
import type { AlertTransition } from './transition';
import {
  alertPayload,
  retryDelay,
  signWebhook,
  verifyWebhook,
  WEBHOOK_RETRY,
  webhookBody,
} from './webhook';

const SECRET = 'whsec_0123456789abcdef';
const NOW = Date.UTC(2025, 0, 2, 3, 4, 5);

const rule = validateRule({
  id: 'cost-runaway',
  name: 'Cost <runaway> & co',
  owner: 'alice',
  severity: 'critical',
  condition: { kind: 'threshold', metric: 'cost_sum', op: '>', value: 10, window: '5m' },
});

const transition: AlertTransition = {
  ruleId: 'cost-runaway',
  key: 'cost-runaway:neuro<scientist>',
  agent: 'neuro<scientist>',
  owner: 'alice',
  severity: 'critical',
  state: 'firing',
  reason: 'condition',
  value: 12.5,
  threshold: 10,
  window: { from: NOW - 300_000, to: NOW },
  eventIds: ['e1', 'e2'],
  at: NOW,
  seq: NOW * 1000,
};

describe('signWebhook / verifyWebhook', () => {
  const body = JSON.stringify({ hello: 'world' });

  it('round-trips: t is unix seconds, v1 a 64-hex HMAC', () => {
    const header = signWebhook(SECRET, NOW, body);
    expect(header).toMatch(new RegExp(`^t=${Math.floor(NOW / 1000)},v1=[0-9a-f]{64}$`));
    expect(verifyWebhook(SECRET, header, body, NOW + 10_000)).toEqual({
      ok: true,
      timestampSec: Math.floor(NOW / 1000),
    });
  });

  it('refuses a tampered body, another secret or a forged timestamp', () => {
    const header = signWebhook(SECRET, NOW, body);
    expect(verifyWebhook(SECRET, header, body.replace('world', 'World'), NOW)).toEqual({
      ok: false,
      reason: 'signature',
    });
    expect(verifyWebhook('another-secret-of-16+', header, body, NOW).ok).toBe(false);
    const forged = header.replace(/^t=\d+/, `t=${Math.floor(NOW / 1000) + 1}`);
    expect(verifyWebhook(SECRET, forged, body, NOW)).toEqual({ ok: false, reason: 'signature' });
  });

  it('refuses a replay outside the 5-minute window, in either direction', () => {
    const header = signWebhook(SECRET, NOW, body);
    expect(verifyWebhook(SECRET, header, body, NOW + 300_000).ok).toBe(true);
    expect(verifyWebhook(SECRET, header, body, NOW + 301_000)).toEqual({
      ok: false,
      reason: 'stale',
    });
    expect(verifyWebhook(SECRET, header, body, NOW - 301_000).ok).toBe(false);
  });

  it('accepts any of several v1 signatures (secret rotation) and refuses malformed headers', () => {
    const old = signWebhook('the-old-secret-1234', NOW, body).split(',')[1];
    const both = `${signWebhook(SECRET, NOW, body)},${old}`;
    expect(verifyWebhook('the-old-secret-1234', both, body, NOW).ok).toBe(true);
    for (const bad of [
      undefined,
      '',
      'v1=abc',
      `t=${NOW / 1000}`,
      't=1,t=2,v1=' + 'a'.repeat(64),
    ]) {
      expect(verifyWebhook(SECRET, bad, body, NOW)).toEqual({ ok: false, reason: 'malformed' });
    }
  });
});

describe('webhookBody', () => {
  it('json: the documented payload', () => {
    const body = JSON.parse(webhookBody(transition, rule, 'json')) as unknown;
    expect(body).toEqual(alertPayload(transition, rule));
    expect(body).toMatchObject({
      type: 'alert_fired',
      delivery_id: `cost-runaway:neuro<scientist>/${NOW * 1000}`,
      rule: {
        id: 'cost-runaway',
        name: 'Cost <runaway> & co',
        severity: 'critical',
        owner: 'alice',
      },
      agent: 'neuro<scientist>',
      value: 12.5,
      threshold: 10,
      window: { from: '2025-01-02T02:59:05.000Z', to: '2025-01-02T03:04:05.000Z' },
      event_ids: ['e1', 'e2'],
      at: '2025-01-02T03:04:05.000Z',
      summary: 'cost_sum over 5m is 12.5, > 10 (agent neuro<scientist>)',
    });
  });

  it('slack: one text with Slack markup characters escaped', () => {
    const body = JSON.parse(webhookBody(transition, rule, 'slack')) as { text: string };
    expect(Object.keys(body)).toEqual(['text']);
    expect(body.text).toBe(
      ':rotating_light: *[CRITICAL] Cost &lt;runaway&gt; &amp; co* (cost-runaway) firing: ' +
        'cost_sum over 5m is 12.5, &gt; 10 (agent neuro&lt;scientist&gt;)',
    );
  });
});

describe('retryDelay', () => {
  it('is full jitter: a random share of a doubling ceiling capped at 5 minutes', () => {
    const ceilings = [1, 2, 3, 4, 5, 6].map((attempt) =>
      retryDelay(attempt, 0, WEBHOOK_RETRY, () => 1),
    );
    expect(ceilings).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 160_000]);
    expect(retryDelay(3, 0, WEBHOOK_RETRY, () => 0.5)).toBe(10_000);
    expect(retryDelay(3, 0, WEBHOOK_RETRY, () => 0)).toBe(0);
  });

  it('holds the last attempt until 10 minutes after the first, then dead-letters', () => {
    // Unlucky jitter (always 0): the first seven attempts happen at once...
    expect(retryDelay(7, 2_000, WEBHOOK_RETRY, () => 0)).toBe(598_000);
    // ...lucky jitter past 10 minutes keeps its own delay.
    expect(retryDelay(7, 500_000, WEBHOOK_RETRY, () => 1)).toBe(300_000);
    expect(retryDelay(8, 0, WEBHOOK_RETRY, () => 1)).toBeNull();
  });

  it('covers a 10-minute outage whatever the jitter', () => {
    for (const share of [0, 0.25, 0.5, 1]) {
      let elapsed = 0;
      let attempts = 1;
      for (let delay = retryDelay(attempts, elapsed, WEBHOOK_RETRY, () => share); delay !== null;) {
        elapsed += delay;
        attempts += 1;
        delay = retryDelay(attempts, elapsed, WEBHOOK_RETRY, () => share);
      }
      expect(attempts).toBe(8);
      expect(elapsed).toBeGreaterThanOrEqual(600_000);
      expect(elapsed).toBeLessThanOrEqual(915_000);
    }
  });
});
