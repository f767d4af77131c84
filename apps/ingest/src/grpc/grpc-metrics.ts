import { Injectable } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';

/**
 * gRPC calls by method and status code. Events accepted and requests rejected are also counted
 * by the shared ingest counters (`auren_ingest_events_accepted_total`,
 * `auren_ingest_requests_rejected_total{reason}`), as for HTTP.
 */
@Injectable()
export class GrpcIngestMetrics {
  readonly calls: Counter<'method' | 'code'>;

  constructor(registry: Registry) {
    this.calls = new Counter({
      name: 'auren_ingest_grpc_calls_total',
      help: 'gRPC ingest calls answered, by method and gRPC status code',
      labelNames: ['method', 'code'],
      registers: [registry],
    });
  }
}
