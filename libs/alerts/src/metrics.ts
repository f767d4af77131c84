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

// Numbers instead of the metric names on the per-event path.
const EVENT_COUNT = 0;
const COST = 1;
const TOKENS = 2;
const FAILURES = 3;
const FAILURE_RATE = 4;
const LATENCY = 5;
const CONFIDENCE = 6;

const CODES: Record<ThresholdMetric, number> = {
  event_count: EVENT_COUNT,
  cost_sum: COST,
  tokens_sum: TOKENS,
  failure_count: FAILURES,
  failure_rate: FAILURE_RATE,
  latency_p95: LATENCY,
  latency_avg: LATENCY,
  confidence_min: CONFIDENCE,
};

/**
 * The sample an event adds to a metric's window, or NaN when it adds none. For failure_rate the
 * sample is 1 (failed) or 0 (succeeded) and only events reporting `success` count.
 */
export type Sampler = (event: StreamedEvent) => number;

export function sampler(condition: ThresholdCondition): Sampler {
  const code = CODES[condition.metric];
  const only = condition.eventType;
  return (event) => {
    if (code === EVENT_COUNT) return only === undefined || only === event.event_type ? 1 : NaN;
    const metrics = event.performance_metrics;
    if (metrics === undefined) return NaN;
    switch (code) {
      case COST:
        return finite(metrics.token_cost) ? metrics.token_cost : NaN;
      case TOKENS: {
        if (finite(metrics.tokens_used)) return metrics.tokens_used;
        const input = finite(metrics.input_tokens) ? metrics.input_tokens : undefined;
        const output = finite(metrics.output_tokens) ? metrics.output_tokens : undefined;
        return input === undefined && output === undefined ? NaN : (input ?? 0) + (output ?? 0);
      }
      case FAILURES:
        return metrics.success === false ? 1 : NaN;
      case FAILURE_RATE:
        return typeof metrics.success === 'boolean' ? (metrics.success ? 0 : 1) : NaN;
      case LATENCY:
        return finite(metrics.latency_ms) ? metrics.latency_ms : NaN;
      default:
        return finite(metrics.confidence_score) ? metrics.confidence_score : NaN;
    }
  };
}

/** The metric over a window, `undefined` when there are too few samples to say. */
export type Reader = (window: BucketWindow) => number | undefined;

export function reader(condition: ThresholdCondition): Reader {
  const { metric } = condition;
  if (isTotal(metric)) return (window) => window.aggregate;
  const minCount = condition.minCount ?? 1;
  const enough = (window: BucketWindow) => window.samples > 0 && window.samples >= minCount;
  switch (metric) {
    case 'failure_rate':
    case 'latency_avg':
      return (window) => (enough(window) ? window.aggregate / window.samples : undefined);
    case 'latency_p95':
      return (window) => (enough(window) ? window.quantile(0.95) : undefined);
    default:
      return (window) => (enough(window) ? window.aggregate : undefined);
  }
}
