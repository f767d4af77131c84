import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as GrpcJs from '@grpc/grpc-js';
import type * as ProtoLoader from '@grpc/proto-loader';
import { parseRetryAfter } from './backoff';
import { toProtoEvent, ValueNaming } from './proto-event';
import type { EventAck, SendOutcome, Transport } from './transport';
import type { AurenEvent } from './types';

export interface GrpcTransportOptions {
  /** `host:port`, `grpc://host:port` (plaintext) or `grpcs://host:port` (TLS). */
  url: string;
  apiKey?: string;
  requestTimeoutMs: number;
  userAgent: string;
  protoPath?: string;
}

const PROTO_FILE = join('auren', 'events', 'v1', 'events.proto');

/** Trailing metadata the ingest sets (docs/grpc.md). */
const DETAILS_KEY = 'auren-error-details';
const RETRY_AFTER_KEY = 'retry-after';

type BatchCallback = (
  error: GrpcJs.ServiceError | null,
  reply?: { results?: Array<EventAck & { index?: number }> },
) => void;
interface EventIngestClient extends GrpcJs.Client {
  PublishBatch(
    request: { events: unknown[] },
    metadata: GrpcJs.Metadata,
    options: GrpcJs.CallOptions,
    callback: BatchCallback,
  ): GrpcJs.ClientUnaryCall;
}

/** Where the .proto is: the option, the copy in the package, or the monorepo's source tree. */
export function findProto(explicit?: string): string {
  const candidates = explicit
    ? [explicit]
    : [
        join(__dirname, 'proto', PROTO_FILE), // the published package (dist/proto)
        join(__dirname, '..', 'dist', 'proto', PROTO_FILE), // libs/sdk/src after a package build
        join(__dirname, '..', '..', 'contracts', 'src', 'proto', PROTO_FILE), // monorepo sources only
      ];
  const found = candidates.find((path) => existsSync(path));
  if (!found) {
    throw new Error(
      `AurenClient: cannot find ${PROTO_FILE} (looked in ${candidates.join(', ')}); pass protoPath, or rebuild the package (npm run build in libs/sdk)`,
    );
  }
  return found;
}

/** `auren.events.v1.EventIngest/PublishBatch` with @grpc/grpc-js, loaded only when chosen. */
export class GrpcTransport implements Transport {
  private readonly grpc: typeof GrpcJs;
  private readonly client: EventIngestClient;
  private readonly naming: ValueNaming;

  constructor(private readonly options: GrpcTransportOptions) {
    let loader: typeof ProtoLoader;
    try {
      /* eslint-disable @typescript-eslint/no-require-imports */
      this.grpc = require('@grpc/grpc-js') as typeof GrpcJs;
      loader = require('@grpc/proto-loader') as typeof ProtoLoader;
      /* eslint-enable @typescript-eslint/no-require-imports */
    } catch {
      throw new Error(
        "AurenClient: transport 'grpc' needs the optional packages @grpc/grpc-js and @grpc/proto-loader: npm install @grpc/grpc-js @grpc/proto-loader (or use transport 'http')",
      );
    }
    const definition = loader.loadSync(findProto(options.protoPath), {
      keepCase: true,
      longs: Number,
      enums: String,
      defaults: false,
      arrays: true,
      objects: true,
      oneofs: true,
    });
    const value = definition['google.protobuf.Value'] as {
      type?: { field?: Array<{ name: string }> };
    };
    this.naming = value?.type?.field?.some((f) => f.name === 'string_value') ? 'snake' : 'camel';
    const root = this.grpc.loadPackageDefinition(definition) as unknown as {
      auren: { events: { v1: { EventIngest: GrpcJs.ServiceClientConstructor } } };
    };
    const { target, tls } = parseTarget(options.url);
    const credentials = tls
      ? this.grpc.credentials.createSsl()
      : this.grpc.credentials.createInsecure();
    this.client = new root.auren.events.v1.EventIngest(target, credentials, {
      'grpc.primary_user_agent': options.userAgent,
    }) as unknown as EventIngestClient;
  }

  send(events: readonly AurenEvent[], signal: AbortSignal): Promise<SendOutcome> {
    const metadata = new this.grpc.Metadata();
    if (this.options.apiKey) metadata.set('authorization', `Bearer ${this.options.apiKey}`);
    return new Promise((resolve) => {
      const deadline = Date.now() + this.options.requestTimeoutMs;
      const call = this.client.PublishBatch(
        { events: events.map((e) => toProtoEvent(e, this.naming)) },
        metadata,
        { deadline },
        (error, reply) => {
          signal.removeEventListener('abort', cancel);
          if (!error) {
            const results = (reply?.results ?? []).map(({ event_id, stream_id, duplicate }) => ({
              event_id,
              stream_id,
              duplicate: duplicate === true,
            }));
            resolve({ kind: 'ok', results });
            return;
          }
          resolve(this.outcome(error));
        },
      );
      const cancel = () => call.cancel();
      if (signal.aborted) call.cancel();
      else signal.addEventListener('abort', cancel, { once: true });
    });
  }

  close(): Promise<void> {
    this.client.close();
    return Promise.resolve();
  }

  /** A failed call as the dispatcher sees it; the status codes mirror the HTTP answers. */
  private outcome(error: GrpcJs.ServiceError): SendOutcome {
    const { status } = this.grpc;
    const name = `grpc_${(status[error.code] ?? String(error.code)).toLowerCase()}`;
    const message = error.details || error.message;
    const trailer = (key: string) => {
      const value = error.metadata?.get(key)[0];
      return value === undefined ? undefined : value.toString();
    };
    const retryAfterMs = parseRetryAfter(trailer(RETRY_AFTER_KEY));
    switch (error.code) {
      case status.INVALID_ARGUMENT:
        return {
          kind: 'reject',
          reason: name,
          message,
          status: 400,
          details: parseDetails(trailer(DETAILS_KEY)),
        };
      case status.UNAUTHENTICATED:
        return { kind: 'reject', reason: name, message, status: 401 };
      case status.PERMISSION_DENIED:
        return { kind: 'reject', reason: name, message, status: 403 };
      case status.RESOURCE_EXHAUSTED:
        // Rate limited (429) comes with retry-after; without it, the batch was too large (413).
        return retryAfterMs !== undefined
          ? { kind: 'retry', reason: name, message, status: 429, retryAfterMs }
          : { kind: 'reject', reason: name, message, status: 413 };
      case status.UNAVAILABLE:
        return { kind: 'retry', reason: name, message, status: 503, retryAfterMs };
      case status.DEADLINE_EXCEEDED:
        return { kind: 'retry', reason: 'timeout', message, status: 504 };
      case status.CANCELLED:
      case status.ABORTED:
      case status.INTERNAL:
      case status.UNKNOWN:
        return { kind: 'retry', reason: name, message, status: 500 };
      default:
        return { kind: 'reject', reason: name, message, status: 400 };
    }
  }
}

function parseTarget(url: string): { target: string; tls: boolean } {
  const match = /^(grpcs?):\/\/(.+)$/.exec(url);
  if (!match) return { target: url, tls: false };
  return { target: match[2].replace(/\/+$/, ''), tls: match[1] === 'grpcs' };
}

function parseDetails(
  json: string | undefined,
): Array<{ index?: number; field?: string; message: string }> | undefined {
  if (!json) return undefined;
  try {
    const parsed = JSON.parse(json) as unknown;
    return Array.isArray(parsed)
      ? (parsed as Array<{ index?: number; field?: string; message: string }>)
      : undefined;
  } catch {
    return undefined;
  }
}
