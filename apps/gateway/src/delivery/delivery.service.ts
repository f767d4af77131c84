import { Injectable } from '@nestjs/common';
import type { Server } from 'socket.io';
import type { StreamedEvent } from '@auren/contracts';
import type { ConnectionState } from '../connections/connection-state';
import type { AurenServer, AurenSocket } from '../connections/socket-types';
import { SummaryService } from '../summaries/summary.service';
import { GatewayMetrics } from './gateway-metrics';
import { roomsForEvent, roomsForViewer } from './room-router';
import { ThresholdRegistry } from './threshold-registry';

/**
 * Live delivery: one emit per event to the rooms that select it. Also owns room membership, so
 * that the rooms a connection is in always match its state.
 */
@Injectable()
export class DeliveryService {
  private server?: AurenServer;
  private readonly thresholds = new ThresholdRegistry();
  private delivered = '0-0';
  private markStarted!: () => void;
  /** Resolves once the stream reader knows where live delivery starts. */
  readonly started = new Promise<void>((resolve) => (this.markStarted = resolve));

  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly summaries: SummaryService,
  ) {}

  attach(server: AurenServer): void {
    this.server = server;
  }

  /**
   * The position of the last event emitted live. Updated in the same synchronous step as the
   * emit, which is what lets a resuming connection hand over from replay to rooms without a gap.
   */
  get deliveredThrough(): string {
    return this.delivered;
  }

  /** Live delivery starts after `position`: everything up to it counts as delivered before. */
  startAt(position: string): void {
    this.delivered = position;
    this.markStarted();
  }

  deliver(event: StreamedEvent): void {
    this.metrics.eventsReceived.inc();
    this.summaries.record(event);
    const server = this.server;
    if (server) {
      // `to([])` would mean "everyone": an event that selects no room goes nowhere.
      const rooms = existingRooms(server, roomsForEvent(event, this.thresholds.values()));
      if (rooms.length > 0) {
        server.to(rooms).emit('stream_event', { type: 'stream_event', event });
        const recipients = countRecipients(server, rooms);
        this.metrics.eventsRouted.inc();
        this.metrics.deliveries.inc(recipients);
        this.summaries.countSent(recipients);
      }
    }
    this.delivered = event.stream_id;
  }

  /** Puts a connection in the rooms of its current state (and out of the ones it left). */
  join(socket: AurenSocket, state: ConnectionState): void {
    const next = roomsForViewer(state);
    const keep = new Set(next);
    for (const room of state.rooms) if (!keep.has(room)) void socket.leave(room);
    void socket.join(next);
    state.rooms = next;
  }

  /** Call when a connection's threshold starts counting (connect, or after a filter change). */
  trackThreshold(threshold: number): void {
    this.thresholds.add(threshold);
  }

  untrackThreshold(threshold: number): void {
    this.thresholds.remove(threshold);
  }
}

function existingRooms(server: Server, rooms: string[]): string[] {
  const existing = server.sockets.adapter.rooms;
  return rooms.filter((room) => existing.has(room));
}

/** Connections in the union of `rooms` (a connection in two of them counts once). */
function countRecipients(server: Server, rooms: string[]): number {
  const existing = server.sockets.adapter.rooms;
  if (rooms.length === 1) return existing.get(rooms[0])?.size ?? 0;
  const seen = new Set<string>();
  for (const room of rooms) for (const id of existing.get(room) ?? []) seen.add(id);
  return seen.size;
}
