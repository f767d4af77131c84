import type { StreamedEvent } from '../contracts';
import { eventFailed, eventPartners, eventTime, eventTokens } from './event-facts';
import { quantile } from './ring';

export type AgentStatus = 'running' | 'idle' | 'silent';

/** An agent is `running` with an execution open or an event in the last 10 s. */
export const RUNNING_MS = 10_000;
/** `idle` when its last event is under 5 minutes old, `silent` after. */
export const IDLE_MS = 5 * 60_000;
/** Minutes of per-minute counts a card's sparkline shows. */
export const SPARK_MINUTES = 30;
const LATENCIES_KEPT = 512;

/** What the overview's cards show of one agent (since the page loaded or the filter changed). */
export class AgentAggregate {
  role: string | undefined;
  ops = 0;
  ok = 0;
  failed = 0;
  tokens = 0;
  cost = 0;
  lastAt = 0;
  lastType = '';
  openExecutions = 0;
  private readonly latencies: number[] = [];
  private latencyNext = 0;
  /** minute → events, the last {@link SPARK_MINUTES}. */
  private readonly perMinute = new Map<number, number>();
  readonly partners = new Map<string, number>();

  constructor(readonly id: string) {}

  add(event: StreamedEvent, now: number): void {
    const at = eventTime(event, now);
    this.ops++;
    if (event.source_agent.role) this.role = event.source_agent.role;
    if (at >= this.lastAt) {
      this.lastAt = at;
      this.lastType = event.event_type;
    }
    if (event.event_type === 'agent_execution_started') this.openExecutions++;
    if (event.event_type === 'agent_execution_completed')
      this.openExecutions = Math.max(0, this.openExecutions - 1);
    const m = event.performance_metrics;
    if (m) {
      if (eventFailed(event)) this.failed++;
      else if (m.success === true) this.ok++;
      this.tokens += eventTokens(event);
      this.cost += m.token_cost ?? 0;
      if (typeof m.latency_ms === 'number') {
        if (this.latencies.length < LATENCIES_KEPT) this.latencies.push(m.latency_ms);
        else this.latencies[this.latencyNext] = m.latency_ms;
        this.latencyNext = (this.latencyNext + 1) % LATENCIES_KEPT;
      }
    }
    const minute = Math.floor(at / 60_000);
    if (minute > Math.floor(now / 60_000) - SPARK_MINUTES) {
      this.perMinute.set(minute, (this.perMinute.get(minute) ?? 0) + 1);
      if (this.perMinute.size > SPARK_MINUTES * 2) this.prune(now);
    }
    for (const partner of eventPartners(event))
      this.partners.set(partner, (this.partners.get(partner) ?? 0) + 1);
  }

  private prune(now: number): void {
    const oldest = Math.floor(now / 60_000) - SPARK_MINUTES;
    for (const minute of this.perMinute.keys()) if (minute <= oldest) this.perMinute.delete(minute);
  }

  status(now: number): AgentStatus {
    if (now - this.lastAt < RUNNING_MS || (this.openExecutions > 0 && now - this.lastAt < IDLE_MS))
      return 'running';
    return now - this.lastAt < IDLE_MS ? 'idle' : 'silent';
  }

  /** Successful share of the operations that said (success flag or error); null when none did. */
  get successRate(): number | null {
    return this.ok + this.failed > 0 ? this.ok / (this.ok + this.failed) : null;
  }

  latencyQuantiles(): { p50: number; p95: number } {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return { p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95) };
  }

  /** Events per minute, oldest first, the last {@link SPARK_MINUTES} minutes up to `now`. */
  sparkline(now: number): number[] {
    const last = Math.floor(now / 60_000);
    const out: number[] = [];
    for (let minute = last - SPARK_MINUTES + 1; minute <= last; minute++)
      out.push(this.perMinute.get(minute) ?? 0);
    return out;
  }
}

export interface CollaborationEdge {
  source: string;
  target: string;
  count: number;
  lastAt: number;
}
