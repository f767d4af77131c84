import type { AgentSummary, ModelSummary, PerformanceMetrics } from '@auren/contracts';
import { ExactSum } from './exact-sum';
import { RecencyNode } from './recency-list';

/** Operations with a latency that `average_latency_ms` averages over (the newest ones). */
export const LATENCY_WINDOW = 100;
/** Distinct models kept per entry; further models are counted under {@link OTHER_MODELS}. */
export const MAX_MODELS_PER_ENTRY = 16;
export const OTHER_MODELS = '(other)';

/** Owner bucket → entry, per agent id. `undefined` is the bucket of events without `user_id`. */
export type AgentTable = Map<string, Map<string | undefined, AgentEntry>>;

class ModelEntry {
  calls = 0;
  tokens = 0;
  readonly cost = new ExactSum();
}

function isNonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/**
 * The figures of one agent built from the events of one owner bucket. Updated in O(1) per event;
 * the latency window is a ring of the newest {@link LATENCY_WINDOW} latencies, each with the
 * ordinal (stream order) of its event, so that buckets can be merged by stream order later.
 */
export class AgentEntry extends RecencyNode {
  operations = 0;
  successes = 0;
  withSuccess = 0;
  tokens = 0;
  readonly cost = new ExactSum();
  lastOrdinal = 0;
  lastReceivedAt = '';
  latencies: Float64Array | null = null;
  latencyOrdinals: Float64Array | null = null;
  /** Index the next latency is written at. */
  latencyHead = 0;
  latencySize = 0;
  models: Map<string, ModelEntry> | null = null;

  constructor(
    readonly agent: string,
    readonly owner: string | undefined,
    private readonly table: AgentTable,
  ) {
    super();
  }

  detach(): void {
    const byOwner = this.table.get(this.agent);
    if (!byOwner) return;
    byOwner.delete(this.owner);
    if (byOwner.size === 0) this.table.delete(this.agent);
  }

  seen(ordinal: number, receivedAt: string): void {
    this.lastOrdinal = ordinal;
    this.lastReceivedAt = receivedAt;
  }

  addOperation(metrics: PerformanceMetrics, ordinal: number): void {
    this.operations += 1;
    if (typeof metrics.success === 'boolean') {
      this.withSuccess += 1;
      if (metrics.success) this.successes += 1;
    }
    const tokens = isNonNegative(metrics.tokens_used)
      ? metrics.tokens_used
      : (isNonNegative(metrics.input_tokens) ? metrics.input_tokens : 0) +
        (isNonNegative(metrics.output_tokens) ? metrics.output_tokens : 0);
    const cost = isNonNegative(metrics.token_cost) ? metrics.token_cost : 0;
    this.tokens += tokens;
    this.cost.add(cost);
    if (isNonNegative(metrics.latency_ms)) this.addLatency(metrics.latency_ms, ordinal);
    if (typeof metrics.model === 'string') this.addModel(metrics.model, tokens, cost);
  }

  /** Index of the `k`-th newest latency (0 = newest), for `k < latencySize`. */
  newestIndex(k: number): number {
    return (this.latencyHead - 1 - k + LATENCY_WINDOW) % LATENCY_WINDOW;
  }

  private addLatency(latency: number, ordinal: number): void {
    if (!this.latencies || !this.latencyOrdinals) {
      this.latencies = new Float64Array(LATENCY_WINDOW);
      this.latencyOrdinals = new Float64Array(LATENCY_WINDOW);
    }
    this.latencies[this.latencyHead] = latency;
    this.latencyOrdinals[this.latencyHead] = ordinal;
    this.latencyHead = (this.latencyHead + 1) % LATENCY_WINDOW;
    if (this.latencySize < LATENCY_WINDOW) this.latencySize += 1;
  }

  private addModel(model: string, tokens: number, cost: number): void {
    this.models ??= new Map();
    let entry = this.models.get(model);
    if (!entry) {
      const key = this.models.size < MAX_MODELS_PER_ENTRY ? model : OTHER_MODELS;
      entry = this.models.get(key);
      if (!entry) {
        entry = new ModelEntry();
        this.models.set(key, entry);
      }
    }
    entry.calls += 1;
    entry.tokens += tokens;
    entry.cost.add(cost);
  }
}

/** Rounds a rendered ratio, mean or cost to 6 decimal places; storage is never rounded. */
export function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** The figures of one agent over the buckets a viewer may see (at least one). */
export function mergeAgent(entries: readonly AgentEntry[]): AgentSummary {
  let operations = 0;
  let successes = 0;
  let withSuccess = 0;
  let tokens = 0;
  const cost = new ExactSum();
  let newest = entries[0];
  const models = new Map<string, { calls: number; tokens: number; cost: ExactSum }>();
  for (const entry of entries) {
    operations += entry.operations;
    successes += entry.successes;
    withSuccess += entry.withSuccess;
    tokens += entry.tokens;
    cost.addSum(entry.cost);
    if (entry.lastOrdinal > newest.lastOrdinal) newest = entry;
    for (const [name, figures] of entry.models ?? []) {
      let merged = models.get(name);
      if (!merged) {
        merged = { calls: 0, tokens: 0, cost: new ExactSum() };
        models.set(name, merged);
      }
      merged.calls += figures.calls;
      merged.tokens += figures.tokens;
      merged.cost.addSum(figures.cost);
    }
  }
  const byModel: Record<string, ModelSummary> = {};
  for (const name of [...models.keys()].sort()) {
    const m = models.get(name)!;
    byModel[name] = {
      calls: m.calls,
      total_tokens: m.tokens,
      total_token_cost: round6(m.cost.value),
    };
  }
  return {
    average_latency_ms: round6(recentLatencyMean(entries)),
    success_rate: withSuccess === 0 ? 1 : round6(successes / withSuccess),
    total_operations: operations,
    total_token_cost: round6(cost.value),
    total_tokens: tokens,
    last_update: newest.lastReceivedAt,
    models: byModel,
  };
}

/**
 * Mean latency of the newest {@link LATENCY_WINDOW} operations across `entries`, by stream order:
 * a k-way merge of the entries' rings, newest first. 0 when no operation had a latency.
 */
export function recentLatencyMean(entries: readonly AgentEntry[]): number {
  const taken = new Array<number>(entries.length).fill(0);
  const sum = new ExactSum();
  let n = 0;
  while (n < LATENCY_WINDOW) {
    let best = -1;
    let bestOrdinal = -1;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      if (taken[i] >= entry.latencySize) continue;
      const ordinal = entry.latencyOrdinals![entry.newestIndex(taken[i])];
      if (ordinal > bestOrdinal) {
        best = i;
        bestOrdinal = ordinal;
      }
    }
    if (best < 0) break;
    const entry = entries[best];
    sum.add(entry.latencies![entry.newestIndex(taken[best])]);
    taken[best] += 1;
    n += 1;
  }
  return n === 0 ? 0 : sum.value / n;
}
