import { parseAlertTransition, type AlertTransition } from '@auren/contracts';

/** The alerts log keeps about this many transitions (Redis `MAXLEN ~`, the memory log's cap). */
export const ALERT_LOG_MAXLEN = 10_000;

/**
 * What `publish` found: `published` (stored now) or `duplicate` (the log already holds this
 * alert_id, or a later one: a re-publish after a crash, which changes nothing).
 */
export type AlertPublishOutcome = 'published' | 'duplicate';

/**
 * Where the alert evaluator puts each transition it decided. `publish` resolves once the backend
 * stored it; when it rejects, publish the same transition again: a re-publish of an alert_id the
 * log already has is a no-op (Redis, memory) or a copy that every reader drops (Kafka).
 * `alert_id`s must increase in publication order: readers drop any alert_id at or below the last
 * one they delivered.
 */
export interface AlertLogPublisher {
  readonly backendName: string;
  /** Rejects with {@link InvalidAlertError} for a transition that is not valid, without writing. */
  publish(transition: AlertTransition): Promise<AlertPublishOutcome>;
  close(): Promise<void>;
}

/** One record of the alerts log as stored: where it is, and its JSON. */
export interface AlertLogRecord {
  position: string;
  json: string;
}

/**
 * One backend's reading side, for one process: the records published after the moment it
 * started. Never shared between gateway pods' positions (each reads everything, CONTRACT §5).
 */
export interface AlertLogReader {
  readonly backendName: string;
  /** Takes the live end as the start: what is published afterwards is read. Retried on failure. */
  start(): Promise<void>;
  /**
   * The records after the last one read, oldest first; waits up to `blockMs` when there are
   * none. Rejects when the backend is away; the next call goes on from the same place.
   */
  read(blockMs: number): Promise<AlertLogRecord[]>;
  close(): Promise<void>;
}

/** The alerts log of the configured backend: one publisher, and readers made on demand. */
export interface AlertLog {
  readonly backendName: string;
  readonly publisher: AlertLogPublisher;
  /** New readers, started by their consumer: one per backend (two in hybrid mode). */
  createReaders(): AlertLogReader[];
  close(): Promise<void>;
}

/** A transition that is not a valid {@link AlertTransition}; nothing was written. */
export class InvalidAlertError extends Error {
  constructor(reason: string) {
    super(`not a valid alert transition: ${reason}`);
    this.name = 'InvalidAlertError';
  }
}

/** The JSON a publisher writes, after the same check readers make. */
export function alertRecordJson(transition: AlertTransition): string {
  const parsed = parseAlertTransition(transition);
  if (!parsed.ok) throw new InvalidAlertError(parsed.reason);
  return JSON.stringify(parsed.alert);
}

/**
 * The alerts log's names, derived from the event stream's so that one setting moves both: the
 * Redis key is the events key with its last `:events` replaced by `:alerts` (`auren:events` →
 * `auren:alerts`), else the events key plus `:alerts`; the Kafka topic likewise with `.events` →
 * `.alerts` (`auren.events` → `auren.alerts`), else the topic plus `.alerts`.
 */
export function alertLogNames(stream: { key: string; kafkaTopic: string }): {
  redisKey: string;
  kafkaTopic: string;
} {
  return {
    redisKey: stream.key.endsWith(':events')
      ? `${stream.key.slice(0, -':events'.length)}:alerts`
      : `${stream.key}:alerts`,
    kafkaTopic: stream.kafkaTopic.endsWith('.events')
      ? `${stream.kafkaTopic.slice(0, -'.events'.length)}.alerts`
      : `${stream.kafkaTopic}.alerts`,
  };
}
