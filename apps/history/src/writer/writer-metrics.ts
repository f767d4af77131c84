import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { HistoryReaders } from './history-readers';

/** The history writers' metrics (docs/history.md). */
@Injectable()
export class WriterMetrics {
  readonly eventsWritten: Counter;
  readonly duplicates: Counter;
  readonly writeSeconds: Histogram;
  readonly writeFailures: Counter;
  readonly poison: Counter<'reason'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.eventsWritten = new Counter({
      name: 'auren_history_events_written_total',
      help: 'Events stored in the history database by this writer',
      registers,
    });
    this.duplicates = new Counter({
      name: 'auren_history_duplicates_total',
      help: 'Events handed to this writer that were already stored (redelivered, claimed, or the second copy in hybrid mode)',
      registers,
    });
    this.writeSeconds = new Histogram({
      name: 'auren_history_write_seconds',
      help: 'Time to commit one batch (insert and rollups, one transaction)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.writeFailures = new Counter({
      name: 'auren_history_write_failures_total',
      help: 'Batch writes that failed (the database down or slow); the batch is retried',
      registers,
    });
    this.poison = new Counter({
      name: 'auren_history_poison_total',
      help: 'Stream records acknowledged without being stored, by reason: not_json, not_an_event (not an AUREN event), rejected_by_database',
      labelNames: ['reason'],
      registers,
    });
  }
}

/** `auren_history_lag`, read from the readers when Prometheus scrapes. */
@Injectable()
export class HistoryLagMetric {
  constructor(registry: Registry, readers: HistoryReaders) {
    const registers = [registry];
    new Gauge({
      name: 'auren_history_lag',
      help: 'Events of the stream not written yet by the writers group (Redis: XINFO GROUPS lag + pending; Kafka: high watermark - committed offset; memory: this process), by source',
      labelNames: ['source'],
      registers,
      async collect() {
        await Promise.all(
          readers.all.map(async (reader) => {
            try {
              const lag = await reader.lag();
              if (lag !== null) this.set({ source: reader.source }, lag);
            } catch {
              // Stream away: the last value stays; readiness reports the outage.
            }
          }),
        );
      },
    });
  }
}
