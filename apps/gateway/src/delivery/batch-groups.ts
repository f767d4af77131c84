import type { StreamedEvent } from '@auren/contracts';

/** Room names of batch groups start with this (no routing room does: see room-router). */
export const BATCH_ROOM_PREFIX = 'batch|';

/** At most this many events in one `stream_events` message: a longer run is sent in parts. */
export const BATCH_MAX_EVENTS = 500;

interface Group {
  readonly name: string;
  readonly rooms: readonly string[];
  events: StreamedEvent[];
  /** The number of the last event appended (an event selected by two rooms is appended once). */
  stamp: number;
}

/**
 * Connections with `delivery: 'batch'` (CONTRACT §4, an AUREN addition). Connections that would
 * be in exactly the same routing rooms receive exactly the same events, so they share one group,
 * itself a Socket.IO room (`batch|` + their sorted routing rooms): an event selecting any of a
 * group's routing rooms is appended to the group once, and at the end of the stream read the
 * group's events go out as one `stream_events` emit to its room — one encoding per group, as a
 * room emit is one encoding per event. Which groups an event reaches is found through an index
 * from routing room to groups, so the cost per event is the rooms it selects, not the groups.
 */
export class BatchGroups {
  private readonly groups = new Map<string, Group>();
  private readonly byRoom = new Map<string, Group[]>();
  private pending: Group[] = [];
  private seq = 0;

  /** The group room of connections whose routing rooms are `rooms`. */
  static nameOf(rooms: readonly string[]): string {
    return BATCH_ROOM_PREFIX + JSON.stringify([...rooms].sort());
  }

  get size(): number {
    return this.groups.size;
  }

  /** Events appended and not yet taken. */
  get pendingEvents(): number {
    let n = 0;
    for (const group of this.pending) n += group.events.length;
    return n;
  }

  /** Registers the group `name` of routing rooms `rooms` (when a first connection joins it). */
  ensure(name: string, rooms: readonly string[]): void {
    if (this.groups.has(name)) return;
    const group: Group = { name, rooms, events: [], stamp: 0 };
    this.groups.set(name, group);
    for (const room of rooms) {
      const list = this.byRoom.get(room);
      if (list) list.push(group);
      else this.byRoom.set(room, [group]);
    }
  }

  /** Forgets the group `name` (its room was deleted: its last connection left). */
  drop(name: string): void {
    const group = this.groups.get(name);
    if (!group) return;
    this.groups.delete(name);
    for (const room of group.rooms) {
      const list = this.byRoom.get(room);
      if (!list) continue;
      const rest = list.filter((g) => g !== group);
      if (rest.length === 0) this.byRoom.delete(room);
      else this.byRoom.set(room, rest);
    }
  }

  /**
   * Appends `event` to every group holding one of the routing rooms it selects. Answers how
   * many groups took it, and whether one of them reached {@link BATCH_MAX_EVENTS} (send now).
   */
  offer(rooms: readonly string[], event: StreamedEvent): { groups: number; full: boolean } {
    const stamp = ++this.seq;
    let groups = 0;
    let full = false;
    for (const room of rooms) {
      const list = this.byRoom.get(room);
      if (!list) continue;
      for (const group of list) {
        if (group.stamp === stamp) continue;
        group.stamp = stamp;
        if (group.events.length === 0) this.pending.push(group);
        group.events.push(event);
        groups++;
        if (group.events.length >= BATCH_MAX_EVENTS) full = true;
      }
    }
    return { groups, full };
  }

  /** The groups' appended events, in stream order, and starts over. */
  take(): Array<{ name: string; events: StreamedEvent[] }> {
    const out = this.pending.map((group) => {
      const events = group.events;
      group.events = [];
      return { name: group.name, events };
    });
    this.pending = [];
    return out;
  }
}
