/**
 * The stream's write path on one Redis server vs a Redis Cluster (docs/scaling.md#redis-cluster):
 * `RedisStream.append` from one process, `--concurrency` appends in flight (as an ingest pod under
 * load: they are committed in groups), ~0.5 KB events with an event_id (dedupe on), for
 * `--events` events, with AUREN_REDIS_MIN_REPLICAS 0 and 1. Every setup gets the same servers:
 * AOF everysec, and a replica per master (3 masters + 3 replicas for the cluster). One stream is
 * one slot, so the cluster figure is what one master can take.
 *
 *   npx tsx bench/tools/redis-cluster-append.ts [--events 40000] [--concurrency 64]
 */
import { randomUUID } from 'node:crypto';
import type { AgentEvent } from '@auren/contracts';
import { RedisStream, type RedisStreamOptions } from '@auren/streaming';
import { RedisServer } from '../../test/harness/redis';
import { RedisCluster } from '../../test/harness/redis-cluster';
import { waitFor } from '../../test/harness/wait';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

const EVENTS = option('events', 40_000);
const CONCURRENCY = option('concurrency', 64);

function event(): AgentEvent {
  return {
    event_id: randomUUID(),
    event_type: 'llm_call',
    timestamp: new Date().toISOString(),
    received_at: new Date().toISOString(),
    source_agent: { id: `agent-${Math.floor(Math.random() * 20)}`, role: 'researcher' },
    payload: { model: 'gpt-4o', prompt_tokens: 812, completion_tokens: 230, text: 'x'.repeat(300) },
    metadata: {},
    performance_metrics: { latency_ms: 420, token_cost: 0.0031, success: true },
  } as unknown as AgentEvent;
}

async function run(label: string, options: RedisStreamOptions): Promise<void> {
  const stream = new RedisStream(options);
  await stream.waitUntilReady(10_000);
  // Warm-up: the script cached, connections up.
  await Promise.all(
    Array.from({ length: 200 }, () => stream.append([{ event: event(), dedupe: true }])),
  );
  let sent = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (sent < EVENTS) {
        sent += 1;
        await stream.append([{ event: event(), dedupe: true }]);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(
    `${label.padEnd(44)} ${Math.round(EVENTS / seconds)
      .toString()
      .padStart(7)} appends/s (${EVENTS} in ${seconds.toFixed(2)} s)`,
  );
  stream.close();
}

async function main(): Promise<void> {
  const aof = ['--appendonly', 'yes', '--appendfsync', 'everysec'];
  const primary = await RedisServer.start(undefined, { args: aof });
  const replica = await RedisServer.start(undefined, {
    args: [...aof, '--replicaof', '127.0.0.1', String(primary.port)],
  });
  const cluster = await RedisCluster.start();
  try {
    const probe = new RedisStream({
      url: replica.url,
      key: 'probe',
      maxLen: 10,
      dedupeWindowSeconds: 1,
    });
    await waitFor(async () => (await probe.identity()).serverRunId !== null, {
      what: 'the replica',
    });
    probe.close();
    const base = { maxLen: 1_000_000, dedupeWindowSeconds: 86_400 };
    const seeds = { seeds: cluster.live.map((n) => `127.0.0.1:${n.port}`) };
    console.log(`${EVENTS} events, ${CONCURRENCY} appends in flight, one process`);
    for (const minReplicas of [0, 1]) {
      await run(`single server, AUREN_REDIS_MIN_REPLICAS=${minReplicas}`, {
        ...base,
        url: primary.url,
        key: `bench:single:${minReplicas}`,
        minReplicas,
      });
      await run(`cluster (3+3), AUREN_REDIS_MIN_REPLICAS=${minReplicas}`, {
        ...base,
        url: cluster.url,
        cluster: seeds,
        key: `bench:cluster:${minReplicas}`,
        minReplicas,
      });
    }
  } finally {
    await cluster.dispose();
    await Promise.all([primary.dispose(), replica.dispose()]);
  }
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
