import { spawn } from 'node:child_process';
import Redis from 'ioredis';
import { freePort } from './ports';
import { RedisServer } from './redis';
import { waitFor } from './wait';

/** One node of the harness's cluster. */
export interface ClusterNode {
  port: number;
  server: RedisServer;
  /** Killed (SIGKILL) by a test: no longer part of the cluster. */
  dead: boolean;
}

export interface RedisClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
  /** `cluster-node-timeout`: how long a silent master takes to be failed over (default 2000 ms). */
  nodeTimeoutMs?: number;
}

/** A `CLUSTER SLOTS` range: the slots, the master's port, the replicas' ports. */
interface SlotRange {
  from: number;
  to: number;
  master: number;
  replicas: number[];
}

/** One node's client, short-lived: answers or fails fast, no retries. */
function nodeClient(port: number): Redis {
  const client = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
    commandTimeout: 2000,
  });
  client.on('error', () => undefined);
  return client;
}

async function onNode<T>(port: number, run: (client: Redis) => Promise<T>): Promise<T> {
  const client = nodeClient(port);
  try {
    await client.connect();
    return await run(client);
  } finally {
    client.disconnect();
  }
}

/**
 * A real Redis Cluster for tests: `masters` × (1 + `replicasPerMaster`) `redis-server` processes
 * on free ports (cluster-enabled, AOF on, each in a temp dir of its own), joined with
 * `redis-cli --cluster create`, ready when every node says `cluster_state:ok` and every replica
 * is in sync. `dispose()` stops every process and removes every dir, also after a failed start.
 */
export class RedisCluster {
  private constructor(
    readonly nodes: ClusterNode[],
    private readonly options: Required<RedisClusterOptions>,
  ) {}

  static async start(options: RedisClusterOptions = {}): Promise<RedisCluster> {
    const settings = { masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 2000, ...options };
    const count = settings.masters * (1 + settings.replicasPerMaster);
    const ports = new Set<number>();
    while (ports.size < count) ports.add(await freePort());
    const nodes: ClusterNode[] = [];
    const cluster = new RedisCluster(nodes, settings);
    try {
      await Promise.all(
        [...ports].map(async (port) => {
          const server = await RedisServer.start(port, {
            args: [
              '--cluster-enabled',
              'yes',
              '--cluster-config-file',
              'nodes.conf',
              '--cluster-node-timeout',
              String(settings.nodeTimeoutMs),
              '--appendonly',
              'yes',
              '--appendfsync',
              'everysec',
            ],
          });
          nodes.push({ port, server, dead: false });
        }),
      );
      nodes.sort((a, b) => a.port - b.port);
      await cluster.create();
      await cluster.waitHealthy();
      return cluster;
    } catch (error) {
      await cluster.dispose();
      throw error;
    }
  }

  /** `redis-cli --cluster create ... --cluster-replicas n --cluster-yes`. */
  private async create(): Promise<void> {
    const args = [
      '--cluster',
      'create',
      ...this.nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas',
      String(this.options.replicasPerMaster),
      '--cluster-yes',
    ];
    const output: string[] = [];
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      child.once('error', reject);
      child.once('exit', resolve);
    });
    if (code !== 0)
      throw new Error(`redis-cli --cluster create failed (${code}):\n${output.join('')}`);
  }

  /** The live nodes. */
  get live(): ClusterNode[] {
    return this.nodes.filter((n) => !n.dead);
  }

  /** A seed URL for REDIS_URL (the first live node). */
  get url(): string {
    return `redis://127.0.0.1:${this.live[0].port}`;
  }

  /** The app settings: REDIS_URL, AUREN_REDIS_CLUSTER, every node as a seed. */
  env(): Record<string, string> {
    return {
      REDIS_URL: this.url,
      AUREN_REDIS_CLUSTER: 'true',
      AUREN_REDIS_CLUSTER_NODES: this.live.map((n) => `127.0.0.1:${n.port}`).join(','),
    };
  }

  /** Waits until every live node reports `cluster_state:ok`, and every replica is in sync. */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      async () => {
        for (const node of this.live) {
          const ok = await onNode(node.port, async (client) => {
            const info = (await client.call('CLUSTER', 'INFO')) as string;
            if (!/cluster_state:ok/.test(info)) return false;
            const replication = await client.info('replication');
            return !/role:slave/.test(replication) || /master_link_status:up/.test(replication);
          });
          if (!ok) return false;
        }
        const ranges = await this.slots();
        const covered = ranges.reduce((sum, r) => sum + (r.to - r.from + 1), 0);
        return (
          covered === 16384 &&
          ranges.every((r) => r.replicas.length >= this.options.replicasPerMaster)
        );
      },
      { timeoutMs, intervalMs: 100, what: 'the Redis Cluster to be ok with every replica in sync' },
    );
  }

  /** `CLUSTER SLOTS` as one live node sees it. */
  async slots(port = this.live[0].port): Promise<SlotRange[]> {
    const reply = await onNode(
      port,
      (client) => client.call('CLUSTER', 'SLOTS') as Promise<Array<[number, number, ...unknown[]]>>,
    );
    return reply.map(([from, to, ...nodes]) => {
      const ports = (nodes as Array<[string, number]>).map((n) => Number(n[1]));
      return { from, to, master: ports[0], replicas: ports.slice(1) };
    });
  }

  /** The slot of `key` and the master and replicas serving it now. */
  async whereIs(key: string): Promise<{ slot: number; master: number; replicas: number[] }> {
    const slot = Number(
      await onNode(this.live[0].port, (client) => client.call('CLUSTER', 'KEYSLOT', key)),
    );
    const range = (await this.slots()).find((r) => r.from <= slot && slot <= r.to);
    if (!range) throw new Error(`slot ${slot} is not served`);
    return { slot, master: range.master, replicas: range.replicas };
  }

  /**
   * Fails over the master of `key`'s slot to its replica, and waits until every live node agrees
   * on the new master. `manual`: `CLUSTER FAILOVER` on the replica (the master stops writes, the
   * replica catches up, then takes over: nothing acknowledged is lost). `kill`: SIGKILL of the
   * master; the replica is promoted after `cluster-node-timeout`.
   */
  async failover(key: string, mode: 'manual' | 'kill'): Promise<{ from: number; to: number }> {
    const { slot, master, replicas } = await this.whereIs(key);
    const replica = replicas[0];
    if (replica === undefined) throw new Error(`the master of slot ${slot} has no replica`);
    if (mode === 'manual') {
      await onNode(replica, (client) => client.call('CLUSTER', 'FAILOVER'));
    } else {
      const node = this.nodes.find((n) => n.port === master) as ClusterNode;
      node.dead = true;
      await node.server.stop('SIGKILL');
    }
    await waitFor(
      async () => {
        for (const node of this.live) {
          const range = (await this.slots(node.port)).find((r) => r.from <= slot && slot <= r.to);
          if (range?.master !== replica) return false;
        }
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: `the replica ${replica} to serve slot ${slot}` },
    );
    return { from: master, to: replica };
  }

  /** Starts a killed node again (same port, dir, nodes.conf, AOF): it rejoins as a replica. */
  async restart(port: number): Promise<void> {
    const node = this.nodes.find((n) => n.port === port) as ClusterNode;
    await node.server.launch();
    node.dead = false;
    await this.waitHealthy();
  }

  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.server.dispose().catch(() => undefined)));
  }
}
