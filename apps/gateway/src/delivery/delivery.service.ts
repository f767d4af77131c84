import { Injectable } from '@nestjs/common';
import type { Server } from 'socket.io';
import type { StreamedEvent } from '@auren/contracts';
import type { ConnectionState } from '../connections/connection-state';
import type { AurenServer, AurenSocket } from '../connections/socket-types';
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

  constructor(private readonly metrics: GatewayMetrics) {}

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

  deliver(event: StreamedEvent): void {
    this.metrics.eventsReceived.inc();
    const server = this.server;
    if (server) {
      const rooms = roomsForEvent(event, this.thresholds.values());
      // `to([])` would mean "everyone": an event that selects no room goes nowhere.
      if (rooms.length > 0 && hasAny(server, rooms)) {
        server.to(rooms).emit('stream_event', { type: 'stream_event', event });
        this.metrics.eventsRouted.inc();
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

function hasAny(server: Server, rooms: string[]): boolean {
  const existing = server.sockets.adapter.rooms;
  for (const room of rooms) if (existing.has(room)) return true;
  return false;
}
