import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Server, ServerOptions } from 'socket.io';
import { EVENT_LIMITS } from '@auren/contracts';
import type { AurenConfig } from '@auren/config';

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
    }) as Server;
    // Socket.IO memory guide: the handshake request is not needed after connection.
    server.engine.on('connection', (raw: { request: unknown }) => {
      raw.request = null;
    });
    return server;
  }
}
