/** Messages between the runner and the ingest load generators (P1, P2, P4) over Node IPC. */

/** Handed to bench/load/ingest-load.ts as JSON in `BENCH_LOAD_CONFIG`. */
export interface IngestLoadConfig {
  url: string;
  /** `Authorization` header value (AUREN runs in production mode: an API key). */
  authorization?: string;
  path: string;
  /** Events per request body; with `batch`, bodies are `{"events":[...]}`. */
  eventsPerRequest: number;
  batch: boolean;
  /** Keep-alive connections, one request in flight on each (closed loop). */
  connections: number;
  warmupMs: number;
  measureMs: number;
  seed: number;
  /** Processes whose CPU time is read at the window's edges: server, redis. */
  watchPids: Record<string, number>;
}

/** CPU seconds used so far, by name (`load`: the load process; `machine`: all cores). */
export type CpuReading = Record<string, number>;

export interface IngestProgress {
  type: 'progress';
  /** Seconds since start. */
  t: number;
  requests: number;
  events: number;
  errors: number;
}

export interface IngestLoadResult {
  type: 'ingest-result';
  seconds: number;
  /** Requests and events answered 202 within the measurement window. */
  requests: number;
  events: number;
  /** CPU seconds per process over the window (`other`: the rest of the machine). */
  cpu: Record<string, number>;
  /** Request latency within the window, ms (closed loop: includes queueing at the server). */
  latencyMs: { p50: number; p99: number; max: number };
  /** Everything answered 202 since the start (warm-up included), for the stream check. */
  acceptedEvents: number;
  /** Requests not answered 202, and the first few answers. */
  errors: number;
  errorSamples: string[];
  avgBodyBytes: number;
}

/** Handed to bench/load/latency-sender.ts (P4). */
export interface LatencySenderConfig {
  url: string;
  authorization?: string;
  /** Events per second, sent on a fixed schedule whatever the answers (open loop). */
  rate: number;
  warmupMs: number;
  measureMs: number;
  seed: number;
}

export interface LatencySenderResult {
  type: 'sender-result';
  /** Events sent, and answered 202, in all and within the measurement window. */
  sent: number;
  accepted: number;
  /** Sequence numbers of the window: [first, last]. */
  window: [number, number];
  errors: number;
  errorSamples: string[];
  /** How late the sender started requests against the schedule, ms. */
  lateMs: { p99: number; max: number };
  /** POST round trip, ms, within the window. */
  postMs: { p50: number; p99: number; max: number };
  /** Connections the sender needed (a new one opens when all are busy). */
  connections: number;
}

/** Handed to bench/load/latency-clients.ts (P4). */
export interface LatencyClientsConfig {
  url: string;
  clients: number;
  /** HS256 secret for the AUREN clients' tokens; none for the bare server. */
  jwtSecret?: string;
  /** The clients' user (JWT `sub`, seeing only that user's events); default: an `all` operator. */
  userId?: string;
}

export interface LatencyClientsResult {
  type: 'clients-result';
  /** Samples (client × event) within the window. */
  samples: number;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  /** Clients that did not receive every event of the window, and the events they missed. */
  clientsMissing: number;
  missing: number;
  duplicates: number;
}

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[at];
}

export interface FloodSenderConfig {
  url: string;
  authorization: string;
  /** Events per second offered (open loop), in batches of `eventsPerRequest`. */
  rate: number;
  eventsPerRequest: number;
  seed: number;
}

export interface FloodSenderResult {
  type: 'flood-result';
  seconds: number;
  /** Requests sent and answered, by status; events in 202 answers. */
  requests: number;
  statuses: Record<string, number>;
  acceptedEvents: number;
  /** Requests answered with a status other than 202 or 429, or not at all. */
  errors: number;
  errorSamples: string[];
  connections: number;
}
