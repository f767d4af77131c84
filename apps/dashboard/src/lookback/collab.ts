/**
 * Collaboration edges: `agent_collaboration` events counted per (source → target), with the
 * rules of the history's `collaborations` query (docs/graphql.md): the targets are
 * `target_agent.id` and each of `payload.collaborating_agents`, the source itself excluded and an
 * agent named twice by one event counted once; the outcome is `payload.consensus_reached` when it
 * is a boolean, else `performance_metrics.success`.
 */
import type { StreamedEvent } from './contracts';

export interface Edge {
  source: string;
  target: string;
  count: number;
  successes: number;
  failures: number;
  unknown: number;
  /** Epoch ms of the latest collaboration, or null. */
  lastMs: number | null;
}

/** The GraphQL `CollaborationEdge` fields the view asks for. */
export interface StoredEdge {
  source: string;
  target: string;
  count: number;
  successes: number;
  failures: number;
  unknown: number;
  lastAt: string | null;
}

const edgeKey = (source: string, target: string): string => `${source}\u0000${target}`;

type Json = Record<string, unknown>;
const obj = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : undefined;

/** The targets and outcome of one `agent_collaboration` event; null for any other event. */
export function collaborationOf(
  event: StreamedEvent,
): { source: string; targets: string[]; outcome: boolean | null; ms: number } | null {
  if (event.event_type !== 'agent_collaboration') return null;
  const source = event.source_agent?.id;
  if (typeof source !== 'string' || source === '') return null;
  const targets = new Set<string>();
  const target = obj(event.target_agent)?.id;
  if (typeof target === 'string' && target !== '') targets.add(target);
  const payload = obj(event.payload) ?? {};
  const others = payload.collaborating_agents;
  if (Array.isArray(others))
    for (const id of others) if (typeof id === 'string' && id !== '') targets.add(id);
  targets.delete(source);
  const consensus = payload.consensus_reached;
  const success = obj(event.performance_metrics)?.success;
  const outcome =
    typeof consensus === 'boolean' ? consensus : typeof success === 'boolean' ? success : null;
  const ms = Date.parse(event.timestamp);
  return { source, targets: [...targets], outcome, ms: Number.isFinite(ms) ? ms : 0 };
}

/**
 * Edges of the stored answer (the seed, events before `seededUntilMs`) plus the events after it:
 * the stored ones of that stretch (`recent`) and the live ones, each counted once by `event_id`
 * (a live event may be stored already, or not yet). Events older than `seededUntilMs` are in the
 * seed and skipped.
 */
export function aggregateEdges(
  seed: readonly StoredEdge[],
  live: readonly StreamedEvent[],
  seededUntilMs: number | null,
  recent: readonly StreamedEvent[] = [],
): Edge[] {
  const edges = new Map<string, Edge>();
  const get = (source: string, target: string): Edge => {
    const key = edgeKey(source, target);
    let edge = edges.get(key);
    if (!edge) {
      edge = { source, target, count: 0, successes: 0, failures: 0, unknown: 0, lastMs: null };
      edges.set(key, edge);
    }
    return edge;
  };
  for (const s of seed) {
    const edge = get(s.source, s.target);
    edge.count += s.count;
    edge.successes += s.successes;
    edge.failures += s.failures;
    edge.unknown += s.unknown;
    const last = s.lastAt ? Date.parse(s.lastAt) : NaN;
    if (Number.isFinite(last)) edge.lastMs = Math.max(edge.lastMs ?? last, last);
  }
  const seen = new Set<string>();
  for (const event of recent.length ? [...recent, ...live] : live) {
    const c = collaborationOf(event);
    if (!c) continue;
    if (seen.has(event.event_id)) continue;
    seen.add(event.event_id);
    if (seededUntilMs !== null && c.ms < seededUntilMs) continue;
    for (const target of c.targets) {
      const edge = get(c.source, target);
      edge.count++;
      if (c.outcome === true) edge.successes++;
      else if (c.outcome === false) edge.failures++;
      else edge.unknown++;
      edge.lastMs = Math.max(edge.lastMs ?? c.ms, c.ms);
    }
  }
  return [...edges.values()].sort(
    (a, b) =>
      b.count - a.count || a.source.localeCompare(b.source) || a.target.localeCompare(b.target),
  );
}

/** successes ÷ (successes + failures); null when no collaboration reported an outcome. */
export function successRate(edge: Pick<Edge, 'successes' | 'failures'>): number | null {
  const known = edge.successes + edge.failures;
  return known === 0 ? null : edge.successes / known;
}

export type Outcome = 'ok' | 'warn' | 'bad' | 'unknown';

/** The colour class of a success rate: ≥ 90 % ok, ≥ 60 % warn, below bad; none: unknown. */
export function outcomeClass(rate: number | null): Outcome {
  if (rate === null) return 'unknown';
  if (rate >= 0.9) return 'ok';
  if (rate >= 0.6) return 'warn';
  return 'bad';
}

/** Stroke width for a count: 1.5 px for one collaboration up to `max` px for the busiest edge (log scale). */
export function strokeWidth(count: number, maxCount: number, max = 8): number {
  if (count <= 0) return 1;
  if (maxCount <= 1) return 1.5;
  const t = Math.log(count) / Math.log(maxCount);
  return Math.round((1.5 + Math.min(1, t) * (max - 1.5)) * 10) / 10;
}

/** Agents of the edges with their collaboration counts (as source or target), busiest first. */
export function nodesOf(edges: readonly Edge[]): Array<{ id: string; count: number }> {
  const counts = new Map<string, number>();
  for (const e of edges) {
    counts.set(e.source, (counts.get(e.source) ?? 0) + e.count);
    counts.set(e.target, (counts.get(e.target) ?? 0) + e.count);
  }
  return [...counts.entries()]
    .map(([id, count]) => ({ id, count }))
    .sort((a, b) => b.count - a.count || a.id.localeCompare(b.id));
}
