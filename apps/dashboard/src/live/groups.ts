import type { StreamedEvent } from '../contracts';
import { Deque } from './deque';

/** The buffered events of one run (trace or session), oldest first, with a change counter. */
export interface LiveGroup {
  /** Changes whenever an event joins or leaves the group (unique across groups and resets). */
  readonly version: number;
  readonly length: number;
  toArray(): StreamedEvent[];
}

/** What the look-back views read of the live buffer: its events grouped by trace and session. */
export interface LiveRunIndex {
  readonly traces: ReadonlyMap<string, LiveGroup>;
  readonly sessions: ReadonlyMap<string, LiveGroup>;
}

let clock = 0;

class Group implements LiveGroup {
  readonly events = new Deque<StreamedEvent>();
  version = ++clock;

  get length(): number {
    return this.events.length;
  }

  toArray(): StreamedEvent[] {
    return this.events.toArray();
  }
}

/**
 * The ring buffer's events grouped by a key (trace id, session id), kept as events enter and
 * leave the buffer: O(1) per event, so a view reads one group without scanning the buffer.
 */
export class GroupIndex {
  private readonly map = new Map<string, Group>();

  constructor(private readonly keyOf: (event: StreamedEvent) => string | null | undefined) {}

  get groups(): ReadonlyMap<string, LiveGroup> {
    return this.map;
  }

  add(event: StreamedEvent): void {
    const key = this.keyOf(event);
    if (!key) return;
    let group = this.map.get(key);
    if (!group) {
      group = new Group();
      this.map.set(key, group);
    }
    group.events.push(event);
    group.version = ++clock;
  }

  /** `event` left the buffer: it is the oldest of its group (the buffer is first in, first out). */
  remove(event: StreamedEvent): void {
    const key = this.keyOf(event);
    if (!key) return;
    const group = this.map.get(key);
    if (!group) return;
    if (group.events.peek() === event) group.events.shift();
    else {
      // Not expected (eviction is FIFO); stay correct anyway.
      const rest = group.events.toArray().filter((e) => e !== event);
      group.events.clear();
      for (const e of rest) group.events.push(e);
    }
    group.version = ++clock;
    if (group.length === 0) this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }
}

/** An index of a plain list of events (tests, and views given events rather than a store). */
export function indexEvents(events: readonly StreamedEvent[]): LiveRunIndex {
  const traces = new GroupIndex((e) => e.trace_id);
  const sessions = new GroupIndex((e) => e.session_id);
  for (const event of events) {
    traces.add(event);
    sessions.add(event);
  }
  return { traces: traces.groups, sessions: sessions.groups };
}
