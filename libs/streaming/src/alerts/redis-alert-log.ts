import type { RedisOptions } from 'ioredis';
import type { AlertTransition } from '@auren/contracts';
import type { RedisTarget } from '@auren/config';
import { createRedisClient, type RedisClient } from '../redis/redis-client';
import {
  ALERT_LOG_MAXLEN,
  alertRecordJson,
  type AlertLog,
  type AlertLogPublisher,
  type AlertLogReader,
  type AlertLogRecord,
  type AlertPublishOutcome,
} from './alert-log';

/** The field of a Redis alerts log entry that holds the transition's JSON. */
export const ALERT_FIELD = 'alert';

export interface RedisAlertLogOptions {
  url: string;
  /** Redis Cluster seeds; absent: a single server. */
  cluster?: RedisTarget['cluster'];
  /** The stream key (see alertLogNames): `auren:alerts` by default. */
  key: string;
  maxLen?: number;
}

const RETRY: RedisOptions['retryStrategy'] = (attempt) =>
  Math.min(50 * 2 ** Math.min(attempt, 7), 2000);

/**
 * The entry id of a transition: `0-<alert_id>`. The log's order is then exactly alert_id order,
 * whatever the clocks say, and Redis itself refuses a second XADD of the same alert_id (an id
 * must be above the stream's last one): the re-publish of a transition after a publisher crash
 * changes nothing.
 */
export function alertEntryId(alertId: string): string {
  return `0-${alertId}`;
}

/** The answer Redis gives an XADD whose explicit id is not above the stream's last id. */
const NOT_ABOVE_TOP = /equal or smaller than the target stream top item/i;

/**
 * The Redis alerts log: one stream (`auren:alerts`), `XADD <key> MAXLEN ~ 10000 0-<alert_id>
 * alert <json>`. Opens its connections only when used: every process that loads the streaming
 * module has a publisher, few publish.
 */
export class RedisAlertLog implements AlertLog, AlertLogPublisher {
  readonly backendName = 'redis';
  private writer?: RedisClient;

  constructor(private readonly options: RedisAlertLogOptions) {}

  get publisher(): AlertLogPublisher {
    return this;
  }

  get key(): string {
    return this.options.key;
  }

  async publish(transition: AlertTransition): Promise<AlertPublishOutcome> {
    const json = alertRecordJson(transition);
    this.writer ??= connect(this.options, 'auren-alerts-writer', {
      // A command lost with its connection is sent again: harmless, the entry id makes it idempotent.
      maxRetriesPerRequest: 2,
      commandTimeout: 5000,
    });
    try {
      await this.writer.xadd(
        this.options.key,
        'MAXLEN',
        '~',
        this.options.maxLen ?? ALERT_LOG_MAXLEN,
        alertEntryId(transition.alert_id),
        ALERT_FIELD,
        json,
      );
      return 'published';
    } catch (error) {
      // Already there, or an alert_id below one already published (which readers drop anyway).
      if (NOT_ABOVE_TOP.test((error as Error).message)) return 'duplicate';
      throw error;
    }
  }

  createReaders(): AlertLogReader[] {
    return [new RedisAlertReader(this.options)];
  }

  close(): Promise<void> {
    this.writer?.disconnect();
    return Promise.resolve();
  }
}

/**
 * Reads the alerts stream with `XREAD BLOCK` on a connection of its own, from the newest entry at
 * start (the live end: `$`, taken once, so nothing published between two reads is skipped).
 * When Redis is away a read fails at once; the caller retries and this goes on from the last
 * entry read, so nothing still in the stream is missed across an outage.
 */
export class RedisAlertReader implements AlertLogReader {
  readonly backendName = 'redis';
  private readonly client: RedisClient;
  private position = '0-0';

  constructor(private readonly options: RedisAlertLogOptions) {
    this.client = connect(options, 'auren-alerts-reader', {
      // Commands wait for the first connection, and fail (to be retried) when it drops.
      maxRetriesPerRequest: 0,
    });
  }

  async start(): Promise<void> {
    const newest = (await this.client.xrevrange(this.options.key, '+', '-', 'COUNT', 1)) as Array<
      [string, string[]]
    >;
    this.position = newest[0]?.[0] ?? '0-0';
  }

  async read(blockMs: number): Promise<AlertLogRecord[]> {
    const reply = await this.client.xread(
      'COUNT',
      100,
      'BLOCK',
      blockMs,
      'STREAMS',
      this.options.key,
      this.position,
    );
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length > 0) this.position = entries[entries.length - 1][0];
    return entries.map(([position, fields]) => {
      const at = fields.indexOf(ALERT_FIELD);
      return { position, json: at >= 0 && at % 2 === 0 ? (fields[at + 1] ?? '') : '' };
    });
  }

  close(): Promise<void> {
    this.client.disconnect();
    return Promise.resolve();
  }
}

function connect(target: RedisTarget, name: string, options: RedisOptions): RedisClient {
  const client = createRedisClient(target, {
    retryStrategy: RETRY,
    connectionName: name,
    ...options,
  });
  // Errors surface through the commands; this only keeps ioredis from printing each retry.
  client.on('error', () => undefined);
  return client;
}
