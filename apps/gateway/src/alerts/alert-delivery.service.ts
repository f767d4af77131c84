import { Injectable } from '@nestjs/common';
import { alertMessage, type AlertTransition } from '@auren/contracts';
import { DeliveryService } from '../delivery/delivery.service';
import { roomsForAlert } from '../delivery/room-router';
import { AlertMetrics } from './alert-metrics';

/**
 * Live delivery of alert transitions: one emit per transition to the alert rooms that select it
 * (the owner's and the `all` permission's, narrowed by agent: see `roomsForAlert`). Slow
 * connections are not left out: alerts are few, and a dashboard that lags on events should still
 * hear about them. Nothing is replayed: a connection receives the transitions published while it
 * is live (after `connection_established`).
 */
@Injectable()
export class AlertDeliveryService {
  constructor(
    private readonly delivery: DeliveryService,
    private readonly metrics: AlertMetrics,
  ) {}

  deliver(alert: AlertTransition): void {
    this.metrics.received.inc({ state: alert.state });
    const server = this.delivery.io;
    if (!server) return;
    const existing = server.sockets.adapter.rooms;
    // `to([])` would mean "everyone": a transition that selects no existing room goes nowhere.
    const rooms = roomsForAlert(alert).filter((room) => existing.has(room));
    if (rooms.length === 0) return;
    const before = this.delivery.packetsCreated;
    const message = alertMessage(alert);
    if (message.type === 'alert_fired') server.to(rooms).emit('alert_fired', message);
    else if (message.type === 'alert_resolved') server.to(rooms).emit('alert_resolved', message);
    else server.to(rooms).emit('alert_updated', message);
    this.metrics.delivered.inc({ state: alert.state }, this.delivery.packetsCreated - before);
  }
}
