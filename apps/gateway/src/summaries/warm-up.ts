import { isStoredEvent } from '@auren/contracts';
import type { EventLog, StreamEntry } from '@auren/streaming';
import type { SummaryInput } from './figure-store';

const PAGE = 1000;

/** What one warm-up read. */
export interface WarmUpRead {
  /** The events, oldest first, reduced to what the figures need. */
  events: SummaryInput[];
  /** Stream records read (valid or not). */
  records: number;
  /** Position of the oldest record read, if any. */
  from?: string;
}

/**
 * Reads the newest `limit` stream records up to and including `through`, backwards page by page,
 * and returns the valid events among them oldest first. Records that are not events are skipped,
 * as the stream transport skips them. Keeps only the fields the figures need, so that holding
 * 100,000 events costs tens of MB, not their payloads.
 */
export async function readForWarmUp(
  log: EventLog,
  through: string,
  limit: number,
): Promise<WarmUpRead> {
  const newestFirst: SummaryInput[] = [];
  let records = 0;
  let from: string | undefined;
  if (through === '0-0' || limit <= 0) return { events: [], records };
  let before = through;
  let inclusive = true;
  while (records < limit) {
    const entries = await log.readBackward(Math.min(PAGE, limit - records), before, inclusive);
    inclusive = false;
    if (entries.length === 0) break;
    for (const entry of entries) {
      const event = decode(entry);
      if (event) newestFirst.push(event);
    }
    records += entries.length;
    before = entries[entries.length - 1].id;
    from = before;
  }
  return { events: newestFirst.reverse(), records, from };
}

function decode(entry: StreamEntry): SummaryInput | undefined {
  let value: unknown;
  try {
    value = JSON.parse(entry.json);
  } catch {
    return undefined;
  }
  if (!isStoredEvent(value)) return undefined;
  const payload = value.payload ?? {};
  const target = value.target_agent?.id;
  return {
    event_type: value.event_type,
    received_at: value.received_at,
    user_id: value.user_id,
    source_agent: { id: value.source_agent.id },
    target_agent: typeof target === 'string' ? { id: target } : null,
    payload:
      value.event_type === 'agent_collaboration'
        ? {
            primary_agent: payload.primary_agent,
            collaborating_agents: payload.collaborating_agents,
            consensus_reached: payload.consensus_reached,
          }
        : {},
    performance_metrics: value.performance_metrics,
  };
}
