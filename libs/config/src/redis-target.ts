/**
 * Where a Redis is: one server at `url`, or a Redis Cluster (`AUREN_REDIS_CLUSTER=true`) found
 * through seed nodes, the URL's host first (docs/configuration.md#redis-cluster).
 */
export interface RedisTarget {
  /** `redis://[user:password@]host:port[/0]` or `rediss://...`: credentials and TLS for every node. */
  url: string;
  /** Redis Cluster: the seed nodes (`host:port`), the URL's own first. Absent: a single server. */
  cluster?: { seeds: string[] };
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/**
 * The Redis target of `url`, with the cluster settings. Problems are pushed to `problems`, each
 * naming the variable and what it accepts.
 */
export function parseRedisTarget(
  url: string,
  variable: string,
  cluster: { enabled: boolean; nodes: string[] },
  problems: string[],
): RedisTarget {
  if (!cluster.enabled) return { url };
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    problems.push(
      `${variable}: not a URL (redis://host:port); with AUREN_REDIS_CLUSTER=true it names one node of the cluster`,
    );
    return { url };
  }
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && db !== '0') {
    problems.push(
      `${variable}: Redis Cluster has only database 0; remove "/${db}" from the URL (AUREN_REDIS_CLUSTER=true)`,
    );
  }
  const seeds = [`${parsed.hostname}:${parsed.port || '6379'}`];
  for (const node of cluster.nodes) {
    const match = HOST_PORT.exec(node);
    if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) {
      problems.push(
        `AUREN_REDIS_CLUSTER_NODES: "${node}" is not host:port (for example 10.0.0.6:6379); list the cluster's nodes, comma-separated`,
      );
      continue;
    }
    if (!seeds.includes(node)) seeds.push(node);
  }
  return { url, cluster: { seeds } };
}

/**
 * The hash tag of a Redis key, as Redis Cluster reads it: what lies between the first `{` and the
 * first `}` after it, when that is not empty; null when the key has none (the whole key is hashed).
 */
export function hashTag(key: string): string | null {
  const open = key.indexOf('{');
  if (open < 0) return null;
  const close = key.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return null;
  return key.slice(open + 1, close);
}
