import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Cluster, Command, RedisOptions } from 'ioredis';
import type { AgentEvent } from '@auren/contracts';
import type { RedisTarget } from '@auren/config';
import {
  createRedisClient,
  isCluster,
  masterOf,
  RedisClient,
  whenReady,
} from './redis/redis-client';
import { streamKeys, type StreamKeys } from './redis/redis-keys';
import { RedisStylePositions } from './stream-position';
import {
  AppendOutcome,
  EventLog,
  EventSink,
  StreamEntry,
  StreamIdentity,
  StreamUnavailableError,
} from './stream.interfaces';

/**
 * Appends events and records their event_id in one atomic script: a duplicate within the window
 * answers the first write's position, and nothing is written when the script fails.
 * KEYS[1] stream, KEYS[2] its generation key; ARGV: maxlen, ttl seconds, dedupe key prefix, then
 * (event_id or '', json) pairs. Every key it touches shares the stream's hash slot (see
 * `streamKeys`), so it runs as is on Redis Cluster.
 * When the script creates the stream (first write, or after a restart that lost it, or a DEL),
 * it stores the first entry's id in `{<stream>}:generation`: gateways compare it to tell a new
 * stream from the one they were reading (see {@link RedisStream.identity}).
 */
const APPEND_SCRIPT = `
local out = {}
local fresh = redis.call('EXISTS', KEYS[1]) == 0
for i = 4, #ARGV, 2 do
  local eventId = ARGV[i]
  local existing = false
  if eventId ~= '' then existing = redis.call('GET', ARGV[3] .. eventId) end
  if existing then
    out[#out + 1] = existing
    out[#out + 1] = 1
  else
    local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'event', ARGV[i + 1])
    if fresh then
      redis.call('SET', KEYS[2], id)
      fresh = false
    end
    if eventId ~= '' then redis.call('SET', ARGV[3] .. eventId, id, 'EX', ARGV[2]) end
    out[#out + 1] = id
    out[#out + 1] = 0
  end
end
return out
`;

/**
 * Takes back what an append script wrote (the replicas did not confirm it): deletes the entries
 * and the dedupe keys that still point at them, in one atomic call.
 * KEYS[1] stream; ARGV: dedupe key prefix, then (stream id, event_id or '') pairs.
 */
const TAKE_BACK_SCRIPT = `
local removed = 0
for i = 2, #ARGV, 2 do
  removed = removed + redis.call('XDEL', KEYS[1], ARGV[i])
  local eventId = ARGV[i + 1]
  if eventId ~= '' and redis.call('GET', ARGV[1] .. eventId) == ARGV[i] then
    redis.call('DEL', ARGV[1] .. eventId)
  end
end
return removed
`;

type RawEntry = [id: string, fields: string[]];

/** An append script's reply and what `WAIT` said of it (a count, or why it failed). */
interface Committed {
  reply: Array<string | number>;
  confirmed?: number;
  waitError?: Error;
}

export interface RedisStreamOptions {
  url: string;
  /** Redis Cluster seeds (see {@link RedisTarget}); absent: a single server. */
  cluster?: RedisTarget['cluster'];
  key: string;
  maxLen: number;
  dedupeWindowSeconds: number;
  /** A failed write is answered this fast at the latest (plus `replicaTimeoutMs` when waiting). */
  commandTimeoutMs?: number;
  /**
   * Replicas that must confirm each write (`WAIT`) before it is acknowledged; 0 (default): none.
   * Unconfirmed writes are taken back and fail with {@link StreamUnavailableError}.
   */
  minReplicas?: number;
  /** How long `WAIT` waits for those replicas (default 1000 ms). */
  replicaTimeoutMs?: number;
}

function toEntry([id, fields]: RawEntry): StreamEntry {
  const at = fields.indexOf('event');
  return { id, json: at >= 0 && at % 2 === 0 ? (fields[at + 1] ?? '') : '' };
}

/** `last-generated-id` of an `XINFO STREAM` reply (a flat list of names and values). */
function lastGeneratedId(info: unknown[]): string {
  const at = info.indexOf('last-generated-id');
  const value = at >= 0 ? info[at + 1] : undefined;
  return typeof value === 'string' ? value : '0-0';
}

const APPEND_SHA = createHash('sha1').update(APPEND_SCRIPT).digest('hex');

/**
 * A group is sent as soon as it holds this many events, without waiting for the end of the
 * event-loop turn, so that Redis works on it while the process still reads more requests (on
 * two cores this kept the ingest busy instead of waiting for Redis; benchmark P1). Smaller
 * groups cost Redis more: the script's fixed cost is paid per group.
 */
const GROUP_EVENTS = 16;

/** Appends waiting for one script call: its arguments and who gets which answers. */
interface AppendGroup {
  args: Array<string | number>;
  events: number;
  /** Handed to Redis (when full, or at the end of the turn; whichever comes first). */
  sent: boolean;
  waiters: Array<{
    offset: number;
    events: ReadonlyArray<{ event: AgentEvent }>;
    resolve: (outcomes: AppendOutcome[]) => void;
    reject: (error: Error) => void;
  }>;
}

/**
 * The Redis Streams backend (CONTRACT §3). Three connections with different duties: writes
 * (appends committed in groups, fail fast when Redis is away), blocking reads, and short queries.
 */
export class RedisStream extends RedisStylePositions implements EventSink, EventLog {
  readonly backendName = 'redis';
  private readonly writer: RedisClient;
  private readonly reader: RedisClient;
  private readonly queries: RedisClient;
  private readonly keys: StreamKeys;
  /** On Redis Cluster (see `commitOnSlotMaster`). */
  private readonly cluster: boolean;
  /** The appends of this event-loop turn, not sent yet (see `append`). */
  private group: AppendGroup | null = null;
  private readonly minReplicas: number;
  private readonly replicaTimeoutMs: number;
  /** With replicas: a group is between its script call and the end of its `WAIT`. */
  private committing = false;
  /** With replicas: the group that waits for the one in flight (it keeps taking appends). */
  private held: AppendGroup | null = null;
  private readonly logger = new Logger('RedisStream');

  constructor(private readonly options: RedisStreamOptions) {
    super();
    this.keys = streamKeys(options.key);
    this.minReplicas = options.minReplicas ?? 0;
    this.replicaTimeoutMs = options.replicaTimeoutMs ?? 1000;
    const writeTimeoutMs =
      (options.commandTimeoutMs ?? 2000) + (this.minReplicas > 0 ? this.replicaTimeoutMs : 0);
    const common: RedisOptions = {
      lazyConnect: false,
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 7), 2000),
    };
    const target: RedisTarget = { url: options.url, cluster: options.cluster };
    this.writer = createRedisClient(target, {
      ...common,
      enableAutoPipelining: true,
      enableOfflineQueue: false,
      // A command in flight when the connection drops is failed, never sent twice.
      maxRetriesPerRequest: 0,
      commandTimeout: writeTimeoutMs,
      connectionName: 'auren-writer',
    });
    // Blocking reads fail as soon as the connection drops; the transport backs off and retries
    // from its last position, and reports the outage (readiness, logs) meanwhile.
    this.reader = createRedisClient(target, {
      ...common,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectionName: 'auren-reader',
    });
    this.queries = createRedisClient(target, {
      ...common,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 2000,
      connectionName: 'auren-queries',
    });
    for (const client of [this.writer, this.reader, this.queries]) {
      // Errors surface through the commands; this only keeps ioredis from printing each retry.
      client.on('error', () => undefined);
    }
    this.cluster = isCluster(this.writer);
    if (!this.cluster && this.keys.legacyGeneration) this.adoptLegacyGeneration();
  }

  /**
   * Before hash tags the generation was `<stream>:generation`; a stream written by an older
   * version keeps its generation under the new name (once, on a single server: a cluster had
   * none). RENAMENX: a generation the new name already has wins.
   */
  private adoptLegacyGeneration(): void {
    const legacy = this.keys.legacyGeneration as string;
    void whenReady(this.writer)
      .then(() => this.writer.renamenx(legacy, this.keys.generation))
      .catch(() => undefined); // no legacy key: nothing to adopt
  }

  get key(): string {
    return this.options.key;
  }

  /**
   * Appends are committed in groups: appends made in the same event-loop turn go into one script
   * call, which Redis runs as one atomic unit and answers per event. Ingest makes one append per
   * request, so under load this replaces many script calls by a few: Redis pays the script's
   * fixed cost, and ioredis its per-command cost, once per group (benchmark P1,
   * docs/performance.md). A group goes out as soon as it holds {@link GROUP_EVENTS} or more
   * events, else at the end of the turn. A failed call fails every append of the group, as it
   * fails the events of one batch. With `minReplicas`, a group is confirmed only after `WAIT`
   * (see `commit`), and only one group is between its script and its `WAIT` at a time: the next
   * one gathers appends meanwhile.
   */
  append(events: ReadonlyArray<{ event: AgentEvent; dedupe: boolean }>): Promise<AppendOutcome[]> {
    let group = this.group;
    if (!group) {
      group = this.group = {
        args: [this.options.maxLen, this.options.dedupeWindowSeconds, this.keys.dedupePrefix],
        events: 0,
        waiters: [],
        sent: false,
      };
      setImmediate(this.sendGroup, group);
    }
    const offset = group.events;
    group.events += events.length;
    for (const { event, dedupe } of events)
      group.args.push(dedupe ? event.event_id : '', JSON.stringify(event));
    const outcomes = new Promise<AppendOutcome[]>((resolve, reject) => {
      group.waiters.push({ offset, events, resolve, reject });
    });
    if (group.events >= GROUP_EVENTS) this.sendGroup(group);
    return outcomes;
  }

  private readonly sendGroup = (group: AppendGroup): void => {
    if (group.sent) return;
    if (this.committing) {
      // One WAIT in flight: appends meanwhile gather in this group, sent when it is answered.
      this.held = group;
      return;
    }
    if (this.group === group) this.group = null;
    group.sent = true;
    const replicated = this.minReplicas > 0;
    if (replicated) this.committing = true;
    this.commit(group.args)
      .then(
        (reply) => {
          for (const { offset, events, resolve } of group.waiters) {
            resolve(
              events.map(({ event }, i) => ({
                event_id: event.event_id,
                stream_id: String(reply[(offset + i) * 2]),
                duplicate: Number(reply[(offset + i) * 2 + 1]) === 1,
              })),
            );
          }
        },
        (error: Error) => {
          const failure =
            error instanceof StreamUnavailableError
              ? error
              : new StreamUnavailableError(`Redis did not confirm the write: ${error.message}`, {
                  cause: error,
                });
          for (const { reject } of group.waiters) reject(failure);
        },
      )
      .finally(() => {
        if (!replicated) return;
        this.committing = false;
        const held = this.held;
        this.held = null;
        if (held) this.sendGroup(held);
      });
  };

  /**
   * Runs the append script and, with `minReplicas`, `WAIT`s for the replicas. When fewer confirm
   * in time, the group's new entries and their dedupe keys are taken back before it fails: a
   * refused event is neither in the stream nor remembered as seen.
   */
  private async commit(args: Array<string | number>): Promise<Array<string | number>> {
    if (this.minReplicas === 0) return await this.runAppend(args);
    const { reply, confirmed, waitError } = this.cluster
      ? await this.commitOnSlotMaster(args)
      : await this.appendThenWait(args);
    if (confirmed !== undefined && confirmed >= this.minReplicas) return reply;
    await this.takeBack(args, reply);
    const seen =
      confirmed === undefined ? `WAIT failed (${waitError?.message})` : `${confirmed} confirmed`;
    throw new StreamUnavailableError(
      `Redis replicas did not confirm the write within ${this.replicaTimeoutMs} ms (AUREN_REDIS_MIN_REPLICAS=${this.minReplicas}, ${seen})`,
      {
        cause: waitError,
        publicMessage: `the stream's replicas did not confirm the write (${this.minReplicas} required, ${confirmed ?? 'unknown'} confirmed within ${this.replicaTimeoutMs} ms); nothing was accepted, retry later`,
      },
    );
  }

  private async appendThenWait(args: Array<string | number>): Promise<Committed> {
    const reply = await this.runAppend(args);
    try {
      const confirmed = Number(
        await this.sendNow('wait', [this.minReplicas, this.replicaTimeoutMs]),
      );
      return { reply, confirmed };
    } catch (error) {
      return { reply, waitError: error as Error };
    }
  }

  /**
   * Redis Cluster: the script and `WAIT` in one pipeline, which ioredis sends on one connection,
   * to the master of the stream's slot. `WAIT` then counts the replicas of the master that ran
   * the script (a keyless `WAIT` alone would go to any node). A redirect (MOVED/ASK: the slot
   * moved, nothing ran) or a lost connection fails the group (503) and the slot map is refreshed;
   * the retry finds the new master. NOSCRIPT (a promoted replica has not cached the script yet):
   * sent again with the script's text, nothing ran.
   */
  private async commitOnSlotMaster(args: Array<string | number>): Promise<Committed> {
    const cluster = this.writer as Cluster;
    const { stream, generation } = this.keys;
    for (let attempt = 0; ; attempt += 1) {
      const script: Array<string | number> =
        attempt === 0 ? ['evalsha', APPEND_SHA] : ['eval', APPEND_SCRIPT];
      const results = await cluster
        .pipeline([
          [...script, 2, stream, generation, ...args],
          ['wait', this.minReplicas, this.replicaTimeoutMs],
        ] as Array<[string, ...Array<string | number>]>)
        .exec();
      const [[scriptError, reply] = [], [waitError, confirmed] = []] = results ?? [];
      if (scriptError) {
        if (attempt === 0 && scriptError.message.includes('NOSCRIPT')) continue;
        if (/^(MOVED|ASK) /.test(scriptError.message)) cluster.refreshSlotsCache();
        throw scriptError;
      }
      if (!Array.isArray(reply)) throw new Error('the append script answered no list');
      const appended = reply as Array<string | number>;
      return waitError
        ? { reply: appended, waitError }
        : { reply: appended, confirmed: Number(confirmed) };
    }
  }

  /** Deletes the entries an append script wrote (not its duplicates) and their dedupe keys. */
  private async takeBack(
    args: Array<string | number>,
    reply: Array<string | number>,
  ): Promise<void> {
    const pairs: string[] = [];
    // args: maxlen, ttl, prefix, then (event_id or '', json) pairs; reply: (stream id, duplicate).
    for (let i = 0; i * 2 < reply.length; i += 1) {
      if (Number(reply[i * 2 + 1]) === 1) continue;
      pairs.push(String(reply[i * 2]), String(args[3 + i * 2]));
    }
    if (pairs.length === 0) return;
    try {
      await this.writer.eval(TAKE_BACK_SCRIPT, 1, this.keys.stream, String(args[2]), ...pairs);
    } catch (error) {
      // Redis is away: what it has of the group stays until then; a retry with the same
      // event_id is answered duplicate, as after any 503 whose reply was lost (docs/ingest.md).
      this.logger.error(
        `Could not take back ${pairs.length / 2} event(s) the replicas did not confirm: ${(error as Error).message}`,
      );
    }
  }

  /**
   * Marks events as not stored after all (hybrid `all`: the other backend failed): a tombstone
   * record per event, which gateways honour, and the event_id is free to be sent again.
   */
  async cancel(events: ReadonlyArray<AgentEvent>, tombstoneField: string): Promise<void> {
    const batch = this.writer.multi();
    for (const event of events) {
      batch.xadd(
        this.options.key,
        'MAXLEN',
        '~',
        this.options.maxLen,
        '*',
        'event',
        JSON.stringify({ [tombstoneField]: event.event_id }),
      );
      batch.del(`${this.keys.dedupePrefix}${event.event_id}`);
    }
    await batch.exec();
  }

  /**
   * EVALSHA, and EVAL once when Redis does not know the script yet (NOSCRIPT: nothing ran, so
   * sending it again cannot write twice). Not ioredis's defineCommand: with auto-pipelining it
   * remembers the loaded script per pipeline, not per connection, and so sent the whole script
   * text (EVAL) with the first event of every pipeline — most events, at moderate load.
   */
  private async runAppend(args: Array<string | number>): Promise<Array<string | number>> {
    try {
      return await this.sendNow('evalsha', [
        APPEND_SHA,
        2,
        this.keys.stream,
        this.keys.generation,
        ...args,
      ]);
    } catch (error) {
      if (!(error as Error).message?.includes('NOSCRIPT')) throw error;
      return await this.sendNow('eval', [
        APPEND_SCRIPT,
        2,
        this.keys.stream,
        this.keys.generation,
        ...args,
      ]);
    }
  }

  /**
   * Writes a command at once, past auto-pipelining: a group is already one command per
   * event-loop turn, and auto-pipelining would hold it back for another turn.
   */
  private sendNow(name: string, args: Array<string | number>): Promise<Array<string | number>> {
    const command = new Command(name, args, { replyEncoding: 'utf8' });
    void this.writer.sendCommand(command);
    return command.promise as Promise<Array<string | number>>;
  }

  async ping(): Promise<void> {
    // On a cluster: the master that holds the stream, not any node.
    if (this.cluster) await this.queries.exists(this.keys.stream);
    else await this.queries.ping();
  }

  /**
   * As for any position, and for `0-0` ("from the very start", what a gateway announces after a
   * reset): whether the stream still holds the first entry of its generation.
   */
  override async holds(position: string): Promise<boolean> {
    if (position !== '0-0') return super.holds(position);
    const [identity, [first]] = await Promise.all([this.identity(), this.readAfter('0-0', 1, 0)]);
    return identity.exists && identity.generation !== null && first?.id === identity.generation;
  }

  async readAfter(after: string, count: number, blockMs: number): Promise<StreamEntry[]> {
    // Blocking reads get their own connection; a short read must never queue behind one.
    const reply =
      blockMs > 0
        ? await this.reader.xread(
            'COUNT',
            count,
            'BLOCK',
            blockMs,
            'STREAMS',
            this.options.key,
            after,
          )
        : await this.queries.xread('COUNT', count, 'STREAMS', this.options.key, after);
    return reply?.[0]?.[1].map(toEntry) ?? [];
  }

  async readBackward(count: number, before?: string, inclusive = false): Promise<StreamEntry[]> {
    const end = before === undefined ? '+' : inclusive ? before : `(${before}`;
    const reply = (await this.queries.xrevrange(
      this.options.key,
      end,
      '-',
      'COUNT',
      count,
    )) as RawEntry[];
    return reply.map(toEntry);
  }

  async headPosition(): Promise<string> {
    const reply = (await this.queries.xrevrange(
      this.options.key,
      '+',
      '-',
      'COUNT',
      1,
    )) as RawEntry[];
    return reply[0]?.[0] ?? '0-0';
  }

  /**
   * The stream's identity, read in one MULTI so that its parts agree: whether the key exists, its
   * generation (see APPEND_SCRIPT), the last id it generated, and the server's `run_id`.
   */
  async identity(): Promise<StreamIdentity> {
    const key = this.options.key;
    const look = this.queries.multi().exists(key).get(this.keys.generation).xinfo('STREAM', key);
    // A stream of an older version: its generation under the old name until it is renamed
    // (adoptLegacyGeneration), so that the rename is not seen as a new stream.
    const legacy = this.cluster ? null : this.keys.legacyGeneration;
    if (legacy) look.get(legacy);
    const [replies, server] = await Promise.all([
      look.exec(),
      // INFO may be refused (an ACL, a managed Redis): then restarts are told by the other parts.
      // On a cluster: the server that holds the stream (a failover is a new run_id).
      (masterOf(this.queries, key)?.info('server') ?? Promise.resolve(null)).catch(() => null),
    ]);
    if (!replies) throw new Error('Redis aborted the identity transaction');
    const [[existsError, exists], [generationError, current], [, info], [, old] = []] = replies;
    if (existsError) throw existsError;
    if (generationError) throw generationError;
    const generation = current ?? old;
    return {
      exists: Number(exists) === 1,
      generation: typeof generation === 'string' ? generation : null,
      // XINFO fails on a missing key: nothing generated.
      lastId: Array.isArray(info) ? lastGeneratedId(info) : '0-0',
      serverRunId: typeof server === 'string' ? (/run_id:(\w+)/.exec(server)?.[1] ?? null) : null,
    };
  }

  /**
   * Waits until the write and query connections are up, at most `timeoutMs`; resolves either way,
   * so that a process started before Redis still starts (and answers 503 until Redis is there).
   */
  async waitUntilReady(timeoutMs: number): Promise<boolean> {
    const ready = whenReady;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>(
      (resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)),
    );
    const result = await Promise.race([
      Promise.all([ready(this.writer), ready(this.queries)]).then(() => true),
      timeout,
    ]);
    clearTimeout(timer);
    return result;
  }

  /** Every reply the callers waited for has arrived by now, so a hard disconnect loses nothing. */
  close(): void {
    for (const client of [this.reader, this.writer, this.queries]) client.disconnect();
  }
}
