import type { IncomingMessage } from 'node:http';
import type { INestApplicationContext, WsMessageHandler } from '@nestjs/common';
import { filter, type Observable } from 'rxjs';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Server, ServerOptions, Socket } from 'socket.io';
import { EVENT_LIMITS } from '@auren/contracts';
import type { AurenConfig } from '@auren/config';
import { originAllowed } from './origin-check';

/**
 * Socket.IO server options from config: 1 MiB messages, pings that drop a silent client within
 * interval + timeout (25 s + 20 s by default), CORS for dashboards on other origins.
 */
export class AurenIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly config: AurenConfig,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const origin =
      this.config.corsOrigins.length > 0 ? this.config.corsOrigins : !this.config.production;
    const server = super.createIOServer(port, {
      ...options,
      path: '/socket.io',
      maxHttpBufferSize: EVENT_LIMITS.maxBodyBytes,
      pingInterval: this.config.pingIntervalMs,
      pingTimeout: this.config.pingTimeoutMs,
      cors: { origin, credentials: true },
      // The Origin allow-list (AUREN_CORS_ORIGINS): first request of a session, polling or WebSocket.
      allowRequest: (
        request: IncomingMessage,
        callback: (error: string | null | undefined, allowed: boolean) => void,
      ) => {
        const header = request.headers.origin;
        if (originAllowed(header, request.headers.host, this.config.corsOrigins))
          return callback(null, true);
        callback(`origin ${header} is not allowed (AUREN_CORS_ORIGINS)`, false);
      },
    }) as Server;
    // Socket.IO memory guide: the handshake request is not needed after connection.
    server.engine.on('connection', (raw: { request: unknown }) => {
      raw.request = null;
    });
    return server;
  }

  /**
   * Binds `@SubscribeMessage` handlers with one plain listener each. Nest's own binding builds an
   * RxJS chain per handler per connection (fromEvent, mergeMap, takeUntil and their subscribers),
   * which held most of a gateway's memory per idle connection; here the RxJS work happens per
   * message instead. Replies behave as in Nest: `{event, data}` is emitted, anything else non-nil
   * goes to the acknowledgement when the client passed one.
   */
  override bindMessageHandlers(
    socket: Socket,
    handlers: WsMessageHandler[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    // AUREN's gateway dispatches its messages itself; with no handlers, bind nothing at all
    // (Nest would still build a per-connection disconnect observable).
    if (handlers.length === 0) return;
    const all = handlers as Array<WsMessageHandler & { isAckHandledManually?: boolean }>;
    // One listener per connection for every message, instead of one per message name.
    socket.onAny((event: string, ...args: unknown[]) => {
      const handler = all.find((h) => h.message === event);
      if (!handler) return;
      const { data, ack } = this.mapPayload(args) as { data: unknown; ack?: unknown };
      transform(handler.callback(data, ack))
        .pipe(filter((response) => response !== null && response !== undefined))
        .subscribe((response) => {
          const reply = response as { event?: string; data?: unknown };
          if (reply.event) socket.emit(reply.event, reply.data);
          else if (!handler.isAckHandledManually && typeof ack === 'function')
            (ack as (r: unknown) => void)(response);
        });
    });
  }
}
