import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  retryDelay,
  signWebhook,
  WEBHOOK_DELIVERY_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
} from '@auren/alerts';
import { AUREN_CONFIG, type AurenConfig } from '@auren/config';
import type { AlertTransition } from '@auren/contracts';
import { ALERT_LOG_PUBLISHER, type AlertLogPublisher, InvalidAlertError } from '@auren/streaming';
import type { SqlSession } from '../store/sql-database';
import { AlertMetrics } from './alert-metrics';
import { AlertStore, type WebhookDelivery } from './alert-store';
import { postWebhook, WebhookRefused } from './webhook-sender';

/** Webhook deliveries in flight at most. */
const WEBHOOK_CONCURRENCY = 4;

/**
 * Hands stored transitions on, on the leader only, never in the evaluator's way: to the alerts log
 * in alert id order (the gateways deliver them to `alerts` subscribers), and to webhooks — signed
 * (HMAC-SHA256, X-Auren-Signature), retried with exponential backoff and full jitter, and
 * dead-lettered after the last attempt. What it has done is marked in the database, so a
 * successor goes on where it stopped.
 */
@Injectable()
export class AlertDispatcher {
  private readonly logger = new Logger('Alerts');
  private store: AlertStore | null = null;
  private running = false;
  private wake: (() => void) | null = null;
  private kicked = false;
  private loop: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly sending = new Set<string>();

  constructor(
    @Inject(AUREN_CONFIG) private readonly config: AurenConfig,
    @Inject(ALERT_LOG_PUBLISHER) private readonly publisher: AlertLogPublisher,
    private readonly metrics: AlertMetrics,
  ) {}

  /** Starts dispatching (this replica leads); `session` is the leader's connection. */
  start(session: SqlSession): void {
    this.store = new AlertStore(session);
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    this.store = null;
  }

  /** Something new was stored: look now. */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.kicked = false;
      let wait = 1000;
      try {
        await this.publish();
        wait = await this.sendDue();
      } catch (error) {
        this.logger.warn(`alert dispatch: ${(error as Error).message}; trying again`);
      }
      if (!this.running) break;
      if (!this.kicked) await this.sleep(wait);
    }
  }

  /** Unpublished transitions and updates, oldest first, until none is left. */
  private async publish(): Promise<void> {
    const store = this.store;
    if (!store) return;
    for (;;) {
      const batch = await store.unpublished(100);
      if (batch.length === 0) return;
      for (const item of batch) {
        try {
          // Idempotent by alert_id: a re-publish after a crash is a no-op for the readers.
          await this.publisher.publish(item.body as unknown as AlertTransition);
          this.metrics.published.inc();
        } catch (error) {
          if (!(error instanceof InvalidAlertError)) throw error;
          // Never retried (it would hold up every later alert): logged and passed.
          this.logger.error(`alert ${item.alertId} not published: ${error.message}`);
        }
      }
      await store.markPublished(batch.map((item) => item.alertId));
      if (batch.length < 100) return;
    }
  }

  /** Starts the due webhook deliveries; returns how long to wait before looking again. */
  private async sendDue(): Promise<number> {
    const store = this.store;
    if (!store) return 1000;
    const free = WEBHOOK_CONCURRENCY - this.inFlight.size;
    if (free > 0) {
      const due = (await store.dueWebhooks(free * 4)).filter(
        (d) => !this.sending.has(`${d.alertId} ${d.url}`),
      );
      for (const delivery of due.slice(0, free)) {
        const id = `${delivery.alertId} ${delivery.url}`;
        this.sending.add(id);
        const attempt = this.attempt(store, delivery).finally(() => {
          this.sending.delete(id);
          this.inFlight.delete(attempt);
          this.kick();
        });
        this.inFlight.add(attempt);
      }
    }
    const next = await store.nextWebhookDue();
    if (!next) return 1000;
    return Math.max(10, Math.min(1000, next.getTime() - Date.now()));
  }

  private async attempt(store: AlertStore, delivery: WebhookDelivery): Promise<void> {
    const alerts = this.config.alerts;
    const started = performance.now();
    const body = delivery.payload;
    const headers = {
      [WEBHOOK_SIGNATURE_HEADER]: signWebhook(delivery.secret, Date.now(), body),
      [WEBHOOK_DELIVERY_HEADER]: `${String(delivery.body.key)}/${String(delivery.body.seq)}`,
      'x-auren-alert-id': delivery.alertId,
    };
    let status: number | null = null;
    let error: string;
    let refused = false;
    try {
      const answer = await postWebhook(delivery.url, headers, body, {
        timeoutMs: alerts.webhookTimeoutMs,
        allowPrivate: alerts.webhookAllowPrivate,
      });
      status = answer.status;
      if (status >= 200 && status < 300) {
        this.metrics.webhookSeconds.observe((performance.now() - started) / 1000);
        this.metrics.webhookAttempts.inc({ outcome: 'delivered' });
        await store.webhookDelivered(delivery.alertId, delivery.url, status);
        return;
      }
      error = `answered ${status}`;
      // A 4xx other than 408 and 429 will not get better by retrying: dead-lettered at once.
      refused = status >= 400 && status < 500 && status !== 408 && status !== 429;
    } catch (failure) {
      refused = failure instanceof WebhookRefused;
      error = (failure as Error).message;
    }
    this.metrics.webhookSeconds.observe((performance.now() - started) / 1000);
    const attempts = delivery.attempts + 1;
    const firstAt = Date.now() - this.elapsedSince(delivery);
    const delay = refused
      ? null
      : retryDelay(attempts, Date.now() - firstAt, {
          maxAttempts: alerts.webhookMaxAttempts,
          baseMs: alerts.webhookRetryBaseMs,
          maxMs: Math.max(alerts.webhookRetryBaseMs, alerts.webhookRetrySpanMs / 2),
          minSpanMs: alerts.webhookRetrySpanMs,
        });
    const outcome = refused && status === null ? 'refused' : delay === null ? 'dead' : 'failed';
    this.metrics.webhookAttempts.inc({ outcome });
    if (delay === null) {
      this.metrics.deadLetters.inc();
      this.logger.warn(
        `alert ${delivery.alertId}: webhook to ${new URL(delivery.url).host} dead-lettered after ${attempts} attempt(s): ${error}`,
      );
    }
    await store.webhookFailed(
      delivery.alertId,
      delivery.url,
      error,
      status,
      delay === null ? null : new Date(Date.now() + delay),
    );
  }

  /** Time since the delivery's first attempt (from its transition's decision time). */
  private elapsedSince(delivery: WebhookDelivery): number {
    const at = Date.parse(String(delivery.body.at));
    return Number.isFinite(at) ? Math.max(0, Date.now() - at) : 0;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }
}
