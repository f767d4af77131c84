/**
 * A run (the events of one trace or session) as a tree, built in the browser from the stored
 * events (GraphQL `trace`/`session`, each node's `event`) merged with the live events of the same
 * run, so an open run keeps growing. The tree itself is libs/contracts' run-tree.ts, the same
 * parent rules the history service answers `trace(id)` with (docs/graphql.md).
 */
import {
  RUN_COMPLETED as COMPLETED,
  RUN_STARTED as STARTED,
  runSpanField,
  runTreeOf,
  type RunTotals,
  type RunTreeNode,
  type StreamedEvent,
} from './contracts';
import type { LiveGroup } from '../live/groups';

/** One event of a run, in the fields the tree and the views need. */
export interface RunEvent {
  eventId: string;
  eventType: string;
  /** ISO time as received. */
  timestamp: string;
  /** `timestamp` in epoch milliseconds (NaN-safe: 0 when unparseable). */
  ms: number;
  agentId: string;
  targetAgentId: string | null;
  parentEventId: string | null;
  traceId: string | null;
  sessionId: string | null;
  model: string | null;
  latencyMs: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  tokens: number | null;
  cost: number | null;
  success: boolean | null;
  errorType: string | null;
  spanId: string | null;
  parentSpanId: string | null;
  /** The event as streamed, for the details pane. */
  raw: Record<string, unknown> | null;
}

/** The stored event fields the run query asks for (queries.ts, RUN_FIELDS). */
export interface StoredEvent {
  eventId: string;
  eventType: string;
  timestamp: string;
  agentId: string;
  targetAgentId?: string | null;
  parentEventId?: string | null;
  traceId?: string | null;
  sessionId?: string | null;
  model?: string | null;
  latencyMs?: number | null;
  inputTokens?: number | null;
  outputTokens?: number | null;
  tokens?: number | null;
  cost?: number | null;
  success?: boolean | null;
  errorType?: string | null;
  raw?: unknown;
}

type Json = Record<string, unknown>;
const obj = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : undefined;
const str = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' ? value : null;
const num = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;
const bool = (value: unknown): boolean | null => (typeof value === 'boolean' ? value : null);

/** Epoch ms of an ISO time; 0 when it does not parse. */
export function toMillis(iso: string): number {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : 0;
}

/** Tokens as the history files them: tokens_used, else input + output, else none. */
function tokensOf(m: Json): number | null {
  const used = num(m.tokens_used);
  if (used !== null) return used;
  const input = num(m.input_tokens);
  const output = num(m.output_tokens);
  return input !== null || output !== null ? (input ?? 0) + (output ?? 0) : null;
}

/** A live event (Socket.IO `stream_event`) as a run event; its figures as the history files them. */
export function fromStreamed(event: StreamedEvent): RunEvent {
  const raw = event as unknown as Json;
  const m = obj(raw.performance_metrics) ?? {};
  const input = num(m.input_tokens);
  const output = num(m.output_tokens);
  const timestamp = str(event.timestamp) ?? str(event.received_at) ?? '';
  return {
    eventId: event.event_id,
    eventType: event.event_type,
    timestamp,
    ms: toMillis(timestamp),
    agentId: str(obj(raw.source_agent)?.id) ?? '?',
    targetAgentId: str(obj(raw.target_agent)?.id),
    parentEventId: str(event.parent_event_id),
    traceId: str(event.trace_id),
    sessionId: str(event.session_id),
    model: str(m.model) ?? str(obj(raw.payload)?.model),
    latencyMs: num(m.latency_ms),
    inputTokens: input,
    outputTokens: output,
    tokens: tokensOf(m),
    cost: num(m.token_cost),
    success: bool(m.success),
    errorType: str(m.error_type),
    spanId: runSpanField(raw, 'span_id'),
    parentSpanId: runSpanField(raw, 'parent_span_id'),
    raw,
  };
}

/** A stored event (GraphQL `Event`) as a run event. */
export function fromStored(event: StoredEvent): RunEvent {
  const raw = obj(event.raw) ?? null;
  return {
    eventId: event.eventId,
    eventType: event.eventType,
    timestamp: event.timestamp,
    ms: toMillis(event.timestamp),
    agentId: event.agentId,
    targetAgentId: event.targetAgentId ?? null,
    parentEventId: event.parentEventId ?? null,
    traceId: event.traceId ?? null,
    sessionId: event.sessionId ?? null,
    model: event.model ?? null,
    latencyMs: num(event.latencyMs),
    inputTokens: num(event.inputTokens),
    outputTokens: num(event.outputTokens),
    tokens: num(event.tokens),
    cost: num(event.cost),
    success: bool(event.success),
    errorType: event.errorType ?? null,
    spanId: runSpanField(raw, 'span_id'),
    parentSpanId: runSpanField(raw, 'parent_span_id'),
    raw,
  };
}

const typeRank = (type: string): number => (type === STARTED ? 0 : type === COMPLETED ? 2 : 1);

/**
 * The union of the stored and the live events of a run, each event once (by `event_id`; the
 * stored copy wins), oldest first. Ties in time: starts first, completions last, then the order
 * they came in.
 */
export function mergeRunEvents(stored: readonly RunEvent[], live: readonly RunEvent[]): RunEvent[] {
  const byId = new Map<string, { event: RunEvent; index: number }>();
  let index = 0;
  for (const list of [stored, live])
    for (const event of list) {
      if (!byId.has(event.eventId)) byId.set(event.eventId, { event, index });
      index++;
    }
  return [...byId.values()]
    .sort(
      (a, b) =>
        a.event.ms - b.event.ms ||
        typeRank(a.event.eventType) - typeRank(b.event.eventType) ||
        a.index - b.index,
    )
    .map((entry) => entry.event);
}

/** Whether a live event belongs to the run being shown. */
export function inRun(
  event: StreamedEvent,
  run: { traceId?: string; sessionId?: string },
): boolean {
  if (run.traceId) return event.trace_id === run.traceId;
  if (run.sessionId) return event.session_id === run.sessionId;
  return false;
}

export type { RunTotals };

/** A node of the run: see libs/contracts run-tree.ts (`open`, `completes`, durations). */
export type RunNode = RunTreeNode<RunEvent>;

export interface RunTree {
  id: string;
  startMs: number;
  /** The latest moment the run covers: the last event, or the end of the longest node. */
  endMs: number;
  durationMs: number;
  agents: string[];
  totals: RunTotals;
  rootIds: string[];
  /** Pre-order, children oldest first. */
  nodes: RunNode[];
  /** Some agent execution is still open. */
  inProgress: boolean;
  truncated: boolean;
}

/** The run as a tree; `events` oldest first (as {@link mergeRunEvents} answers). Null when empty. */
export function buildRunTree(
  id: string,
  events: readonly RunEvent[],
  truncated = false,
): RunTree | null {
  const tree = runTreeOf(events, (e) => e);
  if (!tree) return null;
  return {
    id,
    startMs: tree.startMs,
    endMs: tree.endMs,
    durationMs: tree.endMs - tree.startMs,
    agents: tree.agents,
    totals: tree.totals,
    rootIds: tree.rootIds,
    nodes: tree.nodes,
    inProgress: tree.inProgress,
    truncated,
  };
}

export interface WaterfallBar {
  eventId: string;
  /** Offset from the run's start, percent of the span (0..100). */
  leftPct: number;
  /** Width, percent of the span; at least `minPct` so instants stay visible. */
  widthPct: number;
  /** The bar runs to the end of the span because the execution is still open. */
  open: boolean;
  /** An instant event (no duration known). */
  instant: boolean;
}

/**
 * Waterfall geometry: each node's bar from its start to its end on a common time axis from the
 * run's first event to `max(run end, now)` (`now` only matters for a run in progress: its open
 * executions run to `now`).
 */
export function waterfall(
  tree: RunTree,
  now?: number,
  minPct = 0.4,
): { spanMs: number; bars: WaterfallBar[] } {
  const end = tree.inProgress && now !== undefined ? Math.max(tree.endMs, now) : tree.endMs;
  const spanMs = Math.max(1, end - tree.startMs);
  const bars = tree.nodes.map((node) => {
    const start = node.event.ms - tree.startMs;
    let duration = node.completes === null ? node.durationMs : null;
    const open = node.open && tree.inProgress;
    if (open) duration = end - node.event.ms;
    const instant = duration === null || duration <= 0;
    let leftPct = clamp((start / spanMs) * 100, 0, 100);
    const widthPct = clamp(instant ? minPct : ((duration as number) / spanMs) * 100, minPct, 100);
    // A bar that would pass the end (an instant at the very end) is moved back inside.
    if (leftPct + widthPct > 100) leftPct = 100 - widthPct;
    return { eventId: node.event.eventId, leftPct, widthPct, open, instant };
  });
  return { spanMs, bars };
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** The ids of the nodes a collapsed set hides (every descendant of a collapsed node). */
export function hiddenByCollapse(tree: RunTree, collapsed: ReadonlySet<string>): Set<string> {
  const hidden = new Set<string>();
  for (const node of tree.nodes) {
    // Pre-order: a node's parent comes before it.
    if (node.parentId !== null && (collapsed.has(node.parentId) || hidden.has(node.parentId)))
      hidden.add(node.event.eventId);
  }
  return hidden;
}

export type RunStatus = 'running' | 'failed' | 'ok';

export interface RecentRun {
  traceId: string;
  /** The agent of the run's first event. */
  agent: string;
  agents: number;
  events: number;
  cost: number;
  tokens: number;
  failures: number;
  firstMs: number;
  lastMs: number;
  status: RunStatus;
}

/**
 * The runs (trace ids) of the live events, most recent activity first: agent, counts, cost, last
 * activity and status (running while an agent execution start has no completion).
 */
export function recentRuns(events: readonly StreamedEvent[], limit = 200): RecentRun[] {
  interface Acc extends RecentRun {
    agentSet: Set<string>;
    open: Map<string, number>;
    seen: Set<string>;
  }
  const runs = new Map<string, Acc>();
  // Reads the few fields a run's summary needs straight from the event (no RunEvent per event:
  // opening the Traces view computes this over the whole buffer).
  for (const event of events) {
    const traceId = event.trace_id;
    if (!traceId) continue;
    const agentId = event.source_agent?.id ?? '?';
    const ms = toMillis(event.timestamp || event.received_at || '');
    let run = runs.get(traceId);
    if (!run) {
      run = {
        traceId,
        agent: agentId,
        agents: 0,
        events: 0,
        cost: 0,
        tokens: 0,
        failures: 0,
        firstMs: ms,
        lastMs: ms,
        status: 'ok',
        agentSet: new Set(),
        open: new Map(),
        seen: new Set(),
      };
      runs.set(traceId, run);
    }
    if (run.seen.has(event.event_id)) continue;
    run.seen.add(event.event_id);
    run.events++;
    const m = obj(event.performance_metrics);
    if (m) {
      run.cost += num(m.token_cost) ?? 0;
      run.tokens += tokensOf(m) ?? 0;
      if (m.success === false) run.failures++;
    }
    run.agentSet.add(agentId);
    if (ms < run.firstMs) {
      run.firstMs = ms;
      run.agent = agentId;
    }
    if (ms > run.lastMs) run.lastMs = ms;
    if (event.event_type === STARTED) run.open.set(agentId, (run.open.get(agentId) ?? 0) + 1);
    if (event.event_type === COMPLETED) {
      const n = run.open.get(agentId) ?? 0;
      if (n > 0) run.open.set(agentId, n - 1);
    }
  }
  const list: RecentRun[] = [];
  for (const run of runs.values()) {
    const openCount = [...run.open.values()].reduce((a, b) => a + b, 0);
    list.push({
      traceId: run.traceId,
      agent: run.agent,
      agents: run.agentSet.size,
      events: run.events,
      cost: run.cost,
      tokens: run.tokens,
      failures: run.failures,
      firstMs: run.firstMs,
      lastMs: run.lastMs,
      status: openCount > 0 ? 'running' : run.failures > 0 ? 'failed' : 'ok',
    });
  }
  list.sort(byRecentActivity);
  return list.slice(0, limit);
}

const byRecentActivity = (a: RecentRun, b: RecentRun) =>
  b.lastMs - a.lastMs || a.traceId.localeCompare(b.traceId);

/**
 * {@link recentRuns} of the live buffer, kept per trace: a call recomputes only the traces whose
 * events changed since the previous one (the store's per-trace index says which), so the list
 * costs O(changed events + traces), not a pass over the 20,000 buffered events. Equal to
 * `recentRuns(every buffered event, limit)`.
 */
export class RecentRunsCache {
  private readonly runs = new Map<string, { version: number; run: RecentRun | undefined }>();

  update(traces: ReadonlyMap<string, LiveGroup>, limit = 200): RecentRun[] {
    for (const id of this.runs.keys()) if (!traces.has(id)) this.runs.delete(id);
    const list: RecentRun[] = [];
    for (const [id, group] of traces) {
      let cached = this.runs.get(id);
      if (!cached || cached.version !== group.version) {
        cached = { version: group.version, run: recentRuns(group.toArray(), 1)[0] };
        this.runs.set(id, cached);
      }
      if (cached.run) list.push(cached.run);
    }
    list.sort(byRecentActivity);
    return list.slice(0, limit);
  }
}

export type NodeKind = 'agent' | 'llm' | 'tool' | 'collab' | 'other';

/** The kind of a node, for its colour. */
export function nodeKind(eventType: string): NodeKind {
  if (eventType === STARTED || eventType === COMPLETED) return 'agent';
  if (eventType === 'llm_call') return 'llm';
  if (eventType === 'tool_usage') return 'tool';
  if (eventType === 'agent_collaboration') return 'collab';
  return 'other';
}

/** What a node is, in a few words: `LLM call · gpt-4o`, `Tool · search`, `planner started`. */
export function nodeLabel(e: RunEvent): string {
  const payload = obj(e.raw?.payload) ?? {};
  switch (e.eventType) {
    case STARTED:
      return `${e.agentId} started`;
    case COMPLETED:
      return `${e.agentId} completed`;
    case 'llm_call':
      return e.model ? `LLM call · ${e.model}` : 'LLM call';
    case 'tool_usage': {
      const tool = str(payload.tool_name) ?? str(payload.tool) ?? str(payload.name);
      return tool ? `Tool · ${tool}` : 'Tool call';
    }
    case 'agent_collaboration':
      return e.targetAgentId ? `Collaboration → ${e.targetAgentId}` : 'Collaboration';
    default:
      return e.eventType.replace(/_/g, ' ');
  }
}
