import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisTarget } from '@auren/config';
import { keySlot } from './redis-keys';

/** A connection to one Redis server, or to a Redis Cluster (ioredis `Cluster`). */
export type RedisClient = Redis | Cluster;

/** How often a cluster client re-reads the slot map, besides on MOVED and lost nodes. */
const SLOTS_REFRESH_MS = 2000;

/**
 * The one place AUREN creates Redis connections (docs/configuration.md#redis-cluster): a plain
 * ioredis client for a single server, or an ioredis `Cluster` when the target names seeds
 * (`AUREN_REDIS_CLUSTER=true`). `options` are those of a single-server client; for a cluster they
 * apply to each node's connection, and:
 * - `retryStrategy` becomes the cluster's reconnection strategy;
 * - `maxRetriesPerRequest: 0` also means: a command whose connection closed before its answer is
 *   failed, not sent again to the new master (`retryDelayOnFailover: 0`), as on a single server.
 *   The cluster still follows MOVED/ASK and retries TRYAGAIN/CLUSTERDOWN, where nothing ran;
 * - the slot map is refreshed every 2 s, on MOVED, and when a node is lost, so a failover is seen
 *   without waiting for a redirect.
 */
export function createRedisClient(
  target: RedisTarget | string,
  options: RedisOptions,
): RedisClient {
  const { url, cluster } =
    typeof target === 'string' ? { url: target, cluster: undefined } : target;
  if (!cluster) return new Redis(url, options);
  const parsed = new URL(url);
  const {
    retryStrategy,
    enableOfflineQueue,
    enableAutoPipelining,
    lazyConnect,
    maxRetriesPerRequest,
    ...nodeOptions
  } = options;
  const redisOptions: RedisOptions = {
    ...nodeOptions,
    maxRetriesPerRequest,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
  };
  const clusterOptions: ClusterOptions = {
    redisOptions,
    clusterRetryStrategy: retryStrategy
      ? (attempt: number) => retryStrategy(attempt) ?? null
      : undefined,
    enableOfflineQueue: enableOfflineQueue ?? true,
    enableAutoPipelining: enableAutoPipelining ?? false,
    lazyConnect: lazyConnect ?? false,
    retryDelayOnFailover: maxRetriesPerRequest === 0 ? 0 : 100,
    slotsRefreshInterval: SLOTS_REFRESH_MS,
  };
  const seeds = cluster.seeds.map((seed) => {
    const colon = seed.lastIndexOf(':');
    return {
      host: seed.slice(0, colon).replace(/^\[|\]$/g, ''),
      port: Number(seed.slice(colon + 1)),
    };
  });
  const client = new Cluster(seeds, clusterOptions);
  // A lost node: look at the slot map now rather than at the next redirect or refresh.
  client.on('-node', () => client.refreshSlotsCache());
  return client;
}

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/**
 * The connection to the master that serves `key`'s slot, as the client's slot map says now; for
 * keyless commands that are about that key (INFO of its server, CONFIG of its master). A single
 * server is its own master. Undefined while the map does not know (not connected yet).
 */
export function masterOf(client: RedisClient, key: string): Redis | undefined {
  if (!isCluster(client)) return client;
  const nodeKey = client.slots[keySlot(key)]?.[0];
  if (nodeKey === undefined) return undefined;
  return client
    .nodes('master')
    .find((node) => `${node.options.host}:${node.options.port}` === nodeKey);
}

/** `true` once the client can take commands (a cluster: connected and the slot map known). */
export function whenReady(client: RedisClient): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise<void>((resolve) => client.once('ready', () => resolve()));
}
