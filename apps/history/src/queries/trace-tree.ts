import type { EventRecord } from './event-record';

/** Sums over a node and everything under it. */
export interface RunTotals {
  events: number;
  failures: number;
  inputTokens: number;
  outputTokens: number;
  tokens: number;
  cost: number;
}

export interface RunNode {
  event: EventRecord;
  parentId: string | null;
  depth: number;
  childIds: string[];
  /**
   * An agent_execution_started paired with its completion: the completion's latency_ms, else the
   * time between them. Otherwise the event's latency_ms, else the time from the event to its
   * last descendant; null for a lone event without latency.
   */
  durationMs: number | null;
  /** This event and its descendants. */
  totals: RunTotals;
}

export interface RunTree {
  id: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  agents: string[];
  /** More events than the limit: the tree holds the oldest ones. */
  truncated: boolean;
  totals: RunTotals;
  rootIds: string[];
  /** Depth-first (pre-order), children oldest first: a client draws the tree in this order. */
  nodes: RunNode[];
}

type Json = Record<string, unknown>;
const obj = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : undefined;
const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** Where span ids land: metadata.otel (OTLP ingest), or metadata / payload (SDKs). */
function spanField(event: EventRecord, field: 'span_id' | 'parent_span_id'): string | undefined {
  const metadata = obj(event.raw.metadata);
  return (
    str(obj(metadata?.otel)?.[field]) ??
    str(metadata?.[field]) ??
    str(obj(event.raw.payload)?.[field])
  );
}

const millis = (iso: string): number => Date.parse(iso.slice(0, 23) + 'Z');
const STARTED = 'agent_execution_started';
const COMPLETED = 'agent_execution_completed';

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
function parentsOf(events: EventRecord[]): {
  parent: Map<string, string | null>;
  completionOf: Map<string, EventRecord>;
} {
  const byId = new Map(events.map((e) => [e.eventId, e]));
  const spanOwner = new Map<string, string>();
  for (const e of events) {
    const span = spanField(e, 'span_id');
    if (span && !spanOwner.has(span)) spanOwner.set(span, e.eventId);
  }
  const open = new Map<string, string[]>();
  const parent = new Map<string, string | null>();
  const completionOf = new Map<string, EventRecord>();
  for (const e of events) {
    const span = spanField(e, 'span_id');
    const owner = span ? spanOwner.get(span) : undefined;
    let p: string | undefined = owner !== undefined && owner !== e.eventId ? owner : undefined;
    const stack = open.get(e.agentId) ?? [];
    if (e.eventType === COMPLETED) {
      let closes: string | undefined;
      if (p !== undefined && stack.includes(p)) closes = p;
      else if (e.parentEventId && stack.includes(e.parentEventId)) closes = e.parentEventId;
      else if (p === undefined) closes = stack.at(-1);
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
    if (p === undefined) {
      const parentSpan = spanField(e, 'parent_span_id');
      const spanParent = parentSpan ? spanOwner.get(parentSpan) : undefined;
      if (spanParent !== undefined && spanParent !== e.eventId) p = spanParent;
    }
    if (p === undefined && e.eventType !== COMPLETED) p = stack.at(-1);
    parent.set(e.eventId, p ?? null);
    if (e.eventType === STARTED) {
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

function ownTotals(e: EventRecord): RunTotals {
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

/** The run as a tree. `events` are the run's events oldest first (as {@link runEvents} returns them). */
export function buildRunTree(
  id: string,
  events: EventRecord[],
  truncated: boolean,
): RunTree | null {
  if (events.length === 0) return null;
  const { parent, completionOf } = parentsOf(events);
  const children = new Map<string, string[]>();
  const rootIds: string[] = [];
  for (const e of events) {
    const p = parent.get(e.eventId) ?? null;
    if (p === null) rootIds.push(e.eventId);
    else children.set(p, [...(children.get(p) ?? []), e.eventId]);
  }
  const byId = new Map(events.map((e) => [e.eventId, e]));
  const nodes: RunNode[] = [];
  const nodeOf = new Map<string, RunNode>();
  // Pre-order walk without recursion (a deep chain must not overflow the stack).
  const stack: Array<{ id: string; depth: number }> = [...rootIds]
    .reverse()
    .map((rootId) => ({ id: rootId, depth: 0 }));
  while (stack.length > 0) {
    const { id: nodeId, depth } = stack.pop()!;
    const event = byId.get(nodeId)!;
    const childIds = children.get(nodeId) ?? [];
    const node: RunNode = {
      event,
      parentId: parent.get(nodeId) ?? null,
      depth,
      childIds,
      durationMs: null,
      totals: ownTotals(event),
    };
    nodes.push(node);
    nodeOf.set(nodeId, node);
    for (let i = childIds.length - 1; i >= 0; i--)
      stack.push({ id: childIds[i], depth: depth + 1 });
  }
  // Post-order (reverse pre-order): roll totals and the latest time up to the parents.
  const lastMs = new Map<string, number>();
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    const own = millis(node.event.timestamp);
    const latest = Math.max(own, ...node.childIds.map((c) => lastMs.get(c) ?? own));
    lastMs.set(node.event.eventId, latest);
    for (const childId of node.childIds) add(node.totals, nodeOf.get(childId)!.totals);
    const completion = completionOf.get(node.event.eventId);
    if (completion) {
      node.durationMs = completion.latencyMs ?? millis(completion.timestamp) - own;
    } else if (node.event.latencyMs !== null) {
      node.durationMs = node.event.latencyMs;
    } else if (node.childIds.length > 0) {
      node.durationMs = latest - own;
    }
  }
  const totals: RunTotals = {
    events: 0,
    failures: 0,
    inputTokens: 0,
    outputTokens: 0,
    tokens: 0,
    cost: 0,
  };
  for (const rootId of rootIds) add(totals, nodeOf.get(rootId)!.totals);
  const startedAt = events[0].timestamp;
  const endedAt = events[events.length - 1].timestamp;
  return {
    id,
    startedAt,
    endedAt,
    durationMs: millis(endedAt) - millis(startedAt),
    agents: [...new Set(events.map((e) => e.agentId))].sort(),
    truncated,
    totals,
    rootIds,
    nodes,
  };
}
