import { LIMITS } from './event-types';
import type { OverflowPolicy } from './dispatcher';
import type { Transport } from './transport';
import type { AurenError, RetryInfo } from './types';

export interface AurenClientOptions {
  /** Ingest address: `http://127.0.0.1:3000` (HTTP) or `127.0.0.1:50051` / `grpcs://host:port` (gRPC). */
  url?: string;
  /** Sent as `Authorization: Bearer <apiKey>` (an API key or a JWT). */
  apiKey?: string;
  /**
   * `http` (default); `grpc`, which needs the optional `@grpc/grpc-js` and `@grpc/proto-loader`;
   * or your own {@link Transport} (tests, other protocols).
   */
  transport?: 'http' | 'grpc' | Transport;
  /** Events per request, 1..1000. Default 100. */
  batchSize?: number;
  /** Longest an event waits for a batch to fill before it is sent anyway. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Events held (waiting + in flight) at most; beyond it events are dropped and counted. Default 10000. */
  maxBufferSize?: number;
  /** What to drop when the buffer is full. Default `drop-oldest` (keep the most recent activity). */
  overflow?: OverflowPolicy;
  /** Retries of a batch after 429/503/network errors before its events are dropped. Default 8; `Infinity` never gives up. */
  maxRetries?: number;
  /** First backoff step. Default 250 ms. */
  retryBaseMs?: number;
  /** Cap of any wait between retries, Retry-After included. Default 30000 ms. */
  retryMaxMs?: number;
  /** One request's time limit. Default 10000 ms. */
  requestTimeoutMs?: number;
  /** `user_id` for events that do not set their own. */
  userId?: string;
  /** Merged into every event's `metadata`. */
  defaultMetadata?: Record<string, unknown>;
  /** Events rejected by the ingest or dropped by the SDK. Without it, one process warning per reason. */
  onError?: (error: AurenError) => void;
  /** Called before each wait between retries. */
  onRetry?: (info: RetryInfo) => void;
  /** When the process is about to exit on its own (`beforeExit`), try this long to send what is left. 0: don't. Default 2000 ms. */
  exitFlushTimeoutMs?: number;
  /** gRPC only: where the .proto is (default: the copy shipped in the package). */
  protoPath?: string;
}

export type ResolvedOptions = Required<
  Omit<AurenClientOptions, 'apiKey' | 'userId' | 'onError' | 'onRetry' | 'protoPath'>
> &
  Pick<AurenClientOptions, 'apiKey' | 'userId' | 'onError' | 'onRetry' | 'protoPath'>;

const DEFAULTS = {
  transport: 'http',
  batchSize: 100,
  flushIntervalMs: 1000,
  maxBufferSize: 10_000,
  overflow: 'drop-oldest',
  maxRetries: 8,
  retryBaseMs: 250,
  retryMaxMs: 30_000,
  requestTimeoutMs: 10_000,
  defaultMetadata: {},
  exitFlushTimeoutMs: 2000,
} as const;

/** Fills in defaults and refuses nonsense with a message naming the option. */
export function resolveOptions(options: AurenClientOptions = {}): ResolvedOptions {
  const merged = { ...DEFAULTS, ...compactOptions(options) };
  const transport = merged.transport;
  const custom =
    typeof transport === 'object' && transport !== null && typeof transport.send === 'function';
  if (transport !== 'http' && transport !== 'grpc' && !custom) {
    throw new TypeError(
      `AurenClient: transport must be 'http' or 'grpc', got ${JSON.stringify(transport)}`,
    );
  }
  const url = merged.url ?? (transport === 'grpc' ? '127.0.0.1:50051' : 'http://127.0.0.1:3000');
  if (transport === 'http' && !/^https?:\/\//.test(url)) {
    throw new TypeError(
      `AurenClient: url must start with http:// or https:// for the http transport, got ${JSON.stringify(url)}`,
    );
  }
  integer('batchSize', merged.batchSize, 1, LIMITS.maxBatchSize);
  integer('maxBufferSize', merged.maxBufferSize, 1, 10_000_000);
  integer('flushIntervalMs', merged.flushIntervalMs, 0, 3_600_000);
  integer('retryBaseMs', merged.retryBaseMs, 1, 3_600_000);
  integer('retryMaxMs', merged.retryMaxMs, 1, 3_600_000);
  integer('requestTimeoutMs', merged.requestTimeoutMs, 1, 3_600_000);
  integer('exitFlushTimeoutMs', merged.exitFlushTimeoutMs, 0, 3_600_000);
  if (merged.maxRetries !== Infinity) integer('maxRetries', merged.maxRetries, 0, 1_000_000);
  if (merged.overflow !== 'drop-oldest' && merged.overflow !== 'drop-newest') {
    throw new TypeError(
      `AurenClient: overflow must be 'drop-oldest' or 'drop-newest', got ${JSON.stringify(merged.overflow)}`,
    );
  }
  return {
    ...merged,
    url,
    // A batch never holds more than the buffer.
    batchSize: Math.min(merged.batchSize, merged.maxBufferSize),
  };
}

function integer(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`AurenClient: ${name} must be an integer in ${min}..${max}, got ${value}`);
  }
}

function compactOptions(options: AurenClientOptions): AurenClientOptions {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (v !== undefined) out[k] = v;
  return out;
}
