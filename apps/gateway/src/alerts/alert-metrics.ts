import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';

/** Metrics of alert delivery and of the alerts log reader (docs/gateway.md, "Alerts"). */
@Injectable()
export class AlertMetrics {
  readonly received: Counter<'state'>;
  readonly delivered: Counter<'state'>;
  readonly logErrors: Counter<'backend' | 'kind'>;
  readonly repeats: Counter<'backend'>;
  readonly reading: Gauge<'backend'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.received = new Counter({
      name: 'auren_gateway_alerts_received_total',
      help: 'Alert transitions read from the alerts log and handed to delivery, by state',
      labelNames: ['state'],
      registers,
    });
    this.delivered = new Counter({
      name: 'auren_gateway_alerts_delivered_total',
      help: 'alert_fired / alert_resolved messages handed to connections (one per transition per connection), by state',
      labelNames: ['state'],
      registers,
    });
    this.logErrors = new Counter({
      name: 'auren_gateway_alert_log_errors_total',
      help: 'Alerts log reader errors: failed starts or reads (kind=read, retried) and records that are not valid transitions (kind=invalid, skipped)',
      labelNames: ['backend', 'kind'],
      registers,
    });
    this.repeats = new Counter({
      name: 'auren_gateway_alert_log_repeats_total',
      help: 'Alert transitions dropped because their alert_id was not above the last one delivered (re-publishes, the other hybrid copy)',
      labelNames: ['backend'],
      registers,
    });
    this.reading = new Gauge({
      name: 'auren_gateway_alert_log_reading',
      help: '1 while the alerts log reader of a backend has started and its last read answered',
      labelNames: ['backend'],
      registers,
    });
  }
}
