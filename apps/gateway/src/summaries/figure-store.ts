import type {
  AgentEvent,
  AgentSummary,
  CollaborationSummary,
  PerformanceSummaryMessage,
  Viewer,
} from '@auren/contracts';
import { effectiveAgents } from '../delivery/room-router';
import { AgentEntry, AgentTable, mergeAgent } from './agent-figures';
import {
  CollaborationEntry,
  collaborationKey,
  CollaborationTable,
  mergeCollaboration,
} from './collaboration-figures';
import { RecencyList } from './recency-list';

/** The parts of an event the figures read (warm-up keeps only these). */
export type SummaryInput = Pick<
  AgentEvent,
  | 'event_type'
  | 'received_at'
  | 'user_id'
  | 'source_agent'
  | 'target_agent'
  | 'payload'
  | 'performance_metrics'
>;

export type AgentFigures = PerformanceSummaryMessage['data']['agents'];
export type CollaborationFigures = PerformanceSummaryMessage['data']['collaboration'];

/**
 * The performance cache: figures per (owner bucket, agent) and per (owner bucket, source agent,
 * collaboration key), built from events applied in stream order, merged per viewer when
 * rendered. Holds at most `capacity` entries in total; the entry updated longest ago is evicted.
 */
export class FigureStore {
  private readonly agents: AgentTable = new Map();
  private readonly collaborations: CollaborationTable = new Map();
  private readonly recency: RecencyList;
  /** Stream order of the events applied: 1, 2, 3... */
  private ordinal = 0;

  constructor(capacity: number, onEvict?: () => void) {
    this.recency = new RecencyList(capacity, onEvict);
  }

  /** Entries held (agents and collaborations). */
  get size(): number {
    return this.recency.size;
  }

  /** Hot path: O(1) map look-ups, allocates only when an entry is new. */
  apply(event: SummaryInput): void {
    const ordinal = ++this.ordinal;
    const source = event.source_agent.id;
    const owner = event.user_id;
    const agent = this.agentEntry(source, owner);
    agent.seen(ordinal, event.received_at);
    if (event.performance_metrics) agent.addOperation(event.performance_metrics, ordinal);
    if (event.event_type === 'agent_collaboration') {
      const payload = event.payload ?? {};
      this.collaborationEntry(collaborationKey(payload, source), owner, source).add(
        payload,
        event.target_agent?.id,
        ordinal,
        event.received_at,
      );
    }
  }

  /** The agents and collaboration figures built from the events `viewer` may see. */
  render(viewer: Viewer): { agents: AgentFigures; collaboration: CollaborationFigures } {
    const agents: Record<string, AgentSummary> = {};
    const watched = effectiveAgents(viewer) ?? [...this.agents.keys()];
    for (const id of watched.sort()) {
      const byOwner = this.agents.get(id);
      if (!byOwner) continue;
      const entries = visibleBuckets(byOwner, viewer);
      if (entries.length > 0) agents[id] = mergeAgent(entries);
    }
    const collaboration: Record<string, CollaborationSummary> = {};
    for (const key of [...this.collaborations.keys()].sort()) {
      const entries: CollaborationEntry[] = [];
      for (const bySource of visibleBuckets(this.collaborations.get(key)!, viewer)) {
        for (const [source, entry] of bySource) if (watches(viewer, source)) entries.push(entry);
      }
      if (entries.length > 0) collaboration[key] = mergeCollaboration(entries);
    }
    return { agents, collaboration };
  }

  private agentEntry(id: string, owner: string | undefined): AgentEntry {
    let byOwner = this.agents.get(id);
    if (!byOwner) {
      byOwner = new Map();
      this.agents.set(id, byOwner);
    }
    let entry = byOwner.get(owner);
    if (entry) {
      this.recency.touch(entry);
      return entry;
    }
    entry = new AgentEntry(id, owner, this.agents);
    byOwner.set(owner, entry);
    this.recency.add(entry);
    return entry;
  }

  private collaborationEntry(
    key: string,
    owner: string | undefined,
    source: string,
  ): CollaborationEntry {
    let byOwner = this.collaborations.get(key);
    if (!byOwner) {
      byOwner = new Map();
      this.collaborations.set(key, byOwner);
    }
    let bySource = byOwner.get(owner);
    if (!bySource) {
      bySource = new Map();
      byOwner.set(owner, bySource);
    }
    let entry = bySource.get(source);
    if (entry) {
      this.recency.touch(entry);
      return entry;
    }
    entry = new CollaborationEntry(key, owner, source, this.collaborations);
    bySource.set(source, entry);
    this.recency.add(entry);
    return entry;
  }
}

/** The owner buckets `viewer` may see: all of them with the `all` permission, else unowned and its own. */
function visibleBuckets<T>(byOwner: Map<string | undefined, T>, viewer: Viewer): T[] {
  if (viewer.seesAllUsers) return [...byOwner.values()];
  const found: T[] = [];
  const unowned = byOwner.get(undefined);
  if (unowned !== undefined) found.push(unowned);
  const own = byOwner.get(viewer.userId);
  if (own !== undefined) found.push(own);
  return found;
}

/** Whether `viewer`'s permissions and agent filter let it see events of `agent`. */
function watches(viewer: Viewer, agent: string): boolean {
  return (
    (viewer.allowedAgents === null || viewer.allowedAgents.has(agent)) &&
    (viewer.agentFilter.size === 0 || viewer.agentFilter.has(agent))
  );
}
