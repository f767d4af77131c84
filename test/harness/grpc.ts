import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { AUREN_EVENTS_PROTO_PATH, AUREN_PROTO_LOADER_OPTIONS } from '@auren/contracts';

/**
 * A @grpc/grpc-js client of auren.events.v1.EventIngest straight on the .proto (no SDK), with the
 * bearer metadata and promisified calls the gRPC tests share.
 */

type Json = Record<string, unknown>;
export type GrpcCallback = (error: grpc.ServiceError | null, reply?: Json) => void;
export type GrpcUnary = (
  request: unknown,
  metadata: grpc.Metadata,
  callback: GrpcCallback,
) => grpc.ClientUnaryCall;
export interface EventIngestClient extends grpc.Client {
  Publish: GrpcUnary;
  PublishBatch: GrpcUnary;
  PublishStream(
    metadata: grpc.Metadata,
    callback: GrpcCallback,
  ): grpc.ClientWritableStream<unknown>;
}
/** What a call answered: the error (null on success) and the reply. */
export type GrpcReply = { error: grpc.ServiceError | null; reply?: Json };

type EventIngestConstructor = new (
  address: string,
  creds: grpc.ChannelCredentials,
) => EventIngestClient;
let EventIngest: EventIngestConstructor | undefined;

/** An insecure client of EventIngest on 127.0.0.1:port (or on a "host:port" target). */
export function connectIngestGrpc(target: number | string): EventIngestClient {
  EventIngest ??= (
    grpc.loadPackageDefinition(
      protoLoader.loadSync(AUREN_EVENTS_PROTO_PATH, AUREN_PROTO_LOADER_OPTIONS),
    ) as unknown as { auren: { events: { v1: { EventIngest: EventIngestConstructor } } } }
  ).auren.events.v1.EventIngest;
  const address = typeof target === 'number' ? `127.0.0.1:${target}` : target;
  return new EventIngest(address, grpc.credentials.createInsecure());
}

/** Metadata with `authorization: Bearer <token>`; empty metadata without a token. */
export function bearerMetadata(token?: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (token) metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

/** One unary call; resolves with the error or the reply, never rejects. */
export function unaryCall(
  client: EventIngestClient,
  method: 'Publish' | 'PublishBatch',
  request: unknown,
  token?: string,
): Promise<GrpcReply> {
  return new Promise((resolve) => {
    client[method](request, bearerMetadata(token), (error, reply) => resolve({ error, reply }));
  });
}

/** A PublishStream that writes the messages then ends; resolves with the error or the reply. */
export function streamCall(
  client: EventIngestClient,
  messages: unknown[],
  token?: string,
): Promise<GrpcReply> {
  return new Promise((resolve) => {
    const writer = client.PublishStream(bearerMetadata(token), (error, reply) =>
      resolve({ error, reply }),
    );
    for (const message of messages) writer.write(message);
    writer.end();
  });
}
