import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';

/** Read at each scrape, from the Socket.IO server and the connection registry. */
export interface ConnectionCounts {
  /** Connected Socket.IO sockets. */
  sockets(): number;
  /** Reserved connection slots. */
  slots(): number;
}

@Injectable()
export class GatewayMetrics {
  readonly connectionsRefused: Counter<'code'>;
  readonly handshakesAbandoned: Counter;
  readonly eventsReceived: Counter;
  readonly eventsRouted: Counter;
  readonly deliveries: Counter;
  readonly slowConsumers: Counter;
  readonly gaps: Counter;
  readonly skipped: Counter;
  readonly resumes: Counter<'outcome'>;
  readonly streamResets: Counter<'reason'>;
  /** Largest outgoing queue (packets) of any connection since start. */
  queueHighWater = 0;
  readonly poisonRecords: Counter;
  /** Second copies dropped (Kafka, hybrid) and events taken back by a tombstone (hybrid `all`). */
  readonly copies: Counter<'outcome'>;
  readonly copiesWaiting: Gauge;
  readonly replayed: Counter;
  readonly clientErrors: Counter<'code'>;

  /** Set by the connections gateway once Socket.IO is up; zero before. */
  private counts: ConnectionCounts = { sockets: () => 0, slots: () => 0 };

  constructor(registry: Registry) {
    const registers = [registry];
    // Both read from the real state at scrape time (never counted up and down), so they cannot
    // drift; at rest they are equal.
    const counts = (): ConnectionCounts => this.counts;
    new Gauge({
      name: 'auren_gateway_connections',
      help: 'Connected Socket.IO sockets',
      registers,
      collect() {
        this.set(counts().sockets());
      },
    });
    new Gauge({
      name: 'auren_gateway_connection_slots',
      help: 'Reserved connection slots (AUREN_MAX_CONNECTIONS); equal to auren_gateway_connections at rest',
      registers,
      collect() {
        this.set(counts().slots());
      },
    });
    this.handshakesAbandoned = new Counter({
      name: 'auren_gateway_handshakes_abandoned_total',
      help: 'Handshakes whose transport closed before they could take a slot',
      registers,
    });
    this.connectionsRefused = new Counter({
      name: 'auren_gateway_connections_refused_total',
      help: 'Handshakes refused, by connect_error code',
      labelNames: ['code'],
      registers,
    });
    this.eventsReceived = new Counter({
      name: 'auren_gateway_events_received_total',
      help: 'Events read from the stream',
      registers,
    });
    this.eventsRouted = new Counter({
      name: 'auren_gateway_events_routed_total',
      help: 'Events emitted to at least one room',
      registers,
    });
    this.deliveries = new Counter({
      name: 'auren_gateway_deliveries_total',
      help: 'stream_event messages handed to connections (one per event per connection)',
      registers,
    });
    this.slowConsumers = new Counter({
      name: 'auren_gateway_slow_consumers_total',
      help: 'Times a connection was left out of live emits because its queue was full',
      registers,
    });
    this.gaps = new Counter({
      name: 'auren_gateway_stream_gaps_total',
      help: 'stream_gap notices sent',
      registers,
    });
    this.skipped = new Counter({
      name: 'auren_gateway_events_skipped_total',
      help: 'Events slow connections missed (counted in stream_gap notices)',
      registers,
    });
    this.resumes = new Counter({
      name: 'auren_gateway_resumes_total',
      help: 'Connections that resumed from a position, by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.streamResets = new Counter({
      name: 'auren_gateway_stream_resets_total',
      help: 'Times the stream was found reset or lost (stream_reset sent to every connection), by reason',
      labelNames: ['reason'],
      registers,
    });
    const highWater = (): number => this.queueHighWater;
    new Gauge({
      name: 'auren_gateway_client_queue_high_water',
      help: 'Largest outgoing queue of any connection since start, in packets',
      registers,
      collect() {
        this.set(highWater());
      },
    });
    this.copies = new Counter({
      name: 'auren_gateway_copies_total',
      help: 'Kafka and hybrid: copies of an event_id dropped as duplicates, and events cancelled by a hybrid all tombstone',
      labelNames: ['outcome'],
      registers,
    });
    this.copiesWaiting = new Gauge({
      name: 'auren_gateway_copies_waiting',
      help: 'Hybrid all: events waiting for their second copy',
      registers,
    });
    this.poisonRecords = new Counter({
      name: 'auren_gateway_stream_poison_total',
      help: 'Stream records skipped because they were not valid events',
      registers,
    });
    this.replayed = new Counter({
      name: 'auren_gateway_events_replayed_total',
      help: 'Events sent to resuming connections from the stream',
      registers,
    });
    this.clientErrors = new Counter({
      name: 'auren_gateway_client_errors_total',
      help: 'Error replies to client messages, by code',
      labelNames: ['code'],
      registers,
    });
  }

  observeConnections(counts: ConnectionCounts): void {
    this.counts = counts;
  }
}
