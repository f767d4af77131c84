import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PerformanceSummaryMessage, StreamedEvent, Viewer } from '@auren/contracts';
import { AUREN_CONFIG, AurenConfig } from '@auren/config';
import { EVENT_LOG, EventLog } from '@auren/streaming';
import type { AurenServer } from '../connections/socket-types';
import { FigureStore } from './figure-store';
import { readForWarmUp } from './warm-up';

export type SummaryData = PerformanceSummaryMessage['data'];

/**
 * The performance cache (docs/summaries.md): per-agent and collaboration figures computed from
 * the stream — rebuilt from history by {@link warmUp} before live events flow, then kept current
 * by {@link record} — plus this pod's system figures. Broadcasts `performance_summary` to
 * `agent_performance` subscribers every `AUREN_SUMMARY_INTERVAL_MS`, each with its own view.
 */
@Injectable()
export class SummaryService implements OnModuleDestroy {
  private readonly logger = new Logger(SummaryService.name);
  private store: FigureStore;
  private received = 0;
  private sent = 0;
  private readonly startedAt = Date.now();
  private server?: AurenServer;
  private timer?: NodeJS.Timeout;
  private readonly buildSeconds: Histogram<'trigger'>;
  private readonly evictions: Counter;

  constructor(
    registry: Registry,
    @Inject(AUREN_CONFIG) private readonly config: AurenConfig,
    @Inject(EVENT_LOG) private readonly log: EventLog,
  ) {
    const registers = [registry];
    this.buildSeconds = new Histogram({
      name: 'auren_gateway_summary_seconds',
      help: 'Time to build performance summaries: one broadcast round (all subscribers) or one GET /v1/summary',
      labelNames: ['trigger'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    });
    this.evictions = new Counter({
      name: 'auren_gateway_summary_evictions_total',
      help: 'Summary cache entries evicted because AUREN_SUMMARY_MAX_ENTRIES was reached',
      registers,
    });
    const size = () => this.store.size;
    new Gauge({
      name: 'auren_gateway_summary_entries',
      help: 'Entries in the summary cache ((owner, agent) and collaboration entries)',
      registers,
      collect() {
        this.set(size());
      },
    });
    this.store = this.newStore();
  }

  /** Hot path: called once per live event, in stream order. O(1). */
  record(event: StreamedEvent): void {
    this.received += 1;
    this.store.apply(event);
  }

  /** Hot path: how many connections the last emit reached. */
  countSent(recipients: number): void {
    this.sent += recipients;
  }

  /**
   * Rebuilds the figures from the newest `AUREN_SUMMARY_WARMUP_EVENTS` stream records up to and
   * including `through`, oldest first, before live events flow. Safe to retry: it builds a new
   * cache and swaps it in only once the read succeeded.
   */
  async warmUp(through: string): Promise<void> {
    const started = performance.now();
    const read = await readForWarmUp(this.log, through, this.config.summaryWarmupEvents);
    const store = this.newStore();
    for (const event of read.events) store.apply(event);
    this.store = store;
    const ms = Math.round(performance.now() - started);
    const range = read.from ? ` (${read.from} .. ${through})` : '';
    this.logger.log(`Summaries warmed up from ${read.records} stream records${range} in ${ms} ms`);
  }

  /** Starts the broadcast timer; called with the Socket.IO server once it exists. */
  attach(server: AurenServer): void {
    this.server = server;
    clearInterval(this.timer);
    this.timer = setInterval(() => this.broadcast(), this.config.summaryIntervalMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** What `viewer` may see: figures of the events visible to it, and this pod's system figures. */
  summaryFor(viewer: Viewer): SummaryData {
    return { ...this.store.render(viewer), system: this.system() };
  }

  /** `GET /v1/summary`'s answer for `viewer`. */
  messageFor(viewer: Viewer): PerformanceSummaryMessage {
    const end = this.buildSeconds.startTimer({ trigger: 'request' });
    try {
      return {
        type: 'performance_summary',
        timestamp: new Date().toISOString(),
        data: this.summaryFor(viewer),
      };
    } finally {
      end();
    }
  }

  /**
   * One round: every live connection subscribed to `agent_performance` gets its own view.
   * Connections with the same view (same user scope, permissions and filter) share one build.
   */
  broadcast(): void {
    const server = this.server;
    if (!server) return;
    const end = this.buildSeconds.startTimer({ trigger: 'broadcast' });
    let built = 0;
    try {
      const timestamp = new Date().toISOString();
      const system = this.system();
      const views = new Map<string, PerformanceSummaryMessage>();
      for (const socket of server.sockets.sockets.values()) {
        const state = socket.data.state;
        // A slow connection (queue full) gets no summary either until it drains.
        if (!state?.live || state.slow || !state.subscriptions.has('agent_performance')) continue;
        const key = viewKey(state);
        let message = views.get(key);
        if (!message) {
          message = {
            type: 'performance_summary',
            timestamp,
            data: { ...this.store.render(state), system },
          };
          views.set(key, message);
          built += 1;
        }
        socket.emit('performance_summary', message);
      }
    } catch (error) {
      this.logger.error(`Summary broadcast failed: ${(error as Error).message}`);
    } finally {
      if (built > 0) end();
    }
  }

  private system(): SummaryData['system'] {
    return {
      active_connections: this.server?.sockets.sockets.size ?? 0,
      events_received: this.received,
      events_sent: this.sent,
      uptime_seconds: Math.floor((Date.now() - this.startedAt) / 1000),
    };
  }

  private newStore(): FigureStore {
    return new FigureStore(this.config.summaryMaxEntries, () => this.evictions.inc());
  }
}

/** Viewers with the same key see the same figures. */
function viewKey(viewer: Viewer): string {
  return JSON.stringify([
    viewer.seesAllUsers ? null : viewer.userId,
    viewer.allowedAgents === null ? null : [...viewer.allowedAgents].sort(),
    [...viewer.agentFilter].sort(),
  ]);
}
