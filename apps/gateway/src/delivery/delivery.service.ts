import { Inject, Injectable } from '@nestjs/common';
import type { Server } from 'socket.io';
import type {
  StreamedEvent,
  StreamResetMessage,
  StreamResetReason,
  Viewer,
} from '@auren/contracts';
import type { StreamReset } from '@auren/streaming';
import { AUREN_CONFIG, AurenConfig } from '@auren/config';
import type { ConnectionState } from '../connections/connection-state';
import type { AurenServer, AurenSocket } from '../connections/socket-types';
import { HistoryService } from '../history/history.service';
import { SummaryService } from '../summaries/summary.service';
import { BATCH_ROOM_PREFIX, BatchGroups } from './batch-groups';
import { GatewayMetrics } from './gateway-metrics';
import { isAlertRoom, roomsForEvent, roomsForViewer } from './room-router';
import { ThresholdRegistry } from './threshold-registry';

/** Connections whose outgoing queue is full: live emits skip them until they drain. */
export const SLOW_ROOM = 'auren:slow';

/** The part of engine.io's socket this service reads: its queue of packets not yet written. */
interface EngineConnection {
  writeBuffer: unknown[];
  on(event: 'packetCreate' | 'drain' | 'flush', listener: () => void): unknown;
  once(event: 'drain', listener: () => void): unknown;
  off(event: 'drain', listener: () => void): unknown;
}

/** How long a resume waits for this pod to reach a position another pod gave the client. */
const REACH_TIMEOUT_MS = 5000;

/**
 * Live delivery: one emit per event to the rooms that select it, and for `delivery: 'batch'`
 * connections one `stream_events` emit per batch group at the end of each stream read (see
 * BatchGroups). Also owns room membership (so that the rooms a connection is in always match its
 * state) and the bounded per-connection queue: a connection whose queue reaches
 * `AUREN_CLIENT_QUEUE_LIMIT` packets (a batch is one packet) is left out of live emits until it
 * drains, and is then told what it missed with a `stream_gap`.
 */
@Injectable()
export class DeliveryService {
  private server?: AurenServer;
  private readonly thresholds = new ThresholdRegistry();
  private readonly batches = new BatchGroups();
  /** The end-of-read send of the batch groups' events, while one is scheduled. */
  private batchSend: NodeJS.Immediate | null = null;
  private delivered = '0-0';
  /** The position of the (last) event being emitted right now, if any. */
  private emitting: string | null = null;
  /** How many events the packet being emitted carries (a `stream_events` batch: its length). */
  private emittingEvents = 1;
  /** Resumes waiting for live delivery to reach their position (see reach). */
  private waiters: Array<{ position: string; resolve: () => void }> = [];
  /** Packets created for all connections so far (see deliver). */
  private packets = 0;
  private markStarted!: () => void;
  private hasStarted = false;
  /** Resolves once the stream reader knows where live delivery starts. */
  readonly started = new Promise<void>((resolve) => (this.markStarted = resolve));

  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly summaries: SummaryService,
    private readonly history: HistoryService,
    @Inject(AUREN_CONFIG) private readonly config: AurenConfig,
  ) {}

  attach(server: AurenServer): void {
    this.server = server;
    // A batch group lives as long as its room: the last connection leaving deletes both.
    server.sockets.adapter.on('delete-room', (room: string) => {
      if (room.startsWith(BATCH_ROOM_PREFIX)) this.batches.drop(room);
    });
  }

  /** The Socket.IO server, once attached (alert delivery emits through it too). */
  get io(): AurenServer | undefined {
    return this.server;
  }

  /**
   * Packets created for connections so far: the difference around one synchronous emit is how
   * many connections it was handed to.
   */
  get packetsCreated(): number {
    return this.packets;
  }

  /**
   * The position of the last event emitted live. Updated in the same synchronous step as the
   * emit, which is what lets a connection hand over from history to rooms without a gap.
   */
  get deliveredThrough(): string {
    return this.delivered;
  }

  /** Whether the stream reader knows where live delivery starts (see `started`). */
  get isStarted(): boolean {
    return this.hasStarted;
  }

  /** Live delivery starts after `position`: everything up to it counts as delivered before. */
  startAt(position: string): void {
    this.delivered = position;
    this.hasStarted = true;
    this.markStarted();
  }

  /**
   * The stream was reset or lost (the stream reader noticed): live delivery starts over at the new
   * stream's start, and every connection is told, whatever it follows — positions it holds from
   * before are no longer valid. Events of the old stream it had not been sent yet may be gone.
   */
  reset({ reason, previous, position }: StreamReset): void {
    // What was read from the old stream goes out before the notice.
    this.sendBatches();
    this.delivered = position;
    this.metrics.streamResets.inc({ reason });
    const message: StreamResetMessage = {
      type: 'stream_reset',
      reason,
      position,
      previous,
      message: `${RESET_TEXT[reason]}; events after ${previous} not delivered yet may be lost. Live delivery goes on with the new stream; positions from before it cannot be resumed from.`,
    };
    this.server?.emit('stream_reset', message);
    // Resumes waiting for a position of the old stream would wait for nothing.
    for (const waiter of [...this.waiters]) waiter.resolve();
  }

  deliver(event: StreamedEvent): void {
    this.metrics.eventsReceived.inc();
    this.summaries.record(event);
    const server = this.server;
    const rooms = roomsForEvent(event, this.thresholds.values());
    let routed = false;
    // `to([])` would mean "everyone": an event that selects no existing room goes nowhere.
    if (server && hasAny(server, rooms)) {
      const slow = server.sockets.adapter.rooms.has(SLOW_ROOM);
      const target = slow ? server.to(rooms).except(SLOW_ROOM) : server.to(rooms);
      const before = this.packets;
      this.emitting = event.resume_token ?? event.stream_id;
      target.emit('stream_event', { type: 'stream_event', event });
      this.emitting = null;
      // Every recipient's packet was created during the emit: counted without a second pass.
      const recipients = this.packets - before;
      this.metrics.deliveries.inc(recipients);
      this.summaries.countSent(recipients);
      routed = true;
    }
    if (server && this.batches.size > 0) {
      const { groups, full } = this.batches.offer(rooms, event);
      if (groups > 0) {
        routed = true;
        // The rest of this stream read is dispatched in the same turn of the event loop (its
        // handlers resolve at once): one send after it carries the whole read.
        if (full) this.sendBatches();
        else this.batchSend ??= setImmediate(() => this.sendBatches());
      }
    }
    if (routed) this.metrics.eventsRouted.inc();
    this.advance(event.resume_token ?? event.stream_id);
  }

  /**
   * Sends every batch group its appended events as one `stream_events` emit to its room. Also
   * called before any room membership changes: a connection joining a group must not receive
   * events appended before it joined (a resume replayed them from history, up to
   * deliveredThrough), and one leaving must still get those appended while it was in.
   */
  sendBatches(): void {
    if (this.batchSend) {
      clearImmediate(this.batchSend);
      this.batchSend = null;
    }
    const server = this.server;
    if (!server) return;
    const ready = this.batches.take();
    if (ready.length === 0) return;
    const slow = server.sockets.adapter.rooms.has(SLOW_ROOM);
    for (const { name, events } of ready) {
      const target = slow ? server.to(name).except(SLOW_ROOM) : server.to(name);
      const before = this.packets;
      const last = events[events.length - 1];
      // A connection marked slow by this packet skips what comes after the batch's last event.
      this.emitting = last.resume_token ?? last.stream_id;
      this.emittingEvents = events.length;
      target.emit('stream_events', { type: 'stream_events', events, count: events.length });
      this.emitting = null;
      this.emittingEvents = 1;
      const deliveries = (this.packets - before) * events.length;
      this.metrics.deliveries.inc(deliveries);
      this.summaries.countSent(deliveries);
    }
  }

  /**
   * Live delivery has passed `position` (an event delivered, or one skipped as a copy already
   * delivered). Positions of another log (hybrid: the Kafka copies) do not move it.
   */
  advance(position: string): void {
    if (
      this.history.isPosition(position) &&
      (this.delivered === '0-0' || this.history.comparePositions(position, this.delivered) > 0)
    ) {
      this.delivered = position;
      if (this.waiters.length > 0) this.wakeWaiters();
    }
  }

  /**
   * Resolves once live delivery has reached `position` (a client that resumes from a position
   * another pod gave it may be ahead of this pod: replaying before this pod got there would
   * deliver the rest twice), or after `timeoutMs` for a position this pod never reaches.
   */
  private reach(position: string, timeoutMs: number): Promise<void> {
    if (!this.behind(position)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = { position, resolve: () => undefined as void };
      const timer = setTimeout(() => waiter.resolve(), timeoutMs);
      waiter.resolve = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve();
      };
      this.waiters.push(waiter);
    });
  }

  private behind(position: string): boolean {
    return (
      this.history.isPosition(position) &&
      this.history.comparePositions(this.delivered, position) < 0
    );
  }

  private wakeWaiters(): void {
    for (const waiter of [...this.waiters]) if (!this.behind(waiter.position)) waiter.resolve();
  }

  /**
   * Puts a live connection in the rooms of its current state (and out of the ones it left). A
   * connection still replaying history joins when it goes live.
   */
  join(socket: AurenSocket, state: ConnectionState): void {
    if (!state.live) return;
    this.sendBatches();
    let next = roomsForViewer(state).map(intern);
    if (state.delivery === 'batch') {
      // Events through its batch group; alert transitions through their own rooms, as ever.
      const routing = next.filter((room) => !isAlertRoom(room));
      const group = intern(BatchGroups.nameOf(routing));
      this.batches.ensure(group, routing);
      next = [...next.filter(isAlertRoom), group];
    }
    const keep = new Set(next);
    for (const room of socket.rooms) {
      // Its own room (the socket id) and the slow mark are not routing rooms.
      if (room !== socket.id && room !== SLOW_ROOM && !keep.has(room)) void socket.leave(room);
    }
    void socket.join(next);
  }

  /** Call when a connection's threshold starts counting (connect, or after a filter change). */
  trackThreshold(threshold: number): void {
    this.thresholds.add(threshold);
  }

  untrackThreshold(threshold: number): void {
    this.thresholds.remove(threshold);
  }

  /**
   * Reads history after `from` for `viewer`, page by page, until it has caught up with live
   * delivery, then calls `onLive` in the same synchronous step as the final check: nothing
   * emitted live can fall between the two. `onPage` may wait (flow control). Stops early once
   * `maxEvents` events have been handed over; `onLive` is told whether the history was complete.
   * Waits first for live delivery to reach `from` (see reach) unless it is not `reachable`.
   */
  async followUntilLive(
    viewer: Viewer,
    from: string,
    onPage: (events: StreamedEvent[]) => Promise<void> | void,
    onLive: (complete: boolean) => void,
    maxEvents = Number.POSITIVE_INFINITY,
    reachable = true,
  ): Promise<void> {
    await this.started;
    // A position of a stream that was reset (`reachable` false) is never reached: no use waiting.
    if (reachable) await this.reach(from, REACH_TIMEOUT_MS);
    let cursor = from;
    let handed = 0;
    let complete = true;
    while (this.history.comparePositions(cursor, this.delivered) < 0) {
      const page = await this.history.page(viewer, cursor, this.delivered);
      if (page.reached === cursor) break;
      cursor = page.reached;
      if (page.events.length > 0) {
        handed += page.events.length;
        await onPage(page.events);
      }
      if (handed >= maxEvents && this.history.comparePositions(cursor, this.delivered) < 0) {
        complete = false;
        break;
      }
    }
    onLive(complete);
  }

  /** Resolves when everything emitted to `socket` so far has been handed to its transport. */
  drained(socket: AurenSocket): Promise<void> {
    const conn = socket.conn as unknown as EngineConnection;
    if (conn.writeBuffer.length === 0 || !socket.connected) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        socket.off('disconnect', done);
        resolve();
      };
      conn.once('drain', done);
      socket.once('disconnect', done);
    });
  }

  /**
   * Watches a connection's outgoing queue (per packet: O(1), no loop over connections). The
   * queue is counted in events: packets for `delivery: 'event'` connections (a packet carries one
   * event), and the events of the packets not yet written for `batch` ones (engine.io writes its
   * whole queue at once, and says so with `flush`).
   */
  watchQueue(socket: AurenSocket): void {
    const conn = socket.conn as unknown as EngineConnection;
    conn.on('packetCreate', () => this.onPacket(socket, conn));
    const state = socket.data.state;
    if (state.delivery === 'batch') conn.on('flush', () => (state.queuedEvents = 0));
  }

  private onPacket(socket: AurenSocket, conn: EngineConnection): void {
    this.packets += 1;
    const state = socket.data.state;
    const queued =
      state.delivery === 'batch'
        ? (state.queuedEvents += this.emittingEvents)
        : conn.writeBuffer.length + 1;
    if (queued > this.metrics.queueHighWater) this.metrics.queueHighWater = queued;
    // Replay before going live is flow-controlled by its own waits, not by this mark.
    if (state.live && !state.slow && queued >= this.config.clientQueueLimit)
      this.markSlow(socket, state, conn);
  }

  private markSlow(socket: AurenSocket, state: ConnectionState, conn: EngineConnection): void {
    // The event being emitted is already queued; what is skipped starts after it.
    const emitting = this.emitting;
    const after =
      emitting !== null && this.history.isPosition(emitting) ? emitting : this.delivered;
    state.slow = { after, recovering: false };
    void socket.join(SLOW_ROOM);
    this.metrics.slowConsumers.inc();
    // "drain": the queue has been handed to the transport, i.e. the client reads again. Listened
    // to only while the connection is slow.
    const onDrain = () => {
      if (!state.slow || state.slow.recovering) return;
      void this.recover(socket, state).then(() => {
        if (!state.slow) conn.off('drain', onDrain);
      });
    };
    conn.on('drain', onDrain);
  }

  private async recover(socket: AurenSocket, state: ConnectionState): Promise<void> {
    const slow = state.slow;
    if (!slow) return;
    slow.recovering = true;
    let skipped = 0;
    let first = '';
    let last = '';
    const count = (events: StreamedEvent[]) => {
      skipped += events.length;
      if (!first) first = events[0].stream_id;
      last = events[events.length - 1].stream_id;
    };
    try {
      await this.followUntilLive(state, slow.after, count, () => {
        // Batched events appended while it was slow are in the gap counted above: sent first.
        this.sendBatches();
        state.slow = undefined;
        void socket.leave(SLOW_ROOM);
        if (skipped === 0 || !socket.connected) return;
        socket.emit('stream_gap', { type: 'stream_gap', from: first, to: last, skipped });
        this.metrics.gaps.inc();
        this.metrics.skipped.inc(skipped);
      });
    } catch {
      // History unreadable right now: stay out of live emits and try again at the next drain.
      slow.recovering = false;
    }
  }
}

const RESET_TEXT: Record<StreamResetReason, string> = {
  stream_lost:
    'The event stream was lost (its Redis restarted without the data, or the key was deleted)',
  stream_recreated: 'The event stream was deleted and created again',
  stream_went_backwards:
    'The event stream went back before what was delivered (restored from an older copy?)',
};

/**
 * One string per room name for the whole process: thousands of connections in the same rooms
 * then share the names instead of each holding copies (socket.io keeps them per connection).
 */
const roomNames = new Map<string, string>();
function intern(name: string): string {
  const known = roomNames.get(name);
  if (known !== undefined) return known;
  if (roomNames.size > 100_000) roomNames.clear();
  roomNames.set(name, name);
  return name;
}

function hasAny(server: Server, rooms: string[]): boolean {
  const existing = server.sockets.adapter.rooms;
  for (const room of rooms) if (existing.has(room)) return true;
  return false;
}
