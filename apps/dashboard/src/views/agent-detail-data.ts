import type { StreamedEvent } from '../contracts';
import { eventError, eventFailed, eventTime, eventTool } from '../live/event-facts';
import { quantile } from '../live/ring';

/** Latency histogram bucket upper bounds, ms (the last bucket is open). */
export const LATENCY_BOUNDS = [50, 100, 250, 500, 1000, 2500, 5000, 10_000];

export interface AgentDetailData {
  events: StreamedEvent[];
  minutes: number[];
  /** per type: events per minute */
  activity: { type: string; counts: number[] }[];
  /** per model: $ per minute */
  costByModel: { model: string; cost: number[]; total: number }[];
  histogram: number[];
  failures: StreamedEvent[];
  tools: { tool: string; calls: number; failed: number; p50: number }[];
}

/** Everything the agent detail view charts, from the buffered events of one agent (newest first). */
export function agentDetailData(
  events: StreamedEvent[],
  now: number,
  minutesBack = 60,
): AgentDetailData {
  const last = Math.floor(now / 60_000);
  const first = last - minutesBack + 1;
  const minutes = Array.from({ length: minutesBack }, (_, i) => (first + i) * 60);
  const activity = new Map<string, number[]>();
  const models = new Map<string, number[]>();
  const histogram = new Array<number>(LATENCY_BOUNDS.length + 1).fill(0);
  const failures: StreamedEvent[] = [];
  const tools = new Map<string, { calls: number; failed: number; latencies: number[] }>();
  for (const event of events) {
    const minute = Math.floor(eventTime(event, now) / 60_000);
    const slot = minute - first;
    const m = event.performance_metrics;
    if (slot >= 0 && slot < minutesBack) {
      const row = activity.get(event.event_type) ?? new Array<number>(minutesBack).fill(0);
      row[slot]++;
      activity.set(event.event_type, row);
      if (m?.token_cost) {
        const model = m.model ?? 'unknown model';
        const costs = models.get(model) ?? new Array<number>(minutesBack).fill(0);
        costs[slot] += m.token_cost;
        models.set(model, costs);
      }
    }
    if (typeof m?.latency_ms === 'number') {
      const bucket = LATENCY_BOUNDS.findIndex((bound) => m.latency_ms! < bound);
      histogram[bucket === -1 ? LATENCY_BOUNDS.length : bucket]++;
    }
    const failed = eventFailed(event);
    if (failed && failures.length < 50) failures.push(event);
    const tool = event.event_type === 'tool_usage' ? (eventTool(event) ?? 'unnamed tool') : null;
    if (tool) {
      const entry = tools.get(tool) ?? { calls: 0, failed: 0, latencies: [] };
      entry.calls++;
      if (failed) entry.failed++;
      if (typeof m?.latency_ms === 'number') entry.latencies.push(m.latency_ms);
      tools.set(tool, entry);
    }
  }
  return {
    events,
    minutes,
    activity: [...activity.entries()]
      .map(([type, counts]) => ({ type, counts }))
      .sort((a, b) => a.type.localeCompare(b.type)),
    costByModel: [...models.entries()]
      .map(([model, cost]) => ({ model, cost, total: cost.reduce((x, y) => x + y, 0) }))
      .sort((a, b) => b.total - a.total),
    histogram,
    failures,
    tools: [...tools.entries()]
      .map(([tool, t]) => ({
        tool,
        calls: t.calls,
        failed: t.failed,
        p50: quantile(
          t.latencies.sort((a, b) => a - b),
          0.5,
        ),
      }))
      .sort((a, b) => b.calls - a.calls),
  };
}

export { eventError };
