import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Logger } from '@nestjs/common';
import type { RedisOptions } from 'ioredis';
import type { RedisTarget } from '@auren/config';
import { createRedisClient, type RedisClient } from '../redis/redis-client';
import type { StreamEntry } from '../stream.interfaces';
import type { BatchSource } from './stream-group.transport';

export interface RedisGroupSourceOptions {
  url: string;
  /** Redis Cluster seeds; absent: a single server. */
  cluster?: RedisTarget['cluster'];
  /** The stream key (AUREN_STREAM_KEY). */
  key: string;
  /** The consumer group (AUREN_HISTORY_GROUP). */
  group: string;
  /** Entries pending this long at another consumer are claimed (AUREN_HISTORY_CLAIM_IDLE_MS). */
  claimIdleMs: number;
  /** Consumers with nothing pending and idle this long are removed (default 1 hour). */
  consumerIdleMs?: number;
  /** How often to look for entries to claim (default claimIdleMs / 2, at least 500 ms). */
  claimEveryMs?: number;
  /** This reader's name in the group (default `<host>-<pid>-<random>`). */
  consumer?: string;
}

type RawEntry = [id: string, fields: string[] | null];

function toEntry([id, fields]: RawEntry): StreamEntry {
  const at = fields ? fields.indexOf('event') : -1;
  return { id, json: fields && at >= 0 && at % 2 === 0 ? (fields[at + 1] ?? '') : '' };
}

/** A flat `name, value, ...` reply (XINFO) as an object. */
function fieldsOf(reply: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = reply[i + 1];
  return out;
}

/** See {@link RedisGroupSource.lag}. */
const LAG_COUNT_BOUND = 10_000;

const isNoGroup = (error: unknown) => /NOGROUP/.test((error as Error)?.message ?? '');
const isNoKey = (error: unknown) =>
  /requires the key to exist|no such key/i.test((error as Error)?.message ?? '');

/**
 * One writer's side of a Redis Streams consumer group: `XREADGROUP` for new entries, its own
 * pending entries re-read first (at start and after any failure, since a reply lost with the
 * connection leaves entries delivered but never seen), `XAUTOCLAIM` of entries a dead writer left
 * pending longer than `claimIdleMs`, `XACK` when written. A lost group (Redis restarted empty, the
 * key deleted: `NOGROUP`) is created again and reading goes on from the new stream's start.
 *
 * The group is created from `0` (history gets everything the stream still holds) once the stream
 * exists; not with `MKSTREAM`: an empty stream made by a reader would carry no `:generation`,
 * which the gateways compare to tell a new stream from the one they follow (RedisStream.identity).
 */
export class RedisGroupSource implements BatchSource {
  readonly source = 'redis';
  readonly consumer: string;
  /** Blocking reads. */
  private readonly reader: RedisClient;
  /** Everything else. */
  private readonly commands: RedisClient;
  private groupReady = false;
  /** Re-read own pending entries (from this id) before new ones. */
  private pendingFrom: string | null = '0';
  private nextClaim = 0;
  private claimCursor = '0-0';
  private readonly claimEveryMs: number;
  private readonly consumerIdleMs: number;
  private readonly logger = new Logger('RedisGroupSource');

  constructor(private readonly options: RedisGroupSourceOptions) {
    this.consumer =
      options.consumer ?? `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.claimEveryMs = options.claimEveryMs ?? Math.max(500, Math.floor(options.claimIdleMs / 2));
    this.consumerIdleMs = options.consumerIdleMs ?? 3_600_000;
    const common: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 7), 2000),
    };
    const target: RedisTarget = { url: options.url, cluster: options.cluster };
    this.reader = createRedisClient(target, { ...common, connectionName: 'auren-history-reader' });
    this.commands = createRedisClient(target, {
      ...common,
      commandTimeout: 5000,
      connectionName: 'auren-history-group',
    });
    for (const client of [this.reader, this.commands]) client.on('error', () => undefined);
  }

  get group(): string {
    return this.options.group;
  }

  async next(count: number, blockMs: number): Promise<StreamEntry[]> {
    try {
      return await this.read(count, blockMs);
    } catch (error) {
      // Whatever Redis delivered and we did not see is pending under our name: read it first.
      this.pendingFrom = '0';
      if (isNoGroup(error)) {
        this.groupReady = false;
        this.logger.warn(
          `Consumer group ${this.options.group} on ${this.options.key} is gone (Redis restarted empty, or the key was deleted); creating it again from the stream's start`,
        );
        return [];
      }
      throw error;
    }
  }

  private async read(count: number, blockMs: number): Promise<StreamEntry[]> {
    if (!this.groupReady && !(await this.createGroup())) {
      // No stream yet: nothing to write. Wait as a blocking read would.
      await this.reader.xread('BLOCK', blockMs, 'STREAMS', this.options.key, '$');
      return [];
    }
    if (this.pendingFrom !== null) {
      const reply = (await this.commands.xreadgroup(
        'GROUP',
        this.options.group,
        this.consumer,
        'COUNT',
        count,
        'STREAMS',
        this.options.key,
        this.pendingFrom,
      )) as Array<[string, RawEntry[]]> | null;
      const raw = reply?.[0]?.[1] ?? [];
      if (raw.length > 0) {
        this.pendingFrom = raw[raw.length - 1][0];
        return raw.map(toEntry);
      }
      this.pendingFrom = null;
    }
    if (Date.now() >= this.nextClaim) {
      const claimed = await this.claim(count);
      if (claimed.length > 0) return claimed;
    }
    const reply = (await this.reader.xreadgroup(
      'GROUP',
      this.options.group,
      this.consumer,
      'COUNT',
      count,
      'BLOCK',
      blockMs,
      'STREAMS',
      this.options.key,
      '>',
    )) as Array<[string, RawEntry[]]> | null;
    return (reply?.[0]?.[1] ?? []).map(toEntry);
  }

  /** Creates the group from `0` when the stream exists; false while it does not. */
  private async createGroup(): Promise<boolean> {
    try {
      await this.commands.xgroup('CREATE', this.options.key, this.options.group, '0');
      this.logger.log(`Created consumer group ${this.options.group} on ${this.options.key}`);
    } catch (error) {
      const message = (error as Error).message ?? '';
      if (isNoKey(error)) return false;
      if (!message.includes('BUSYGROUP')) throw error;
    }
    this.groupReady = true;
    this.pendingFrom = '0';
    return true;
  }

  /**
   * `XAUTOCLAIM`s entries idle at other consumers (a writer that died with them pending); one
   * pass over the pending list per `claimEveryMs`, a batch at a time. Also removes consumers
   * that are long idle with nothing pending.
   */
  private async claim(count: number): Promise<StreamEntry[]> {
    const reply = (await this.commands.xautoclaim(
      this.options.key,
      this.options.group,
      this.consumer,
      this.options.claimIdleMs,
      this.claimCursor,
      'COUNT',
      count,
    )) as [string, RawEntry[], string[]?];
    const [cursor, raw, deleted] = reply;
    this.claimCursor = cursor;
    if (cursor === '0-0') {
      this.nextClaim = Date.now() + this.claimEveryMs;
      await this.removeIdleConsumers();
    }
    if (deleted && deleted.length > 0)
      this.logger.warn(
        `${deleted.length} pending entries were trimmed from the stream before any writer stored them`,
      );
    // Entries deleted meanwhile come back without fields (Redis < 7): acknowledge them as poison.
    const entries = raw.map(toEntry);
    if (entries.length > 0)
      this.logger.log(`Claimed ${entries.length} entries idle at a writer that stopped`);
    return entries;
  }

  private async removeIdleConsumers(): Promise<void> {
    const consumers = (await this.commands.xinfo(
      'CONSUMERS',
      this.options.key,
      this.options.group,
    )) as unknown[];
    for (const consumer of consumers.map(fieldsOf)) {
      const name = String(consumer.name);
      if (name === this.consumer) continue;
      if (Number(consumer.pending) === 0 && Number(consumer.idle) > this.consumerIdleMs) {
        await this.deleteConsumer(name);
      }
    }
  }

  /** Removes a consumer unless it has entries pending (checked and done atomically). */
  private async deleteConsumer(name: string): Promise<boolean> {
    const removed = await this.commands.eval(
      `local consumers = redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
       for _, c in ipairs(consumers) do
         local f = {}
         for i = 1, #c, 2 do f[c[i]] = c[i + 1] end
         if f['name'] == ARGV[2] then
           if f['pending'] ~= 0 then return 0 end
           return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2]) + 1
         end
       end
       return 0`,
      1,
      this.options.key,
      this.options.group,
      name,
    );
    return Number(removed) > 0;
  }

  async ack(entries: readonly StreamEntry[]): Promise<void> {
    if (entries.length === 0) return;
    try {
      await this.commands.xack(this.options.key, this.options.group, ...entries.map((e) => e.id));
    } catch (error) {
      this.pendingFrom = '0';
      throw error;
    }
  }

  /** `XINFO GROUPS`: `lag` (not delivered to the group yet) plus `pending` (delivered, not written). */
  async lag(): Promise<number | null> {
    let groups: unknown[];
    try {
      groups = (await this.commands.xinfo('GROUPS', this.options.key)) as unknown[];
    } catch (error) {
      if (isNoKey(error)) return 0;
      throw error;
    }
    const group = groups.map(fieldsOf).find((g) => g.name === this.options.group);
    if (!group) return Number(await this.commands.xlen(this.options.key));
    const pending = Number(group.pending ?? 0);
    if (group.lag !== null && group.lag !== undefined) return Number(group.lag) + pending;
    // Unknown after deletions inside the range (Redis says null): count what is left, up to a
    // bound (each entry read costs its payload; past the bound the figure is a lower bound).
    const delivered = group['last-delivered-id'];
    const after = typeof delivered === 'string' ? delivered : '0-0';
    const rest = await this.commands.xrange(
      this.options.key,
      `(${after}`,
      '+',
      'COUNT',
      LAG_COUNT_BOUND,
    );
    return rest.length + pending;
  }

  async ping(): Promise<void> {
    await this.commands.ping();
  }

  /** Leaves the group when nothing is pending under this consumer; closes the connections. */
  async close(): Promise<void> {
    this.reader.disconnect();
    try {
      if (this.groupReady && this.commands.status === 'ready')
        await this.deleteConsumer(this.consumer);
    } finally {
      this.commands.disconnect();
    }
  }
}
