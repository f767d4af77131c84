import { Inject, Injectable } from '@nestjs/common';
import { Gauge, Registry } from 'prom-client';
import { EVENT_LOG, EventLog, isPosition } from '@auren/streaming';
import { DeliveryService } from './delivery.service';

/** Milliseconds between a position's time part and another's (Redis ids start with a time). */
function millisBetween(from: string, to: string): number {
  // Kafka positions carry no time: the gauge stays at 0 there (see docs/kafka.md).
  if (!isPosition(from) || !isPosition(to)) return 0;
  return Math.max(0, Number(to.split('-')[0]) - Number(from.split('-')[0]));
}

/**
 * `auren_gateway_stream_lag_ms`: how far live delivery is behind the stream head, in the time
 * part of the positions, read from the backend when Prometheus scrapes.
 */
@Injectable()
export class StreamLagMetric {
  constructor(registry: Registry, @Inject(EVENT_LOG) log: EventLog, delivery: DeliveryService) {
    new Gauge({
      name: 'auren_gateway_stream_lag_ms',
      help: 'Time part of the stream head position minus that of the last event delivered (0: caught up)',
      registers: [registry],
      async collect() {
        try {
          this.set(millisBetween(delivery.deliveredThrough, await log.headPosition()));
        } catch {
          // Backend away: leave the last value; readiness reports the outage.
        }
      },
    });
  }
}
