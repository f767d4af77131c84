import { INestApplication, Logger } from '@nestjs/common';
import { CustomTransportStrategy, GrpcOptions, ServerGrpc } from '@nestjs/microservices';
import { format } from 'node:util';
import { Server, ServerCredentials, setLogger } from '@grpc/grpc-js';
import {
  AUREN_EVENTS_PROTO_PACKAGE,
  AUREN_EVENTS_PROTO_PATH,
  AUREN_PROTO_LOADER_OPTIONS,
  EVENT_LIMITS,
} from '@auren/contracts';
import type { AurenConfig } from '@auren/config';
import { listenOn } from '@auren/platform';

/** How long a shutdown waits for calls in progress before cutting them. */
const DRAIN_MS = 5000;

/**
 * Nest's gRPC server, plus what the ingest needs from it: the port actually bound (GRPC_PORT=0
 * picks a free one) and a shutdown that lets calls in progress finish, for at most 5 s.
 */
export class GrpcIngestServer extends ServerGrpc implements CustomTransportStrategy {
  private boundPort?: number;
  private server?: Server;

  constructor(private readonly settings: GrpcOptions['options']) {
    super(settings);
  }

  /** The port gRPC listens on, once started. */
  get port(): number | undefined {
    return this.boundPort;
  }

  override async createClient(): Promise<Server> {
    const server = new Server({
      'grpc.max_receive_message_length': this.settings.maxReceiveMessageLength,
      'grpc.max_send_message_length': this.settings.maxSendMessageLength,
    });
    this.boundPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(this.url, ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      ),
    );
    this.server = server;
    return server;
  }

  override async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, DRAIN_MS);
      timer.unref();
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    await super.close();
  }
}

const servers = new WeakMap<INestApplication, GrpcIngestServer>();

/** `host:port` for grpc-js, with IPv6 hosts in brackets. */
function address(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Connects gRPC ingest (CONTRACT §2) to the ingest app, unless `AUREN_GRPC_ENABLED=false`.
 * It starts with `app.startAllMicroservices()`.
 */
export function connectGrpcIngest(app: INestApplication, config: AurenConfig): void {
  if (!config.grpcEnabled) return;
  const server = new GrpcIngestServer({
    package: AUREN_EVENTS_PROTO_PACKAGE,
    protoPath: AUREN_EVENTS_PROTO_PATH,
    url: address(config.host, config.grpcPort),
    loader: AUREN_PROTO_LOADER_OPTIONS,
    // One message, like one HTTP body, is at most 1 MiB; grpc-js answers RESOURCE_EXHAUSTED.
    maxReceiveMessageLength: EVENT_LIMITS.maxBodyBytes,
    maxSendMessageLength: 4 * EVENT_LIMITS.maxBodyBytes,
  });
  app.connectMicroservice({ strategy: server });
  servers.set(app, server);
}

/** The port gRPC ingest listens on, once started; undefined when gRPC is off. */
export function grpcIngestPort(app: INestApplication): number | undefined {
  return servers.get(app)?.port;
}

/** grpc-js logs through Nest's logger, so that a start that fails on GRPC_PORT prints one line. */
function routeGrpcLogs(): void {
  const logger = new Logger('grpc-js');
  setLogger({
    error: (...args: unknown[]) => logger.error(format(...args)),
    info: (...args: unknown[]) => logger.log(format(...args)),
    debug: (...args: unknown[]) => logger.debug(format(...args)),
  });
}

/**
 * Starts gRPC ingest (if connected) and logs where it listens. A port it cannot bind rejects with
 * a ListenError naming GRPC_PORT (the all-in-one goes on without gRPC, docs/troubleshooting.md).
 */
export async function startGrpcIngest(app: INestApplication, config: AurenConfig): Promise<void> {
  if (!servers.has(app)) return;
  routeGrpcLogs();
  await listenOn(
    {
      variable: 'GRPC_PORT',
      port: config.grpcPort,
      host: config.host,
      alternative: '(0 picks one) or AUREN_GRPC_ENABLED=false',
    },
    () => app.startAllMicroservices(),
  );
  new Logger('GrpcIngest').log(
    `gRPC ingest (auren.events.v1.EventIngest) listening on ${address(config.host, grpcIngestPort(app) ?? config.grpcPort)} (plaintext)`,
  );
}
