import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The alerts' metrics (docs/alerts.md, "Metrics"). */
@Injectable()
export class AlertMetrics {
  readonly rulesLoaded: Gauge;
  readonly leader: Gauge;
  readonly evaluations: Counter;
  readonly transitions: Counter<'severity' | 'state'>;
  readonly lagSeconds: Gauge;
  readonly webhookAttempts: Counter<'outcome'>;
  readonly webhookSeconds: Histogram;
  readonly deadLetters: Counter;
  readonly published: Counter;
  readonly storeFailures: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.rulesLoaded = new Gauge({
      name: 'auren_alert_rules_loaded',
      help: 'Alert rules the evaluator holds (0 on replicas that do not lead)',
      registers,
    });
    this.leader = new Gauge({
      name: 'auren_alert_leader',
      help: '1 while this replica evaluates the rules (holds the advisory lock), else 0',
      registers,
    });
    this.evaluations = new Counter({
      name: 'auren_alert_evaluations_total',
      help: 'Stream events evaluated against the rules',
      registers,
    });
    this.transitions = new Counter({
      name: 'auren_alert_transitions_total',
      help: 'Alert transitions stored (each once), by severity and state (firing, resolved)',
      labelNames: ['severity', 'state'],
      registers,
    });
    this.lagSeconds = new Gauge({
      name: 'auren_alert_evaluation_lag_seconds',
      help: 'Time between an event entering the stream and its evaluation, for the last event evaluated',
      registers,
    });
    this.webhookAttempts = new Counter({
      name: 'auren_alert_webhook_attempts_total',
      help: 'Webhook delivery attempts, by outcome: delivered, failed (retried), dead (dead-lettered), refused (address not allowed)',
      labelNames: ['outcome'],
      registers,
    });
    this.webhookSeconds = new Histogram({
      name: 'auren_alert_webhook_seconds',
      help: 'Time of one webhook attempt, until the answer or the timeout',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.deadLetters = new Counter({
      name: 'auren_alert_webhook_dead_letters_total',
      help: 'Webhook deliveries given up after the last attempt (listed by the webhookDeadLetters query)',
      registers,
    });
    this.published = new Counter({
      name: 'auren_alert_published_total',
      help: 'Alert transitions and updates handed to the alerts log (dashboards)',
      registers,
    });
    this.storeFailures = new Counter({
      name: 'auren_alert_store_failures_total',
      help: 'Failed writes of transitions and checkpoints (retried)',
      registers,
    });
  }
}
