import type { AlertTransition, StreamedEvent } from '../contracts';
import { AgentDetailAggregate } from './agent-detail';
import { AgentAggregate, type CollaborationEdge } from './agents';
import { Deque } from './deque';
import { eventPartners, eventTime } from './event-facts';
import { GroupIndex, type LiveRunIndex } from './groups';
import { RingBuffer } from './ring';
import { TimeBuckets } from './series';

/** Schedules one flush: the next animation frame, or a timer when frames do not come (hidden tab). */
export type FlushScheduler = (flush: () => void) => void;

export const browserScheduler: FlushScheduler = (flush) => {
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    flush();
  };
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(run);
  // Background tabs get no frames: a timer keeps the buffer bounded there.
  setTimeout(run, 250);
};

export interface StoreCounters {
  /** `stream_event`s and `recent_events` entries handed to the store since the page loaded. */
  received: number;
  /** Of those, repeats of an event already held (a reload of recent events, a resume overlap). */
  duplicates: number;
  /** Events pushed out of the bounded buffer by newer ones. */
  evicted: number;
  /** Events dropped by a filter change (the buffer was emptied to follow the new filter). */
  cleared: number;
}

export const DEFAULT_CAPACITY = 20_000;
const ALERTS_KEPT = 5_000;

/**
 * What the live views read: a bounded buffer of events, the figures built from them, and the
 * alert transitions received. Events are queued and applied once per animation frame; listeners
 * hear one notification per flush, never one per event.
 */
export class LiveStore {
  readonly events: RingBuffer<StreamedEvent>;
  private readonly ids = new Set<string>();
  readonly series = new TimeBuckets();
  readonly agents = new Map<string, AgentAggregate>();
  readonly edges = new Map<string, CollaborationEdge>();
  /**
   * Slices of the buffer kept as events enter and leave it (O(1) per event), so that no view
   * scans the 20,000 buffered events: per agent its detail figures and events, per trace and
   * session its events, and the `agent_collaboration` events.
   */
  readonly agentDetails = new Map<string, AgentDetailAggregate>();
  private readonly traces = new GroupIndex((event) => event.trace_id);
  private readonly sessions = new GroupIndex((event) => event.session_id);
  readonly runs: LiveRunIndex = { traces: this.traces.groups, sessions: this.sessions.groups };
  readonly collaborations = new Deque<StreamedEvent>();
  /** Every alert_fired/resolved/updated body received, oldest first (bounded). */
  alerts: AlertTransition[] = [];
  readonly counters: StoreCounters = { received: 0, duplicates: 0, evicted: 0, cleared: 0 };
  /** Increments with every change listeners should see. */
  version = 0;
  private pending: StreamedEvent[] = [];
  private pendingAlerts: AlertTransition[] = [];
  private scheduled = false;
  private readonly listeners = new Set<() => void>();

  constructor(
    capacity = DEFAULT_CAPACITY,
    private readonly schedule: FlushScheduler = browserScheduler,
    private readonly clock: () => number = Date.now,
  ) {
    this.events = new RingBuffer(capacity);
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getVersion = (): number => this.version;

  /** Queues events (oldest first) for the next flush. */
  enqueue(events: readonly StreamedEvent[]): void {
    this.counters.received += events.length;
    for (const event of events) this.pending.push(event);
    this.request();
  }

  enqueueAlert(alert: AlertTransition): void {
    this.pendingAlerts.push(alert);
    this.request();
  }

  private request(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => this.flush());
  }

  /** Applies what was queued and notifies listeners once. */
  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0 && this.pendingAlerts.length === 0) return;
    const now = this.clock();
    const batch = this.pending;
    this.pending = [];
    for (const event of batch) this.apply(event, now);
    if (this.pendingAlerts.length) {
      this.alerts = this.alerts.concat(this.pendingAlerts);
      this.pendingAlerts = [];
      if (this.alerts.length > ALERTS_KEPT) this.alerts = this.alerts.slice(-ALERTS_KEPT);
    }
    this.version++;
    for (const listener of this.listeners) listener();
  }

  private apply(event: StreamedEvent, now: number): void {
    if (this.ids.has(event.event_id)) {
      this.counters.duplicates++;
      return;
    }
    this.ids.add(event.event_id);
    const dropped = this.events.push(event);
    if (dropped) {
      this.ids.delete(dropped.event_id);
      this.counters.evicted++;
      this.unindex(dropped);
    }
    this.index(event, now);
    this.series.add(event, now);
    const id = event.source_agent.id;
    let agent = this.agents.get(id);
    if (!agent) {
      agent = new AgentAggregate(id);
      this.agents.set(id, agent);
    }
    agent.add(event, now);
    const at = eventTime(event, now);
    for (const partner of eventPartners(event)) {
      const key = `${id}\u0000${partner}`;
      const edge = this.edges.get(key) ?? { source: id, target: partner, count: 0, lastAt: 0 };
      edge.count++;
      edge.lastAt = Math.max(edge.lastAt, at);
      this.edges.set(key, edge);
    }
  }

  private index(event: StreamedEvent, now: number): void {
    const id = event.source_agent.id;
    let detail = this.agentDetails.get(id);
    if (!detail) {
      detail = new AgentDetailAggregate(id);
      this.agentDetails.set(id, detail);
    }
    detail.add(event, eventTime(event, now));
    this.traces.add(event);
    this.sessions.add(event);
    if (event.event_type === 'agent_collaboration') this.collaborations.push(event);
  }

  /** `event` left the buffer: the oldest of every slice it is in. */
  private unindex(event: StreamedEvent): void {
    const detail = this.agentDetails.get(event.source_agent.id);
    if (detail) {
      detail.removeOldest();
      if (detail.length === 0) this.agentDetails.delete(event.source_agent.id);
    }
    this.traces.remove(event);
    this.sessions.remove(event);
    if (this.collaborations.peek() === event) this.collaborations.shift();
  }

  /** Empties the buffer and figures (a filter change: what was shown no longer applies). */
  reset(): void {
    this.counters.cleared += this.events.length + this.pending.length;
    this.pending = [];
    this.events.clear();
    this.ids.clear();
    this.series.clear();
    this.agents.clear();
    this.edges.clear();
    this.agentDetails.clear();
    this.traces.clear();
    this.sessions.clear();
    this.collaborations.clear();
    this.version++;
    for (const listener of this.listeners) listener();
  }

  has(eventId: string): boolean {
    return this.ids.has(eventId);
  }

  /** Newest first, those matching `predicate`, at most `limit`. */
  newest(predicate: (event: StreamedEvent) => boolean, limit = Infinity): StreamedEvent[] {
    const out: StreamedEvent[] = [];
    for (let i = 0; i < this.events.length && out.length < limit; i++) {
      const event = this.events.fromNewest(i) as StreamedEvent;
      if (predicate(event)) out.push(event);
    }
    return out;
  }
}
