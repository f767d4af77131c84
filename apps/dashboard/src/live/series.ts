import type { StreamedEvent } from '../contracts';
import { eventFailed, eventTime, eventTokens } from './event-facts';
import { quantile } from './ring';

/** One second of events. */
interface SecondBucket {
  second: number;
  total: number;
  byType: Map<string, number>;
  ok: number;
  failed: number;
  latencies: number[];
  tokens: number;
  cost: number;
}

/** Series of one window, ready for charts (times in seconds, as uPlot wants them). */
export interface WindowSeries {
  times: number[];
  /** Bucket width in seconds. */
  step: number;
  /** Event types, most frequent first, with their events/s per bucket. */
  types: { type: string; perSecond: number[]; total: number }[];
  costPerMinute: number[];
  tokensPerMinute: number[];
  /** Share of successful operations (events with `success` or an error), null when none. */
  successRate: (number | null)[];
  p50: (number | null)[];
  p95: (number | null)[];
}

/** Width of the buckets the charts show for a window of `minutes`: 60 points per window. */
export function stepFor(minutes: number): number {
  return Math.max(1, Math.round((minutes * 60) / 60));
}

/**
 * Per-second figures of the last hour, keyed by the events' own time. Events older than the hour
 * (or more than a minute in the future) are counted elsewhere but not charted.
 */
export class TimeBuckets {
  private readonly buckets: (SecondBucket | undefined)[];

  constructor(readonly seconds = 3600) {
    this.buckets = new Array<SecondBucket | undefined>(seconds);
  }

  add(event: StreamedEvent, now: number): void {
    const second = Math.floor(eventTime(event, now) / 1000);
    const nowSecond = Math.floor(now / 1000);
    if (second <= nowSecond - this.seconds || second > nowSecond + 60) return;
    const slot = ((second % this.seconds) + this.seconds) % this.seconds;
    let bucket = this.buckets[slot];
    if (!bucket || bucket.second !== second) {
      bucket = {
        second,
        total: 0,
        byType: new Map(),
        ok: 0,
        failed: 0,
        latencies: [],
        tokens: 0,
        cost: 0,
      };
      this.buckets[slot] = bucket;
    }
    bucket.total++;
    bucket.byType.set(event.event_type, (bucket.byType.get(event.event_type) ?? 0) + 1);
    const m = event.performance_metrics;
    if (m) {
      if (eventFailed(event)) bucket.failed++;
      else if (m.success === true) bucket.ok++;
      if (typeof m.latency_ms === 'number' && bucket.latencies.length < 5000)
        bucket.latencies.push(m.latency_ms);
      bucket.tokens += eventTokens(event);
      bucket.cost += m.token_cost ?? 0;
    }
  }

  clear(): void {
    this.buckets.fill(undefined);
  }

  /** The last `minutes` (≤ the hour) ending at `now`, in buckets of {@link stepFor}. */
  window(minutes: number, now: number): WindowSeries {
    const step = stepFor(minutes);
    const points = Math.ceil((minutes * 60) / step);
    const endSecond = Math.floor(now / 1000 / step) * step + step; // exclusive
    const startSecond = endSecond - points * step;
    const times: number[] = [];
    const typeCounts = new Map<string, number[]>();
    const totals = new Map<string, number>();
    const cost: number[] = [];
    const tokens: number[] = [];
    const successRate: (number | null)[] = [];
    const p50: (number | null)[] = [];
    const p95: (number | null)[] = [];
    for (let i = 0; i < points; i++) {
      const from = startSecond + i * step;
      times.push(from);
      let ok = 0;
      let failed = 0;
      let costSum = 0;
      let tokenSum = 0;
      const latencies: number[] = [];
      for (let s = from; s < from + step; s++) {
        const bucket = this.buckets[((s % this.seconds) + this.seconds) % this.seconds];
        if (!bucket || bucket.second !== s) continue;
        ok += bucket.ok;
        failed += bucket.failed;
        costSum += bucket.cost;
        tokenSum += bucket.tokens;
        for (const latency of bucket.latencies) latencies.push(latency);
        for (const [type, count] of bucket.byType) {
          let row = typeCounts.get(type);
          if (!row) {
            row = new Array<number>(points).fill(0);
            typeCounts.set(type, row);
          }
          row[i] += count;
          totals.set(type, (totals.get(type) ?? 0) + count);
        }
      }
      cost.push((costSum * 60) / step);
      tokens.push((tokenSum * 60) / step);
      successRate.push(ok + failed > 0 ? ok / (ok + failed) : null);
      latencies.sort((a, b) => a - b);
      p50.push(latencies.length ? quantile(latencies, 0.5) : null);
      p95.push(latencies.length ? quantile(latencies, 0.95) : null);
    }
    const types = [...typeCounts.entries()]
      .map(([type, counts]) => ({
        type,
        perSecond: counts.map((count) => count / step),
        total: totals.get(type) ?? 0,
      }))
      .sort((a, b) => b.total - a.total || a.type.localeCompare(b.type));
    return {
      times,
      step,
      types,
      costPerMinute: cost,
      tokensPerMinute: tokens,
      successRate,
      p50,
      p95,
    };
  }
}
