import type { StreamedEvent } from '../contracts';
import { Deque } from './deque';
import { eventFailed, eventTool } from './event-facts';
import { quantile } from './ring';

/** Latency histogram bucket upper bounds, ms (the last bucket is open). */
export const LATENCY_BOUNDS = [50, 100, 250, 500, 1000, 2500, 5000, 10_000];
/** Failures the agent view lists, newest first. */
export const FAILURES_SHOWN = 50;

/** Everything the agent detail view charts, from the buffered events of one agent. */
export interface AgentDetailData {
  minutes: number[];
  /** per type: events per minute */
  activity: { type: string; counts: number[] }[];
  /** per model: $ per minute */
  costByModel: { model: string; cost: number[]; total: number }[];
  histogram: number[];
  /** newest first, at most {@link FAILURES_SHOWN} */
  failures: StreamedEvent[];
  tools: { tool: string; calls: number; failed: number; p50: number }[];
}

/** The histogram bucket of a latency. */
export function latencyBucket(ms: number): number {
  const bucket = LATENCY_BOUNDS.findIndex((bound) => ms < bound);
  return bucket === -1 ? LATENCY_BOUNDS.length : bucket;
}

/** The model a cost is charged to, when the event reports one (`token_cost` non-zero). */
export function costOf(event: StreamedEvent): { model: string; cost: number } | null {
  const m = event.performance_metrics;
  if (!m?.token_cost) return null;
  return { model: m.model ?? 'unknown model', cost: m.token_cost };
}

export const byType = (a: { type: string }, b: { type: string }) => a.type.localeCompare(b.type);
export const byCost = (a: { model: string; total: number }, b: { model: string; total: number }) =>
  b.total - a.total || a.model.localeCompare(b.model);
export const byCalls = (a: { tool: string; calls: number }, b: { tool: string; calls: number }) =>
  b.calls - a.calls || a.tool.localeCompare(b.tool);

interface CostCell {
  sum: number;
  n: number;
}
interface ToolEntry {
  calls: number;
  failed: number;
  /** latencies of its calls, oldest first (they leave the buffer in that order) */
  latencies: Deque<number>;
}

const bump = <K>(map: Map<K, number>, key: K, by: number) => {
  const next = (map.get(key) ?? 0) + by;
  if (next === 0) map.delete(key);
  else map.set(key, next);
};

/**
 * The agent view's figures for one agent over the events of it the ring buffer holds, kept as
 * events enter and leave the buffer (O(1) each): per-minute counts by type and cost by model,
 * the latency histogram, failures and tools. {@link data} reads them in O(window + tools), never
 * a scan of the buffer. Equal to `agentDetailData` (views/agent-detail-data.ts) over the same
 * events, costs up to float rounding.
 */
export class AgentDetailAggregate {
  /** The agent's buffered events, oldest first (the agent feed reads them). */
  readonly events = new Deque<StreamedEvent>();
  /** Each event's time (ms) as it was when added, parallel to {@link events}. */
  private readonly times = new Deque<number>();
  private readonly activity = new Map<number, Map<string, number>>();
  private readonly costs = new Map<number, Map<string, CostCell>>();
  private readonly histogram = new Array<number>(LATENCY_BOUNDS.length + 1).fill(0);
  private readonly failures = new Deque<StreamedEvent>();
  private readonly tools = new Map<string, ToolEntry>();

  constructor(readonly id: string) {}

  get length(): number {
    return this.events.length;
  }

  add(event: StreamedEvent, at: number): void {
    this.events.push(event);
    this.times.push(at);
    this.count(event, at, 1);
  }

  /** The oldest event of the agent left the buffer. */
  removeOldest(): StreamedEvent | undefined {
    const event = this.events.shift();
    const at = this.times.shift();
    if (event === undefined || at === undefined) return undefined;
    this.count(event, at, -1);
    return event;
  }

  private count(event: StreamedEvent, at: number, by: 1 | -1): void {
    const minute = Math.floor(at / 60_000);
    let types = this.activity.get(minute);
    if (!types) {
      types = new Map();
      this.activity.set(minute, types);
    }
    bump(types, event.event_type, by);
    if (types.size === 0) this.activity.delete(minute);
    const cost = costOf(event);
    if (cost) {
      let models = this.costs.get(minute);
      if (!models) {
        models = new Map();
        this.costs.set(minute, models);
      }
      const cell = models.get(cost.model) ?? { sum: 0, n: 0 };
      cell.sum += by * cost.cost;
      cell.n += by;
      if (cell.n === 0) models.delete(cost.model);
      else models.set(cost.model, cell);
      if (models.size === 0) this.costs.delete(minute);
    }
    const m = event.performance_metrics;
    const latency = typeof m?.latency_ms === 'number' ? m.latency_ms : null;
    if (latency !== null) this.histogram[latencyBucket(latency)] += by;
    const failed = eventFailed(event);
    if (failed) {
      if (by === 1) this.failures.push(event);
      else this.failures.shift();
    }
    if (event.event_type === 'tool_usage') {
      const tool = eventTool(event) ?? 'unnamed tool';
      let entry = this.tools.get(tool);
      if (!entry) {
        entry = { calls: 0, failed: 0, latencies: new Deque() };
        this.tools.set(tool, entry);
      }
      entry.calls += by;
      if (failed) entry.failed += by;
      if (latency !== null) {
        if (by === 1) entry.latencies.push(latency);
        else entry.latencies.shift();
      }
      if (entry.calls === 0) this.tools.delete(tool);
    }
  }

  /** The figures at `now`: per-minute series of the last `minutesBack` minutes. */
  data(now: number, minutesBack = 60): AgentDetailData {
    const last = Math.floor(now / 60_000);
    const first = last - minutesBack + 1;
    const minutes = Array.from({ length: minutesBack }, (_, i) => (first + i) * 60);
    const activity = new Map<string, number[]>();
    const models = new Map<string, number[]>();
    for (let slot = 0; slot < minutesBack; slot++) {
      const types = this.activity.get(first + slot);
      if (types)
        for (const [type, count] of types) {
          let row = activity.get(type);
          if (!row) {
            row = new Array<number>(minutesBack).fill(0);
            activity.set(type, row);
          }
          row[slot] += count;
        }
      const cells = this.costs.get(first + slot);
      if (cells)
        for (const [model, cell] of cells) {
          let row = models.get(model);
          if (!row) {
            row = new Array<number>(minutesBack).fill(0);
            models.set(model, row);
          }
          row[slot] += cell.sum;
        }
    }
    return {
      minutes,
      activity: [...activity.entries()].map(([type, counts]) => ({ type, counts })).sort(byType),
      costByModel: [...models.entries()]
        .map(([model, cost]) => ({ model, cost, total: cost.reduce((x, y) => x + y, 0) }))
        .sort(byCost),
      histogram: [...this.histogram],
      failures: this.failures.newest(FAILURES_SHOWN),
      tools: [...this.tools.entries()]
        .map(([tool, t]) => ({
          tool,
          calls: t.calls,
          failed: t.failed,
          p50: quantile(
            t.latencies.toArray().sort((a, b) => a - b),
            0.5,
          ),
        }))
        .sort(byCalls),
    };
  }
}
