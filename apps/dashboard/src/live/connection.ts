import { io, type Socket } from 'socket.io-client';
import type {
  AlertTransition,
  ClientToServerEvents,
  ConnectErrorData,
  ConnectionEstablishedMessage,
  ErrorMessage,
  HandshakeAuth,
  RecentEventsMessage,
  ServerToClientEvents,
  StreamedEvent,
  Subscription,
} from '../contracts';
import { RECENT_EVENTS_MAX } from '../contracts';
import { subscriptionsFor } from '../url-state';
import type { LiveStore } from './store';

export type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export type ConnectionStatus =
  'idle' | 'connecting' | 'connected' | 'reconnecting' | 'disconnected' | 'refused';

export interface Banner {
  id: number;
  level: 'info' | 'warning' | 'error';
  text: string;
  /** A button the banner offers. */
  action?: 'reload-recent' | 'reconnect';
}

/** What the gateway is asked for: the filters of the URL. */
export interface ServerFilters {
  agents: string[];
  subs: Subscription[];
  threshold: number;
}

export interface ConnectionSnapshot {
  status: ConnectionStatus;
  /** Why the gateway refused the handshake (a connect_error code) or could not be reached. */
  refusal: { code: string; message: string } | null;
  session: ConnectionEstablishedMessage | null;
  banners: Banner[];
  loadingRecent: boolean;
  /** Where a reconnection resumes: the last event's resume_token or stream_id. */
  position: string | null;
  /** Events received live (`stream_event`, or each of a `stream_events`): what the gateway sent, before any client-side view. */
  streamEvents: number;
  connects: number;
}

export interface ConnectionOptions {
  /** Gateway URL; absent: this page's origin. */
  url?: string;
  token: () => string | null;
  filters: () => ServerFilters;
  /** For tests: builds the socket. */
  socketFactory?: (
    url: string | undefined,
    auth: (cb: (auth: HandshakeAuth) => void) => void,
  ) => LiveSocket;
}

const ACK_TIMEOUT_MS = 10_000;
/** Refusals that a retry may cure (a gateway draining or full): retried after this long. */
const RETRY_REFUSED_MS = 3_000;
const RETRIED_CODES = new Set(['SERVER_AT_CAPACITY']);
const BANNERS_KEPT = 6;

/**
 * The Socket.IO connection of the dashboard (CONTRACT §4): handshake with token, filters and
 * `resume_from`; automatic reconnection that resumes from the last position; `get_recent` on a
 * fresh start; server-side filters changed with subscribe/unsubscribe/filter_update.
 */
export class LiveConnection {
  private socket?: LiveSocket;
  private snapshot: ConnectionSnapshot = {
    status: 'idle',
    refusal: null,
    session: null,
    banners: [],
    loadingRecent: false,
    position: null,
    streamEvents: 0,
    connects: 0,
  };
  private readonly listeners = new Set<() => void>();
  private bannerId = 0;
  /** Live events that arrived while `get_recent` was on its way: applied after its answer. */
  private held: StreamedEvent[] | null = null;
  private retryTimer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly store: LiveStore,
    private readonly options: ConnectionOptions,
  ) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): ConnectionSnapshot => this.snapshot;

  private update(change: Partial<ConnectionSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...change };
    for (const listener of this.listeners) listener();
  }

  addBanner(level: Banner['level'], text: string, action?: Banner['action']): void {
    const banner: Banner = { id: ++this.bannerId, level, text, action };
    this.update({ banners: [...this.snapshot.banners, banner].slice(-BANNERS_KEPT) });
  }

  dismissBanner(id: number): void {
    this.update({ banners: this.snapshot.banners.filter((banner) => banner.id !== id) });
  }

  private handshake(): HandshakeAuth {
    const filters = this.options.filters();
    const auth: HandshakeAuth = {
      token: this.options.token() ?? undefined,
      agent_filter: filters.agents,
      performance_threshold: filters.threshold,
      subscriptions: subscriptionsFor(filters.subs),
      // One `stream_events` message per stream read instead of one per event.
      delivery: 'batch',
    };
    if (this.snapshot.position) auth.resume_from = this.snapshot.position;
    return auth;
  }

  connect(): void {
    clearTimeout(this.retryTimer);
    this.update({ status: 'connecting', refusal: null });
    if (!this.socket) this.socket = this.createSocket();
    this.socket.connect();
  }

  disconnect(): void {
    clearTimeout(this.retryTimer);
    this.socket?.disconnect();
    this.update({ status: 'disconnected' });
  }

  /** A new token (login): drop the connection and connect again with it. */
  restart(): void {
    this.socket?.disconnect();
    this.connect();
  }

  private createSocket(): LiveSocket {
    const auth = (cb: (auth: HandshakeAuth) => void) => cb(this.handshake());
    const socket: LiveSocket = this.options.socketFactory
      ? this.options.socketFactory(this.options.url, auth)
      : io(this.options.url ?? '', {
          autoConnect: false,
          auth,
          reconnectionDelay: 500,
          reconnectionDelayMax: 5_000,
        });

    socket.on('connect_error', (error: Error & { data?: ConnectErrorData }) => {
      if (error.data?.code) {
        const { code, message } = error.data;
        const retry = RETRIED_CODES.has(code);
        this.update({ status: retry ? 'reconnecting' : 'refused', refusal: { code, message } });
        // socket.io-client does not retry a refusal by itself (docs/gateway.md).
        if (retry) this.retryTimer = setTimeout(() => socket.connect(), RETRY_REFUSED_MS);
      } else {
        this.update({
          status: socket.active ? 'reconnecting' : 'disconnected',
          refusal: { code: 'UNREACHABLE', message: `cannot reach the gateway: ${error.message}` },
        });
      }
    });
    socket.on('disconnect', (reason) => {
      if (reason === 'io client disconnect') return;
      this.update({ status: 'reconnecting' });
      // The server closed this connection on purpose: socket.io-client leaves that to us.
      if (reason === 'io server disconnect')
        this.retryTimer = setTimeout(() => socket.connect(), RETRY_REFUSED_MS);
    });
    socket.on('connection_established', (body) => this.established(body));
    socket.on('stream_event', (body) => this.received([body.event]));
    socket.on('stream_events', (body) => this.received(body.events));
    socket.on('stream_gap', (body) =>
      this.addBanner(
        'warning',
        `This connection fell behind and missed ${body.skipped.toLocaleString('en-US')} events (${body.from} … ${body.to}).`,
        'reload-recent',
      ),
    );
    socket.on('stream_reset', (body) => {
      this.update({ position: body.position });
      this.addBanner(
        'warning',
        `The event stream was reset (${body.reason}): events not yet delivered may be lost. ${body.message}`,
      );
    });
    const alert = (body: { alert: AlertTransition }) => this.store.enqueueAlert(body.alert);
    socket.on('alert_fired', alert);
    socket.on('alert_resolved', alert);
    socket.on('alert_updated', alert);
    socket.on('error', (body) => this.addBanner('error', `${body.code}: ${body.message}`));
    return socket;
  }

  private established(body: ConnectionEstablishedMessage): void {
    const first = this.snapshot.connects === 0;
    this.update({
      status: 'connected',
      refusal: null,
      session: body,
      connects: this.snapshot.connects + 1,
      position: this.snapshot.position ?? body.position ?? null,
    });
    if (body.resume) {
      const { recovered, replayed, reason } = body.resume;
      if (recovered)
        this.addBanner(
          'info',
          `Reconnected and resumed: ${replayed.toLocaleString('en-US')} missed events replayed, none lost.`,
        );
      else
        this.addBanner(
          'warning',
          `Reconnected, but the gateway could not replay everything missed (${reason ?? 'unknown reason'}): ${replayed.toLocaleString('en-US')} events replayed; some may be missing.`,
          'reload-recent',
        );
    } else if (first || this.store.events.length === 0) {
      this.loadRecent();
    }
  }

  private received(events: StreamedEvent[]): void {
    const last = events[events.length - 1];
    if (!last) return;
    this.snapshot.streamEvents += events.length;
    this.snapshot.position = last.resume_token ?? last.stream_id;
    if (this.held) this.held.push(...events);
    else this.store.enqueue(events);
  }

  /** `get_recent` (the newest 1,000 this connection may see), then what arrived meanwhile. */
  loadRecent(): void {
    const socket = this.socket;
    if (!socket?.connected || this.held) return;
    this.held = [];
    this.update({ loadingRecent: true });
    const done = (events: StreamedEvent[]) => {
      const held = this.held ?? [];
      this.held = null;
      this.store.enqueue(events);
      this.store.enqueue(held);
      this.update({ loadingRecent: false });
    };
    socket
      .timeout(ACK_TIMEOUT_MS)
      .emitWithAck('get_recent', { limit: RECENT_EVENTS_MAX })
      .then(
        (reply: RecentEventsMessage | ErrorMessage) => {
          if (reply.type === 'error') {
            this.addBanner('error', `Recent events: ${reply.code}: ${reply.message}`);
            return done([]);
          }
          done(reply.events);
        },
        () => {
          this.addBanner('error', 'Recent events did not arrive (timeout).', 'reload-recent');
          done([]);
        },
      );
  }

  /**
   * Sends the gateway the filters that changed (subscribe / unsubscribe / filter_update), then
   * empties the store and loads recent events under the new filters.
   */
  async applyFilters(previous: ServerFilters, next: ServerFilters): Promise<void> {
    this.store.reset();
    const socket = this.socket;
    if (!socket?.connected) return;
    const before = new Set(subscriptionsFor(previous.subs));
    const after = new Set(subscriptionsFor(next.subs));
    const acks: Promise<unknown>[] = [];
    const withAck = socket.timeout(ACK_TIMEOUT_MS);
    for (const subscription of after)
      if (!before.has(subscription)) acks.push(withAck.emitWithAck('subscribe', { subscription }));
    for (const subscription of before)
      if (!after.has(subscription)) acks.push(withAck.emitWithAck('unsubscribe', { subscription }));
    if (
      previous.agents.join(',') !== next.agents.join(',') ||
      previous.threshold !== next.threshold
    )
      acks.push(
        withAck.emitWithAck('filter_update', {
          agent_filter: next.agents,
          performance_threshold: next.threshold,
        }),
      );
    const replies = await Promise.allSettled(acks);
    for (const reply of replies) {
      if (reply.status === 'rejected')
        this.addBanner('error', 'The gateway did not confirm a filter change (timeout).');
      else if ((reply.value as { type?: string }).type === 'error') {
        const { code, message } = reply.value as { code: string; message: string };
        this.addBanner('error', `Filter change refused: ${code}: ${message}`);
      }
    }
    this.store.reset();
    this.loadRecent();
  }
}
