/**
 * A run (the events of one trace or session) as a tree: the one implementation of the parent
 * rules (docs/graphql.md, "trace(id)"), used by the history service's `trace`/`session` queries
 * and by the dashboard's trace view (which merges stored and live events). Plain TypeScript with
 * no imports, so the browser bundle can take it.
 */

/** What the tree reads of an event (each side derives it from its own record once). */
export interface RunFacts {
  eventId: string;
  eventType: string;
  agentId: string;
  parentEventId: string | null;
  spanId: string | null;
  parentSpanId: string | null;
  /** The event's time, epoch milliseconds. */
  ms: number;
  latencyMs: number | null;
  success: boolean | null;
  inputTokens: number | null;
  outputTokens: number | null;
  tokens: number | null;
  cost: number | null;
}

/** Sums over a node and everything under it. */
export interface RunTotals {
  events: number;
  failures: number;
  inputTokens: number;
  outputTokens: number;
  tokens: number;
  cost: number;
}

export interface RunTreeNode<E> {
  event: E;
  parentId: string | null;
  depth: number;
  childIds: string[];
  /**
   * An agent_execution_started paired with its completion: the completion's latency_ms, else the
   * time between them. Otherwise the event's latency_ms, else the time from the event to its
   * last descendant; null for a lone event without latency.
   */
  durationMs: number | null;
  /** A started agent execution whose completion has not been seen (yet). */
  open: boolean;
  /** The completion paired with this start, when seen. */
  completionId: string | null;
  /** For a completion: the start it closes (whose duration covers the whole execution). */
  completes: string | null;
  /** This event and its descendants. */
  totals: RunTotals;
}

export interface RunTreeShape<E> {
  rootIds: string[];
  /** Depth-first (pre-order), children oldest first: draw the tree in this order. */
  nodes: RunTreeNode<E>[];
  totals: RunTotals;
  agents: string[];
  /** The first event's time (ms). */
  startMs: number;
  /** The last event's time (ms). */
  lastEventMs: number;
  /** The latest moment the run covers: the last event, or the end of the longest node. */
  endMs: number;
  /** Some agent execution is still open. */
  inProgress: boolean;
}

type Json = Record<string, unknown>;
const obj = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : undefined;
const str = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' ? value : null;

/** Where span ids land in an event: metadata.otel (OTLP ingest), or metadata / payload (SDKs). */
export function runSpanField(
  raw: Record<string, unknown> | null | undefined,
  field: 'span_id' | 'parent_span_id',
): string | null {
  if (!raw) return null;
  const metadata = obj(raw.metadata);
  return (
    str(obj(metadata?.otel)?.[field]) ?? str(metadata?.[field]) ?? str(obj(raw.payload)?.[field])
  );
}

export const RUN_STARTED = 'agent_execution_started';
export const RUN_COMPLETED = 'agent_execution_completed';

/**
 * The parent of each event, in this order of evidence:
 * 1. the same span id as an earlier event (an OTLP invoke_agent span's completion → its start);
 * 2. a completion closes the open start of its agent it names by parent_event_id, else the
 *    innermost open one;
 * 3. `parent_event_id` naming an event of the run;
 * 4. a parent span id naming the span of an event of the run;
 * 5. the innermost open agent_execution_started of the same agent (events between an agent's
 *    start and completion nest under that start).
 * A parent that would close a cycle is dropped (the event becomes a root).
 */
function parentsOf(events: readonly RunFacts[]): {
  parent: Map<string, string | null>;
  completionOf: Map<string, RunFacts>;
} {
  const byId = new Map(events.map((e) => [e.eventId, e]));
  const spanOwner = new Map<string, string>();
  for (const e of events)
    if (e.spanId && !spanOwner.has(e.spanId)) spanOwner.set(e.spanId, e.eventId);
  const open = new Map<string, string[]>();
  const parent = new Map<string, string | null>();
  const completionOf = new Map<string, RunFacts>();
  for (const e of events) {
    const owner = e.spanId ? spanOwner.get(e.spanId) : undefined;
    let p: string | undefined = owner !== undefined && owner !== e.eventId ? owner : undefined;
    const stack = open.get(e.agentId) ?? [];
    if (e.eventType === RUN_COMPLETED) {
      let closes: string | undefined;
      if (p !== undefined && stack.includes(p)) closes = p;
      else if (e.parentEventId && stack.includes(e.parentEventId)) closes = e.parentEventId;
      else if (p === undefined) closes = stack[stack.length - 1];
      if (closes !== undefined) {
        p = closes;
        stack.splice(stack.lastIndexOf(closes), 1);
        completionOf.set(closes, e);
      }
    }
    if (
      p === undefined &&
      e.parentEventId &&
      e.parentEventId !== e.eventId &&
      byId.has(e.parentEventId)
    )
      p = e.parentEventId;
    if (p === undefined && e.parentSpanId) {
      const spanParent = spanOwner.get(e.parentSpanId);
      if (spanParent !== undefined && spanParent !== e.eventId) p = spanParent;
    }
    if (p === undefined && e.eventType !== RUN_COMPLETED) p = stack[stack.length - 1];
    parent.set(e.eventId, p ?? null);
    if (e.eventType === RUN_STARTED) {
      stack.push(e.eventId);
      open.set(e.agentId, stack);
    }
  }
  // Break cycles (parent_event_id may point forward and back).
  const settled = new Set<string>();
  for (const e of events) {
    const path = new Set<string>();
    let current: string | null = e.eventId;
    while (current !== null && !settled.has(current)) {
      if (path.has(current)) {
        parent.set(current, null);
        break;
      }
      path.add(current);
      current = parent.get(current) ?? null;
    }
    for (const id of path) settled.add(id);
  }
  return { parent, completionOf };
}

const zero = (): RunTotals => ({
  events: 0,
  failures: 0,
  inputTokens: 0,
  outputTokens: 0,
  tokens: 0,
  cost: 0,
});

function ownTotals(e: RunFacts): RunTotals {
  return {
    events: 1,
    failures: e.success === false ? 1 : 0,
    inputTokens: e.inputTokens ?? 0,
    outputTokens: e.outputTokens ?? 0,
    tokens: e.tokens ?? 0,
    cost: e.cost ?? 0,
  };
}

function add(into: RunTotals, more: RunTotals): void {
  into.events += more.events;
  into.failures += more.failures;
  into.inputTokens += more.inputTokens;
  into.outputTokens += more.outputTokens;
  into.tokens += more.tokens;
  into.cost += more.cost;
}

/**
 * The tree of a run's events, oldest first (ties: starts first, completions last). `factsOf`
 * reads each event once. Null when there are no events. Iterative throughout: a deep chain
 * must not overflow the stack.
 */
export function runTreeOf<E>(
  events: readonly E[],
  factsOf: (event: E) => RunFacts,
): RunTreeShape<E> | null {
  if (events.length === 0) return null;
  const facts = events.map(factsOf);
  const { parent, completionOf } = parentsOf(facts);
  const children = new Map<string, string[]>();
  const rootIds: string[] = [];
  for (const f of facts) {
    const p = parent.get(f.eventId) ?? null;
    if (p === null) rootIds.push(f.eventId);
    else {
      const list = children.get(p);
      if (list) list.push(f.eventId);
      else children.set(p, [f.eventId]);
    }
  }
  const index = new Map(facts.map((f, i) => [f.eventId, i]));
  const nodes: RunTreeNode<E>[] = [];
  const nodeFacts: RunFacts[] = [];
  const nodeOf = new Map<string, RunTreeNode<E>>();
  const completesOf = new Map<string, string>();
  const stack = [...rootIds].reverse().map((rootId) => ({ id: rootId, depth: 0 }));
  while (stack.length > 0) {
    const { id, depth } = stack.pop()!;
    const i = index.get(id)!;
    const f = facts[i];
    const childIds = children.get(id) ?? [];
    const completion = completionOf.get(id);
    const node: RunTreeNode<E> = {
      event: events[i],
      parentId: parent.get(id) ?? null,
      depth,
      childIds,
      durationMs: null,
      open: f.eventType === RUN_STARTED && !completion,
      completionId: completion?.eventId ?? null,
      completes: null,
      totals: ownTotals(f),
    };
    nodes.push(node);
    nodeFacts.push(f);
    nodeOf.set(id, node);
    if (completion) completesOf.set(completion.eventId, id);
    for (let c = childIds.length - 1; c >= 0; c--)
      stack.push({ id: childIds[c], depth: depth + 1 });
  }
  for (const [completionId, startId] of completesOf) {
    const node = nodeOf.get(completionId);
    if (node) node.completes = startId;
  }
  // Post-order (reverse pre-order): totals and the latest time roll up to the parents.
  const lastMs = new Map<string, number>();
  const lastEventMs = facts[facts.length - 1].ms;
  let endMs = lastEventMs;
  for (let n = nodes.length - 1; n >= 0; n--) {
    const node = nodes[n];
    const f = nodeFacts[n];
    let latest = f.ms;
    for (const c of node.childIds) latest = Math.max(latest, lastMs.get(c) ?? f.ms);
    lastMs.set(f.eventId, latest);
    for (const c of node.childIds) add(node.totals, nodeOf.get(c)!.totals);
    const completion = completionOf.get(f.eventId);
    if (completion) node.durationMs = completion.latencyMs ?? completion.ms - f.ms;
    else if (f.latencyMs !== null) node.durationMs = f.latencyMs;
    else if (node.childIds.length > 0) node.durationMs = latest - f.ms;
    if (node.durationMs !== null && node.completes === null)
      endMs = Math.max(endMs, f.ms + node.durationMs);
  }
  const totals = zero();
  for (const rootId of rootIds) add(totals, nodeOf.get(rootId)!.totals);
  return {
    rootIds,
    nodes,
    totals,
    agents: [...new Set(facts.map((f) => f.agentId))].sort(),
    startMs: facts[0].ms,
    lastEventMs,
    endMs,
    inProgress: nodes.some((node) => node.open),
  };
}
