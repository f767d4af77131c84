import type { StreamedEvent } from '@auren/contracts';
import type { ThresholdCondition, ThresholdMetric } from './rule';
import type { BucketWindow, WindowMode } from './window';

/** What each threshold metric reads from an event and how its window value is computed. */

export function windowMode(metric: ThresholdMetric): WindowMode {
  if (metric === 'latency_p95') return 'histogram';
  if (metric === 'confidence_min') return 'min';
  return 'sum';
}

/** Sums and counts, whose empty window is 0 (not "no data"). */
export function isTotal(metric: ThresholdMetric): boolean {
  return (
    metric === 'cost_sum' ||
    metric === 'tokens_sum' ||
    metric === 'failure_count' ||
    metric === 'event_count'
  );
}

const finite = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

/**
 * The sample an event adds to the metric's window, or NaN when it adds none. For failure_rate the
 * sample is 1 (failed) or 0 (succeeded) and only events reporting `success` count.
 */
export function sampleOf(condition: ThresholdCondition, event: StreamedEvent): number {
  const metrics = event.performance_metrics;
  switch (condition.metric) {
    case 'event_count':
      return condition.eventType === undefined || condition.eventType === event.event_type
        ? 1
        : NaN;
    case 'cost_sum':
      return finite(metrics?.token_cost) ? metrics.token_cost : NaN;
    case 'tokens_sum': {
      if (!metrics) return NaN;
      if (finite(metrics.tokens_used)) return metrics.tokens_used;
      const input = finite(metrics.input_tokens) ? metrics.input_tokens : undefined;
      const output = finite(metrics.output_tokens) ? metrics.output_tokens : undefined;
      return input === undefined && output === undefined ? NaN : (input ?? 0) + (output ?? 0);
    }
    case 'failure_count':
      return metrics?.success === false ? 1 : NaN;
    case 'failure_rate':
      return typeof metrics?.success === 'boolean' ? (metrics.success ? 0 : 1) : NaN;
    case 'latency_p95':
    case 'latency_avg':
      return finite(metrics?.latency_ms) ? metrics.latency_ms : NaN;
    case 'confidence_min':
      return finite(metrics?.confidence_score) ? metrics.confidence_score : NaN;
  }
}

/** The metric over the window, `undefined` when there are too few samples to say. */
export function metricValue(
  condition: ThresholdCondition,
  window: BucketWindow,
): number | undefined {
  const samples = window.samples;
  if (isTotal(condition.metric)) return window.aggregate;
  if (samples === 0 || samples < (condition.minCount ?? 1)) return undefined;
  switch (condition.metric) {
    case 'failure_rate':
    case 'latency_avg':
      return window.aggregate / samples;
    case 'latency_p95':
      return window.quantile(0.95);
    default:
      return window.aggregate;
  }
}
