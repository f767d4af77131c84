import type { StreamedEvent } from '../contracts';
import {
  FAILURES_SHOWN,
  LATENCY_BOUNDS,
  byCalls,
  byCost,
  byType,
  costOf,
  latencyBucket,
  type AgentDetailData,
} from '../live/agent-detail';
import { eventError, eventFailed, eventTime, eventTool } from '../live/event-facts';
import { quantile } from '../live/ring';

export { LATENCY_BOUNDS, type AgentDetailData };

/**
 * Everything the agent detail view charts, recomputed from the buffered events of one agent
 * (newest first). The view reads the store's incremental `AgentDetailAggregate` instead; this full
 * computation is the reference its tests compare it with.
 */
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
      const cost = costOf(event);
      if (cost) {
        const costs = models.get(cost.model) ?? new Array<number>(minutesBack).fill(0);
        costs[slot] += cost.cost;
        models.set(cost.model, costs);
      }
    }
    if (typeof m?.latency_ms === 'number') histogram[latencyBucket(m.latency_ms)]++;
    const failed = eventFailed(event);
    if (failed && failures.length < FAILURES_SHOWN) failures.push(event);
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
    minutes,
    activity: [...activity.entries()].map(([type, counts]) => ({ type, counts })).sort(byType),
    costByModel: [...models.entries()]
      .map(([model, cost]) => ({ model, cost, total: cost.reduce((x, y) => x + y, 0) }))
      .sort(byCost),
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
      .sort(byCalls),
  };
}

export { eventError };
