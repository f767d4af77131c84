import type { CollaborationSummary } from '@auren/contracts';
import { round6 } from './agent-figures';
import { RecencyNode } from './recency-list';

/** Distinct partners kept per entry; further partners of that entry are not counted. */
export const MAX_PARTNERS_PER_ENTRY = 64;

/**
 * Collaboration key → owner bucket → source agent → entry. The source agent is kept apart from
 * the key (payload.primary_agent) because visibility and agent filters apply to
 * `source_agent.id`, as for every event.
 */
export type CollaborationTable = Map<
  string,
  Map<string | undefined, Map<string, CollaborationEntry>>
>;

/** The collaboration figures of one key built from one (owner bucket, source agent). */
export class CollaborationEntry extends RecencyNode {
  total = 0;
  agreed = 0;
  readonly partners = new Set<string>();
  lastOrdinal = 0;
  lastReceivedAt = '';

  constructor(
    readonly key: string,
    readonly owner: string | undefined,
    readonly source: string,
    private readonly table: CollaborationTable,
  ) {
    super();
  }

  detach(): void {
    const byOwner = this.table.get(this.key);
    const bySource = byOwner?.get(this.owner);
    if (!byOwner || !bySource) return;
    bySource.delete(this.source);
    if (bySource.size === 0) byOwner.delete(this.owner);
    if (byOwner.size === 0) this.table.delete(this.key);
  }

  add(
    payload: Record<string, unknown>,
    target: string | undefined,
    ordinal: number,
    receivedAt: string,
  ): void {
    this.total += 1;
    if (payload.consensus_reached === true) this.agreed += 1;
    const list = payload.collaborating_agents;
    if (Array.isArray(list)) for (const id of list as unknown[]) this.addPartner(id);
    this.addPartner(target);
    this.lastOrdinal = ordinal;
    this.lastReceivedAt = receivedAt;
  }

  private addPartner(id: unknown): void {
    if (typeof id !== 'string' || id.length === 0 || id === this.key) return;
    if (this.partners.size < MAX_PARTNERS_PER_ENTRY) this.partners.add(id);
  }
}

/** The collaboration key of an `agent_collaboration` event. */
export function collaborationKey(payload: Record<string, unknown>, source: string): string {
  const primary = payload.primary_agent;
  return typeof primary === 'string' && primary.length > 0 ? primary : source;
}

/** The figures of one key over the entries a viewer may see (at least one). */
export function mergeCollaboration(entries: readonly CollaborationEntry[]): CollaborationSummary {
  let total = 0;
  let agreed = 0;
  let newest = entries[0];
  const partners = entries.length === 1 ? entries[0].partners : new Set<string>();
  for (const entry of entries) {
    total += entry.total;
    agreed += entry.agreed;
    if (entry.lastOrdinal > newest.lastOrdinal) newest = entry;
    if (entries.length > 1) for (const p of entry.partners) partners.add(p);
  }
  return {
    total_collaborations: total,
    success_rate: round6(agreed / total),
    unique_partners: partners.size,
    last_collaboration: newest.lastReceivedAt,
  };
}
