import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  isStoredEvent,
  shouldDeliver,
  type ResumeFailureReason,
  type StreamedEvent,
  type Viewer,
} from '@auren/contracts';
import { EVENT_LOG, EventLog, StreamEntry, TOMBSTONE_FIELD } from '@auren/streaming';
import type { RecentRequest } from '../connections/client-input';

/** How far back `get_recent` looks for matching events, at most. */
export const RECENT_SCAN_LIMIT = 20_000;
const PAGE = 1000;

function decode(entry: StreamEntry): StreamedEvent | undefined {
  try {
    const event: unknown = JSON.parse(entry.json);
    if (!isStoredEvent(event)) return undefined;
    return entry.streamId === undefined
      ? { ...event, stream_id: entry.id }
      : { ...event, stream_id: entry.streamId, resume_token: entry.id };
  } catch {
    return undefined;
  }
}

function tombstoneOf(entry: StreamEntry): string | undefined {
  if (!entry.json.includes(TOMBSTONE_FIELD)) return undefined;
  try {
    const value = (JSON.parse(entry.json) as Record<string, unknown>)[TOMBSTONE_FIELD];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** History from the stream itself: `get_recent` and resume replay, both under the delivery rule. */
@Injectable()
export class HistoryService {
  private readonly logger = new Logger(HistoryService.name);

  constructor(@Inject(EVENT_LOG) private readonly log: EventLog) {}

  /**
   * The newest `limit` events the viewer would have received (optionally of some types),
   * oldest first. Looks back at most {@link RECENT_SCAN_LIMIT} records.
   */
  async recent(viewer: Viewer, request: RecentRequest): Promise<StreamedEvent[]> {
    const found: StreamedEvent[] = [];
    // Hybrid `all`: a tombstone follows the event it takes back, so newest-first sees it first.
    const cancelled = new Set<string>();
    let before: string | undefined;
    for (let scanned = 0; scanned < RECENT_SCAN_LIMIT && found.length < request.limit;) {
      const entries = await this.log.readBackward(PAGE, before);
      if (entries.length === 0) break;
      for (const entry of entries) {
        const tombstone = tombstoneOf(entry);
        if (tombstone !== undefined) {
          cancelled.add(tombstone);
          continue;
        }
        const event = decode(entry);
        if (
          event &&
          !cancelled.has(event.event_id) &&
          (!request.eventTypes || request.eventTypes.has(event.event_type)) &&
          shouldDeliver(event, viewer)
        ) {
          found.push(event);
          if (found.length === request.limit) break;
        }
      }
      scanned += entries.length;
      before = entries[entries.length - 1].id;
    }
    return found.reverse();
  }

  /** Whether the record at `position` is still in the stream (so nothing after it was trimmed). */
  holds(position: string): Promise<boolean> {
    return this.log.holds(position);
  }

  /**
   * Why the stream no longer holds `position`: from before a reset (older than the current
   * stream's first entry ever, after its newest id, or the stream is gone), or trimmed.
   */
  async whyNotHeld(position: string): Promise<ResumeFailureReason> {
    const identity = await this.log.identity?.();
    if (identity && position !== '0-0') {
      if (!identity.exists) return 'stream_reset';
      if (identity.generation && this.log.comparePositions(position, identity.generation) < 0)
        return 'stream_reset';
      if (this.log.comparePositions(position, identity.lastId) > 0) return 'stream_reset';
    }
    return 'trimmed';
  }

  /** Whether `value` is a position of the log history reads (resume works from it). */
  isPosition(value: string): boolean {
    return this.log.isPosition(value);
  }

  /** Negative when `a` is before `b` in the stream. */
  comparePositions(a: string, b: string): number {
    return this.log.comparePositions(a, b);
  }

  /**
   * One page of history for `viewer`: the events after `after`, up to and including `through`,
   * that it would have received (reading at most one page of records). `reached` is the last
   * position read; equal to `after` when there was nothing left to read.
   */
  async page(
    viewer: Viewer,
    after: string,
    through: string,
  ): Promise<{ reached: string; events: StreamedEvent[] }> {
    const events: StreamedEvent[] = [];
    let reached = after;
    for (const entry of await this.log.readAfter(after, PAGE, 0)) {
      if (this.log.comparePositions(entry.id, through) > 0) break;
      reached = entry.id;
      const tombstone = tombstoneOf(entry);
      if (tombstone !== undefined) {
        // Taken back by a hybrid `all` write; its event is usually in the same page.
        const at = events.findIndex((e) => e.event_id === tombstone);
        if (at >= 0) events.splice(at, 1);
        continue;
      }
      const event = decode(entry);
      if (!event)
        this.logger.warn(`Skipped stream record ${entry.id} in history: not a valid event`);
      else if (shouldDeliver(event, viewer)) events.push(event);
    }
    return { reached, events };
  }
}
