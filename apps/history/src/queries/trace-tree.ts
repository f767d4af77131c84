import { runSpanField, runTreeOf, type RunTotals, type RunTreeNode } from '@auren/contracts';
import type { EventRecord } from './event-record';

export type { RunTotals };

/** A node of a stored run (libs/contracts run-tree.ts holds the parent rules). */
export type RunNode = RunTreeNode<EventRecord>;

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

/** Epoch ms of the history's microsecond UTC text (Date.parse takes milliseconds). */
const millis = (iso: string): number => Date.parse(iso.slice(0, 23) + 'Z');

/** The run as a tree. `events` are the run's events oldest first (as {@link runEvents} returns them). */
export function buildRunTree(
  id: string,
  events: EventRecord[],
  truncated: boolean,
): RunTree | null {
  const tree = runTreeOf(events, (e) => ({
    eventId: e.eventId,
    eventType: e.eventType,
    agentId: e.agentId,
    parentEventId: e.parentEventId,
    spanId: runSpanField(e.raw, 'span_id'),
    parentSpanId: runSpanField(e.raw, 'parent_span_id'),
    ms: millis(e.timestamp),
    latencyMs: e.latencyMs,
    success: e.success,
    inputTokens: e.inputTokens,
    outputTokens: e.outputTokens,
    tokens: e.tokens,
    cost: e.cost,
  }));
  if (!tree) return null;
  return {
    id,
    startedAt: events[0].timestamp,
    endedAt: events[events.length - 1].timestamp,
    durationMs: tree.lastEventMs - tree.startMs,
    agents: tree.agents,
    truncated,
    totals: tree.totals,
    rootIds: tree.rootIds,
    nodes: tree.nodes,
  };
}
