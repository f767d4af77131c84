import Redis, { Cluster } from 'ioredis';
import type { RedisTarget } from '@auren/config';
import { createRedisClient } from './redis/redis-client';

/**
 * How the Redis that ingest writes to keeps what it was given (docs/durability.md):
 * - `aof-always`: AOF, fsync before every reply — survives a Redis restart and a host crash;
 * - `aof-everysec`: AOF, fsync once a second — survives a Redis restart; a host crash can lose ~1 s;
 * - `aof-no`: AOF, the OS flushes when it likes — survives a Redis restart; a host crash ~30 s;
 * - `aof`: AOF on, fsync policy not visible (CONFIG refused; seen through INFO persistence);
 * - `rdb-only`: snapshots only — what was written since the last snapshot is lost on a restart;
 * - `none`: nothing on disk — everything is lost on a restart;
 * - `no-aof`: AOF off, snapshots not visible (INFO only): at best snapshots, so volatile;
 * - `unknown`: could not inspect (Redis down at start, CONFIG and INFO both refused).
 */
export type RedisDurabilityMode =
  'aof-always' | 'aof-everysec' | 'aof-no' | 'aof' | 'rdb-only' | 'none' | 'no-aof' | 'unknown';

export interface RedisDurability {
  mode: RedisDurabilityMode;
  /** Acknowledged events do not survive a Redis restart (some or all of them). */
  volatile: boolean;
  /** One plain sentence on what survives a restart. */
  summary: string;
  /** Replicas connected to this Redis (INFO replication), when visible. */
  connectedReplicas?: number;
  /** Why the settings could not be read (`unknown`). */
  reason?: string;
}

export const REDIS_DURABILITY_MODES: readonly RedisDurabilityMode[] = [
  'aof-always',
  'aof-everysec',
  'aof-no',
  'aof',
  'rdb-only',
  'none',
  'no-aof',
  'unknown',
];

const VOLATILE: ReadonlySet<RedisDurabilityMode> = new Set(['rdb-only', 'none', 'no-aof']);

/** What `CONFIG GET` answered (undefined: that setting was not readable). */
export interface RedisPersistenceSettings {
  appendonly?: string;
  appendfsync?: string;
  save?: string;
}

/** Classifies the answers of `CONFIG GET appendonly / appendfsync / save`. */
export function classifyConfig(settings: RedisPersistenceSettings): RedisDurability {
  const aof = settings.appendonly?.toLowerCase() === 'yes';
  if (aof) {
    switch (settings.appendfsync?.toLowerCase()) {
      case 'always':
        return describe(
          'aof-always',
          'AOF with appendfsync always: acknowledged events survive a Redis restart and a host crash',
        );
      case 'everysec':
        return describe(
          'aof-everysec',
          'AOF with appendfsync everysec: acknowledged events survive a Redis restart; a host crash (power loss, kernel panic) can lose about the last second',
        );
      case 'no':
        return describe(
          'aof-no',
          'AOF with appendfsync no: acknowledged events survive a Redis restart; a host crash can lose the last ~30 s (the OS decides when to flush)',
        );
      default:
        return aofUnknownPolicy();
    }
  }
  const save = settings.save?.trim() ?? '';
  if (save !== '') {
    return describe(
      'rdb-only',
      `RDB snapshots only (save "${save}", appendonly no): acknowledged events written since the last snapshot are LOST when Redis restarts`,
    );
  }
  return describe(
    'none',
    'no persistence (appendonly no, save ""): every acknowledged event is LOST when Redis restarts',
  );
}

/** Classifies `INFO persistence` (for a Redis whose CONFIG command is disabled or renamed). */
export function classifyInfo(info: string): RedisDurability | undefined {
  const aofEnabled = /^aof_enabled:(\d)/m.exec(info)?.[1];
  if (aofEnabled === undefined) return undefined;
  if (aofEnabled === '1') return aofUnknownPolicy();
  return describe(
    'no-aof',
    'AOF off (appendonly no; snapshot schedule not visible, CONFIG is not allowed): acknowledged events since the last snapshot, if any, are LOST when Redis restarts',
  );
}

function aofUnknownPolicy(): RedisDurability {
  return describe(
    'aof',
    'AOF on (fsync policy not visible): acknowledged events survive a Redis restart; a host crash can lose what was not yet flushed (1 s with appendfsync everysec)',
  );
}

function describe(mode: RedisDurabilityMode, summary: string): RedisDurability {
  return { mode, volatile: VOLATILE.has(mode), summary };
}

function unknown(reason: string): RedisDurability {
  return {
    mode: 'unknown',
    volatile: false,
    reason,
    summary: `could not inspect Redis persistence (${reason}): cannot tell whether acknowledged events survive a Redis restart; check appendonly on the server (docs/durability.md)`,
  };
}

/**
 * Reads the persistence settings of the Redis at `target`: `CONFIG GET`, else `INFO persistence`
 * (managed Redis often disables CONFIG). Never throws: what cannot be read is `unknown`.
 * On Redis Cluster every master is inspected (any of them may hold the stream, the alerts log or
 * the rate limits, and a failover moves slots between them), and the weakest answer is the
 * cluster's, naming that master; `connectedReplicas` is the fewest any master has.
 */
export async function inspectRedisDurability(
  target: RedisTarget | string,
  timeoutMs = 3000,
): Promise<RedisDurability> {
  if (typeof target === 'string' || !target.cluster) {
    return inspectServer(typeof target === 'string' ? target : target.url, timeoutMs);
  }
  let masters: string[];
  try {
    masters = await clusterMasters(target, timeoutMs);
  } catch (error) {
    return unknown(`Redis Cluster did not answer: ${(error as Error).message}`);
  }
  const looks = await Promise.all(
    masters.map(async (address) => {
      const url = new URL(target.url);
      const colon = address.lastIndexOf(':');
      url.hostname = address.slice(0, colon);
      url.port = address.slice(colon + 1);
      return { address, durability: await inspectServer(url.toString(), timeoutMs) };
    }),
  );
  const weakest = looks.reduce((a, b) =>
    WEAKNESS.indexOf(b.durability.mode) < WEAKNESS.indexOf(a.durability.mode) ? b : a,
  );
  const replicas = looks.map((look) => look.durability.connectedReplicas);
  const result: RedisDurability = {
    ...weakest.durability,
    summary: `${weakest.durability.summary} (Redis Cluster, ${looks.length} masters; the weakest is ${weakest.address})`,
  };
  delete result.connectedReplicas;
  if (replicas.every((n) => n !== undefined)) result.connectedReplicas = Math.min(...replicas);
  return result;
}

/** Weakest first: what the cluster as a whole promises is what its weakest master does. */
const WEAKNESS: readonly RedisDurabilityMode[] = [
  'none',
  'no-aof',
  'rdb-only',
  'unknown',
  'aof-no',
  'aof',
  'aof-everysec',
  'aof-always',
];

/** The masters' `host:port` as the cluster's slot map names them. */
async function clusterMasters(target: RedisTarget, timeoutMs: number): Promise<string[]> {
  const cluster = createRedisClient(target, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    connectionName: 'auren-durability-check',
  }) as Cluster;
  cluster.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      cluster.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    const masters = new Set<string>();
    for (const nodes of cluster.slots) if (nodes?.[0]) masters.add(nodes[0]);
    if (masters.size === 0) throw new Error('no slot is served');
    return [...masters];
  } finally {
    clearTimeout(timer);
    cluster.disconnect();
  }
}

/** {@link inspectRedisDurability} of one server. */
async function inspectServer(url: string, timeoutMs: number): Promise<RedisDurability> {
  const client = createRedisClient(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    connectionName: 'auren-durability-check',
  }) as Redis;
  client.on('error', () => undefined);
  try {
    try {
      await client.connect();
    } catch (error) {
      return unknown(`Redis did not answer: ${(error as Error).message}`);
    }
    let result: RedisDurability | undefined;
    let configProblem: string | undefined;
    try {
      const settings: RedisPersistenceSettings = {};
      for (const name of ['appendonly', 'appendfsync', 'save'] as const) {
        const reply = (await client.call('CONFIG', 'GET', name)) as string[];
        const at = reply.indexOf(name);
        if (at >= 0 && at % 2 === 0) settings[name] = reply[at + 1];
      }
      if (settings.appendonly !== undefined) result = classifyConfig(settings);
      else configProblem = 'CONFIG GET appendonly answered nothing';
    } catch (error) {
      configProblem = `CONFIG GET refused: ${(error as Error).message}`;
    }
    if (!result) {
      try {
        result = classifyInfo(await client.info('persistence'));
      } catch (error) {
        return unknown(`${configProblem}; INFO persistence refused: ${(error as Error).message}`);
      }
      if (!result) return unknown(`${configProblem}; INFO persistence has no aof_enabled`);
    }
    try {
      const replication = await client.info('replication');
      const replicas = /^connected_slaves:(\d+)/m.exec(replication)?.[1];
      if (replicas !== undefined) result.connectedReplicas = Number(replicas);
    } catch {
      // Replicas are only reported when visible.
    }
    return result;
  } finally {
    client.disconnect();
  }
}

/** Exit code of a refused start: EX_CONFIG, as for an invalid configuration. */
export const VOLATILE_REDIS_EXIT_CODE = 78;

/** Production mode on a volatile Redis without `AUREN_REDIS_ALLOW_VOLATILE=true`. */
export class VolatileRedisError extends Error {
  readonly exitCode = VOLATILE_REDIS_EXIT_CODE;
  constructor(
    readonly durability: RedisDurability,
    redisUrl: string,
  ) {
    super(
      `Refusing to start in production: the Redis at ${redisUrl} has ${durability.summary}.\n` +
        'Turn on AOF on that Redis (appendonly yes, appendfsync always or everysec; see deploy/redis/redis.conf), ' +
        'or set AUREN_REDIS_ALLOW_VOLATILE=true to accept losing acknowledged events when Redis restarts. ' +
        'See docs/durability.md.',
    );
    this.name = 'VolatileRedisError';
  }
}

/** What ingest does with an inspection: the log line, its level, and whether to refuse. */
export interface DurabilityVerdict {
  level: 'log' | 'warn';
  message: string;
  refuse: boolean;
}

/**
 * Decides from an inspection (docs/durability.md): production refuses a volatile Redis unless
 * accepted explicitly; `unknown` warns and starts (Redis may be down at start, which must not stop
 * a pod, and a Redis that hides its settings is not proof of loss).
 */
export function judgeDurability(
  durability: RedisDurability,
  options: { production: boolean; allowVolatile: boolean; minReplicas: number },
): DurabilityVerdict {
  const replicas =
    options.minReplicas > 0
      ? ` Writes wait for ${options.minReplicas} replica(s) (AUREN_REDIS_MIN_REPLICAS)${durability.connectedReplicas === undefined ? '' : `, ${durability.connectedReplicas} connected now`}.`
      : '';
  if (durability.mode === 'unknown') {
    return {
      level: 'warn',
      message: `Redis durability: ${durability.summary}.${replicas}`,
      refuse: false,
    };
  }
  if (!durability.volatile) {
    return {
      level: 'log',
      message: `Redis durability: ${durability.summary}.${replicas}`,
      refuse: false,
    };
  }
  if (options.production && !options.allowVolatile) {
    return { level: 'warn', message: `Redis durability: ${durability.summary}.`, refuse: true };
  }
  const accepted = options.allowVolatile
    ? ' Accepted by AUREN_REDIS_ALLOW_VOLATILE=true.'
    : ' Production mode would refuse this Redis (docs/durability.md).';
  return {
    level: 'warn',
    message: `Redis durability: ${durability.summary}.${accepted}${replicas}`,
    refuse: false,
  };
}
