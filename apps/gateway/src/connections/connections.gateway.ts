import { Inject, Logger, OnModuleDestroy } from '@nestjs/common';
import {
  OnGatewayConnection,
  OnGatewayDisconnect,
  OnGatewayInit,
  WebSocketGateway,
} from '@nestjs/websockets';
import {
  SUBSCRIPTIONS,
  type ErrorMessage,
  type FilterUpdatedMessage,
  type MessageErrorCode,
  type PongMessage,
  type RecentEventsMessage,
  type ResumeOutcome,
  type StreamedEvent,
  type SubscriptionMessage,
} from '@auren/contracts';
import { CredentialVerifier } from '@auren/auth';
import { AUREN_CONFIG, AurenConfig } from '@auren/config';
import { CopyMerger } from '../delivery/copy-merger';
import { DeliveryService } from '../delivery/delivery.service';
import { GatewayMetrics } from '../delivery/gateway-metrics';
import { HistoryService } from '../history/history.service';
import { SummaryService } from '../summaries/summary.service';
import {
  parseAgentFilter,
  parseRecentRequest,
  parseSubscription,
  parseThreshold,
} from './client-input';
import { ConnectionRegistry } from './connection-registry';
import type { ConnectionState } from './connection-state';
import { handshakeMiddleware } from './handshake.middleware';
import type { AurenServer, AurenSocket } from './socket-types';

/** Replayed events handed to a connection's transport at once: well under its queue limit. */
const REPLAY_CHUNK = 200;

/**
 * The Socket.IO side of CONTRACT §4: handshake, connection set-up (with resume), and the client
 * messages. Each message handler emits its reply event and returns the same body, which
 * `dispatch` hands to the client's acknowledgement when it passed one.
 */
@WebSocketGateway()
export class ConnectionsGateway
  implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, OnModuleDestroy
{
  private readonly logger = new Logger(ConnectionsGateway.name);
  private server?: AurenServer;

  constructor(
    private readonly verifier: CredentialVerifier,
    private readonly registry: ConnectionRegistry,
    private readonly delivery: DeliveryService,
    private readonly history: HistoryService,
    private readonly metrics: GatewayMetrics,
    private readonly summaries: SummaryService,
    private readonly copies: CopyMerger,
    @Inject(AUREN_CONFIG) private readonly config: AurenConfig,
  ) {}

  afterInit(server: AurenServer): void {
    this.server = server;
    server.use(handshakeMiddleware(this.verifier, this.registry, this.metrics));
    this.metrics.observeConnections({
      sockets: () => server.sockets.sockets.size,
      slots: () => this.registry.slots,
    });
    this.delivery.attach(server);
    this.summaries.attach(server);
  }

  /**
   * Draining on SIGTERM (shutdown hooks): refuse new connections and close every connection's
   * transport, which Socket.IO clients answer by reconnecting, through the load balancer, to
   * another pod, resuming from their last stream_id.
   */
  onModuleDestroy(): void {
    this.registry.closeAdmissions();
    const sockets = this.server?.sockets.sockets;
    if (!sockets || sockets.size === 0) return;
    this.logger.log(`Draining: asking ${sockets.size} connections to reconnect elsewhere`);
    for (const socket of sockets.values()) socket.conn.close();
  }

  async handleConnection(socket: AurenSocket): Promise<void> {
    const state = socket.data.state;
    this.delivery.watchQueue(socket);
    // One listener per connection for every client message (see dispatch).
    socket.onAny((event: string, ...args: unknown[]) => this.dispatch(socket, event, args));
    try {
      if (state.resumeFrom) await this.catchUp(socket, state, state.resumeFrom);
      else this.goLive(socket, state);
    } catch (error) {
      this.logger.error(`Connection set-up failed: ${(error as Error).message}`);
      socket.disconnect(true);
    }
  }

  /** The connection's slot is released by itself (see `Slot`), not here. */
  handleDisconnect(socket: AurenSocket): void {
    const state = socket.data.state;
    if (!state) return;
    if (state.live) this.delivery.untrackThreshold(state.threshold);
  }

  /**
   * Joins the rooms and sends `connection_established`, which opens live delivery (after a
   * resume it follows the replayed events and counts them). Synchronous, so that no live event
   * can be emitted between the end of a replay and the join.
   */
  private goLive(socket: AurenSocket, state: ConnectionState, resume?: ResumeOutcome): void {
    if (!socket.connected) return;
    state.live = true;
    this.delivery.join(socket, state);
    this.delivery.trackThreshold(state.threshold);
    socket.emit('connection_established', {
      type: 'connection_established',
      connection_id: socket.id,
      server_time: new Date().toISOString(),
      user_id: state.userId,
      available_subscriptions: [...SUBSCRIPTIONS],
      subscriptions: [...state.subscriptions],
      agent_filter: state.requestedFilter,
      performance_threshold: state.threshold,
      delivery: state.delivery,
      ...(resume ? { resume } : {}),
      // The join above and this read happen in one synchronous step: resuming from here misses nothing.
      ...(this.delivery.isStarted ? { position: this.delivery.deliveredThrough } : {}),
    });
  }

  /**
   * Replays what the connection missed after `from`, a page at a time, each page handed to the
   * transport before the next is read (a slow client slows its own replay, the server does not
   * buffer it); then goes live in the same synchronous step as the final catch-up check. A replay
   * over AUREN_RESUME_MAX_EVENTS stops there and answers `recovered: false`.
   */
  private async catchUp(socket: AurenSocket, state: ConnectionState, from: string): Promise<void> {
    if (!this.history.isPosition(from)) {
      // A position of another backend (a Redis id on a Kafka pod, say): nothing to replay from.
      this.metrics.resumes.inc({ outcome: 'not_recovered' });
      return this.goLive(socket, state, {
        recovered: false,
        replayed: 0,
        from,
        reason: 'unknown_position',
      });
    }
    const held = await this.history.holds(from);
    const lost = held ? undefined : await this.history.whyNotHeld(from);
    let replayed = 0;
    const sendPage = async (page: StreamedEvent[]) => {
      const events = page.filter((event) => !this.deliveredElsewhere(event));
      for (let i = 0; i < events.length && socket.connected; i += REPLAY_CHUNK) {
        const chunk = events.slice(i, i + REPLAY_CHUNK);
        if (state.delivery === 'batch')
          socket.emit('stream_events', {
            type: 'stream_events',
            events: chunk,
            count: chunk.length,
          });
        else
          for (const event of chunk) socket.emit('stream_event', { type: 'stream_event', event });
        replayed += chunk.length;
        this.metrics.replayed.inc(chunk.length);
        await this.delivery.drained(socket);
      }
    };
    await this.delivery.followUntilLive(
      state,
      from,
      sendPage,
      (complete) => {
        const recovered = held && complete;
        this.metrics.resumes.inc({ outcome: recovered ? 'recovered' : 'not_recovered' });
        const reason = lost ?? (complete ? undefined : 'too_many_events');
        this.goLive(socket, state, { recovered, replayed, from, ...(reason ? { reason } : {}) });
      },
      this.config.resumeMaxEvents,
      lost !== 'stream_reset',
    );
  }

  /**
   * Whether live delivery dropped this copy of an event as a repeat (another record with the same
   * event_id was delivered, e.g. a retry stored again after a Redis restart): a replay skips it too.
   */
  private deliveredElsewhere(event: StreamedEvent): boolean {
    const at = this.copies.deliveredAt(event.event_id);
    return (
      at !== undefined &&
      at !== (event.resume_token ?? event.stream_id) &&
      (at === '' || this.history.isPosition(at))
    );
  }

  subscribe(socket: AurenSocket, body: unknown): SubscriptionMessage | ErrorMessage {
    return this.changeSubscription(socket, body, 'subscription_confirmed');
  }

  unsubscribe(socket: AurenSocket, body: unknown): SubscriptionMessage | ErrorMessage {
    return this.changeSubscription(socket, body, 'unsubscription_confirmed');
  }

  private changeSubscription(
    socket: AurenSocket,
    body: unknown,
    type: SubscriptionMessage['type'],
  ): SubscriptionMessage | ErrorMessage {
    const parsed = parseSubscription((body as { subscription?: unknown } | null)?.subscription);
    if (!parsed.ok) return this.fail(socket, 'UNKNOWN_SUBSCRIPTION', parsed.message);
    const state = socket.data.state;
    state.withSubscription(parsed.value, type === 'subscription_confirmed');
    this.delivery.join(socket, state);
    const reply: SubscriptionMessage = { type, subscription: parsed.value };
    socket.emit(type, reply);
    return reply;
  }

  filterUpdate(socket: AurenSocket, body: unknown): FilterUpdatedMessage | ErrorMessage {
    const input = (body ?? {}) as { agent_filter?: unknown; performance_threshold?: unknown };
    const state = socket.data.state;
    const filter =
      input.agent_filter === undefined
        ? { ok: true as const, value: state.requestedFilter }
        : parseAgentFilter(input.agent_filter);
    if (!filter.ok) return this.fail(socket, 'BAD_MESSAGE', filter.message);
    const threshold =
      input.performance_threshold === undefined
        ? { ok: true as const, value: state.threshold }
        : parseThreshold(input.performance_threshold);
    if (!threshold.ok) return this.fail(socket, 'BAD_MESSAGE', threshold.message);
    if (state.live) {
      this.delivery.untrackThreshold(state.threshold);
      this.delivery.trackThreshold(threshold.value);
    }
    state.setFilter(filter.value, threshold.value);
    this.delivery.join(socket, state);
    const reply: FilterUpdatedMessage = {
      type: 'filter_updated',
      agent_filter: filter.value,
      performance_threshold: threshold.value,
    };
    socket.emit('filter_updated', reply);
    return reply;
  }

  async getRecent(socket: AurenSocket, body: unknown): Promise<RecentEventsMessage | ErrorMessage> {
    const request = parseRecentRequest(body);
    if (!request.ok) return this.fail(socket, 'LIMIT_OUT_OF_RANGE', request.message);
    try {
      const events = await this.history.recent(socket.data.state, request.value);
      const reply: RecentEventsMessage = { type: 'recent_events', events, count: events.length };
      socket.emit('recent_events', reply);
      return reply;
    } catch (error) {
      this.logger.warn(`get_recent failed: ${(error as Error).message}`);
      return this.fail(socket, 'INTERNAL_ERROR', 'history is unavailable right now; retry shortly');
    }
  }

  ping(socket: AurenSocket): PongMessage {
    const reply: PongMessage = { type: 'pong', server_time: new Date().toISOString() };
    socket.emit('pong', reply);
    return reply;
  }

  /**
   * Client → server messages (CONTRACT §4): rate limit, then the handler; its reply goes to the
   * client's acknowledgement when it passed one (the handler has emitted the reply event too).
   * Dispatched here rather than through `@SubscribeMessage`: Nest binds those with objects and
   * bound functions per handler per connection, which a gateway holding thousands of idle
   * connections pays for in memory.
   */
  private dispatch(socket: AurenSocket, event: string, args: unknown[]): void {
    const ack =
      typeof args[args.length - 1] === 'function'
        ? (args.pop() as (reply: unknown) => void)
        : undefined;
    if (!this.withinRate(socket, socket.data.state, event)) return;
    const body = args[0];
    let reply: unknown;
    switch (event) {
      case 'subscribe':
        reply = this.subscribe(socket, body);
        break;
      case 'unsubscribe':
        reply = this.unsubscribe(socket, body);
        break;
      case 'filter_update':
        reply = this.filterUpdate(socket, body);
        break;
      case 'get_recent':
        reply = this.getRecent(socket, body);
        break;
      case 'ping':
        reply = this.ping(socket);
        break;
      default:
        reply = this.fail(socket, 'BAD_MESSAGE', `unknown message "${event}"; see docs/gateway.md`);
    }
    if (ack) void Promise.resolve(reply).then(ack);
  }

  /** The budget is the user's, shared by all its connections on this pod (ConnectionRegistry). */
  private withinRate(socket: AurenSocket, state: ConnectionState, event: string): boolean {
    if (this.registry.takeMessage(state.userId)) return true;
    this.fail(
      socket,
      'RATE_LIMITED',
      `over ${this.config.clientMessagesPerMinute} messages a minute for this user (all its connections); "${event}" was dropped`,
    );
    return false;
  }

  private fail(socket: AurenSocket, code: MessageErrorCode, message: string): ErrorMessage {
    this.metrics.clientErrors.inc({ code });
    const reply: ErrorMessage = { type: 'error', code, message };
    socket.emit('error', reply);
    return reply;
  }
}
