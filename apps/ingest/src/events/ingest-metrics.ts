import { performance } from 'node:perf_hooks';
import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';
import type { RejectReason } from '@auren/platform';

@Injectable()
export class IngestMetrics {
  readonly accepted: Counter;
  readonly duplicates: Counter;
  readonly rejected: Counter<'reason'>;
  readonly backendLatency: Histogram<'backend' | 'outcome'>;
  private readonly writeLabels = new Map<string, { backend: string; outcome: string }>();

  constructor(registry: Registry) {
    this.accepted = new Counter({
      name: 'auren_ingest_events_accepted_total',
      help: 'Events written to the stream (answered 202, not duplicates)',
      registers: [registry],
    });
    this.duplicates = new Counter({
      name: 'auren_ingest_events_duplicate_total',
      help: 'Events answered duplicate: true (event_id seen within the dedupe window)',
      registers: [registry],
    });
    this.rejected = new Counter({
      name: 'auren_ingest_requests_rejected_total',
      help: 'Requests refused, by reason',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.backendLatency = new Histogram({
      name: 'auren_ingest_backend_write_seconds',
      help: 'Time from handing events to the stream backend to its confirmation',
      labelNames: ['backend', 'outcome'],
      buckets: [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5],
      registers: [registry],
    });
  }

  /**
   * One backend write of `backendLatency`, timed from `startedMs` (`performance.now()`). Label
   * objects are kept per backend and outcome: this runs for every request.
   */
  observeWrite(backend: string, outcome: 'ok' | 'error', startedMs: number): void {
    const key = `${backend}|${outcome}`;
    let labels = this.writeLabels.get(key);
    if (!labels) {
      labels = { backend, outcome };
      this.writeLabels.set(key, labels);
    }
    this.backendLatency.observe(labels, (performance.now() - startedMs) / 1000);
  }

  reject(reason: RejectReason): void {
    this.rejected.inc({ reason });
  }
}
