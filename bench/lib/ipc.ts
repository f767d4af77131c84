/** Messages between the runner and its load-generator processes (Node IPC). */

/** Which server the clients talk to, and so which delivery rule their counts are checked against. */
export type ServerKind = 'auren' | 'bare-broadcast' | 'bare-rooms';

/** Handed to a load process as JSON in `BENCH_LOAD_CONFIG`. */
export interface LoadConfig {
  url: string;
  server: ServerKind;
  /** Clients this process holds: indexes `first` to `first + count - 1` of the population. */
  first: number;
  count: number;
  /** The whole population's size (the specs depend on it only through the seed and index). */
  population: number;
  seed: number;
  /** HS256 secret to sign the clients' JWTs with (AUREN). */
  jwtSecret: string;
  connectConcurrency: number;
}

export interface FanoutConfig extends LoadConfig {
  redisUrl: string;
  streamKey: string;
  /** Deliveries in flight (published, not yet counted by a client) per client. */
  windowPerClient: number;
  /** Processes whose CPU time goes into each sample: server, redis. */
  watchPids: Record<string, number>;
  sampleMs: number;
}

export type RunnerCommand = { cmd: 'start' } | { cmd: 'stop' } | { cmd: 'exit' };

export interface ConnectedMessage {
  type: 'connected';
  clients: number;
  ms: number;
}

export interface SampleMessage {
  type: 'sample';
  /** ms, monotonic clock of the load process. */
  t: number;
  received: number;
  expected: number;
  published: number;
  gaps: number;
  chars: number;
  /**
   * CPU seconds used so far, by name: `load` is the load process itself, `machine` all cores
   * together (/proc/stat), the others the watched processes.
   */
  cpu: Record<string, number>;
}

export interface DrainedMessage {
  type: 'drained';
  drained: boolean;
  received: number;
  expected: number;
  published: number;
  gaps: number;
  /** Whole packets decoded and checked against the delivery rule, and how many failed. */
  contentChecked: number;
  contentBad: number;
  /** Clients whose count differs from what the delivery rule selects. */
  clientsOff: number;
  missing: number;
  extra: number;
}

export interface ErrorMessage {
  type: 'error';
  message: string;
}

export type LoadMessage = ConnectedMessage | SampleMessage | DrainedMessage | ErrorMessage;

export function isLoadMessage<T extends LoadMessage['type']>(
  type: T,
): (message: unknown) => Extract<LoadMessage, { type: T }> | undefined {
  return (message) => {
    const m = message as LoadMessage | undefined;
    if (m?.type === 'error') throw new Error(m.message);
    return m?.type === type ? (m as Extract<LoadMessage, { type: T }>) : undefined;
  };
}
