/**
 * P6 — the Kafka path against the Redis path. The same AUREN ingest from dist/ (production mode,
 * every event validated and idempotency-checked) runs once with `AUREN_STREAM_BACKEND=kafka`
 * against a real single-node Kafka broker the scenario starts (test/harness/kafka.ts, full JIT)
 * and once with the Redis backend against the bench's redis-server, in the same run, fed by P1's
 * load generator (bench/load/ingest-load.ts: keep-alive, closed loop, own process). The headline
 * is single-event POSTs (P1's request shape); 100-event batches (P2's) are measured beside them in
 * full runs, and so is P4's end-to-end latency (POST → socket.io-client, 500 events/s, 20 clients;
 * bench/load/latency-sender.ts and latency-clients.ts) through ingest + gateway in Kafka mode and
 * in Redis mode.
 *
 * Checks: after each Kafka round the round's fresh topic holds exactly the events answered 202
 * (the sum of its partitions' end offsets), after each Redis round the stream does (XINFO STREAM
 * entries-added), nothing was answered otherwise, and in the latency part every client got every
 * event of the window exactly once.
 *
 * Without java or (jars not fetched yet) mvn, P6 is reported as skipped with the reason.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { KAFKA_VERSION, KafkaBroker, kafkaCacheDir } from '../../test/harness/kafka';
import { Inspector } from '../lib/inspector';
import type {
  IngestLoadConfig,
  IngestLoadResult,
  IngestProgress,
  LatencyClientsConfig,
} from '../lib/ingest-ipc';
import { isLoadMessage } from '../lib/ipc';
import {
  latencyClients,
  latencyFigures,
  latencySender,
  stopLoads,
  type LatencyFigures,
  type LatencySettings,
} from '../lib/latency-round';
import { measureLatencyWindow } from '../lib/latency-window';
import { ManagedProcess } from '../lib/processes';
import {
  fmt,
  median,
  pct,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
} from '../lib/scenario';
import {
  aurenIngestSettings,
  aurenSettings,
  startAuren,
  startAurenIngest,
  type IngestUnderTest,
  type ServerUnderTest,
} from '../lib/servers';

type Backend = 'kafka' | 'redis';
type Shape = 'single' | 'batch';
const LABEL: Record<Backend, string> = { kafka: 'Kafka', redis: 'Redis' };
const GOAL = 0.5;
const PARTITIONS = 3;
/** The broker's JVM: the full JIT (the harness's default is C1 only) and room for the load. */
const BROKER = { heap: '1g', jvmArgs: ['-XX:TieredStopAtLevel=4'] };

interface IngestShape {
  shape: Shape;
  eventsPerRequest: number;
  connections: number;
  warmupSeconds: number;
  seconds: number;
  rounds: number;
}

interface P6Settings {
  single: IngestShape;
  /** 100-event batches; not in quick runs. */
  batch?: IngestShape;
  /** End-to-end latency; not in quick runs (they stay within their 2 minutes). */
  latency?: LatencySettings;
  /** Extra warm-up of the first Kafka round: the broker's JIT starts cold. */
  brokerWarmupSeconds: number;
}

interface IngestRound {
  backend: Backend;
  shape: Shape;
  round: number;
  eventsPerSec: number;
  requestsPerSec: number;
  /** Fractions of one core over the window: server, load, redis, kafka, other. */
  cpu: Record<string, number>;
  /** Ingest CPU time per event, µs. */
  serverUsPerEvent: number;
  /** Ingest + broker (Kafka JVM or redis-server) CPU time per event, µs. */
  pathUsPerEvent: number;
  latencyMs: IngestLoadResult['latencyMs'];
  errors: number;
  errorSamples: string[];
  /** Whether the topic or stream holds exactly the events answered 202. */
  stored: number;
  acceptedEvents: number;
  storeChecked: boolean;
  profile?: string;
}

interface LatencyRound extends LatencyFigures {
  backend: Backend;
  round: number;
}

/** What the Kafka rounds share: the broker and an admin client of it. */
interface KafkaSide {
  broker: KafkaBroker;
  admin: Admin;
}

function settingsFor(quick: boolean): P6Settings {
  return {
    single: {
      shape: 'single',
      eventsPerRequest: 1,
      connections: 64,
      warmupSeconds: quick ? 1.5 : 2,
      seconds: quick ? 2.5 : 6,
      rounds: quick ? 1 : 3,
    },
    batch: quick
      ? undefined
      : {
          shape: 'batch',
          eventsPerRequest: 100,
          connections: 8,
          warmupSeconds: 2,
          seconds: 5,
          rounds: 1,
        },
    latency: quick
      ? undefined
      : { rate: 500, clients: 20, warmupSeconds: 3, seconds: 6, rounds: 1 },
    brokerWarmupSeconds: quick ? 0.5 : 2,
  };
}

/** Why no Kafka broker can be started here, or undefined when one can. */
function kafkaMissing(): string | undefined {
  const has = (binary: string) => {
    try {
      execFileSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  const javaGiven =
    process.env.AUREN_KAFKA_JAVA ??
    (process.env.JAVA_HOME && existsSync(join(process.env.JAVA_HOME, 'bin', 'java'))
      ? process.env.JAVA_HOME
      : undefined);
  if (!javaGiven && !has('java'))
    return 'java (17 or newer) is not installed: install it (Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless maven) or set AUREN_KAFKA_JAVA';
  const version = process.env.AUREN_KAFKA_VERSION ?? KAFKA_VERSION;
  const jars =
    process.env.AUREN_KAFKA_LIBS ??
    (existsSync(join(kafkaCacheDir(version), `kafka_2.13-${version}.jar`))
      ? kafkaCacheDir(version)
      : undefined);
  if (!jars && !has('mvn'))
    return `the Kafka ${version} jars are not in ${kafkaCacheDir(version)} and mvn, which fetches them, is not installed: install Maven (sudo apt-get install maven) or set AUREN_KAFKA_LIBS to a Kafka distribution's libs/`;
  return undefined;
}

/** Every record the topic ever received: the sum of its partitions' end offsets. */
async function topicRecords(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

/** XINFO STREAM's entries-added: every entry ever appended, trimming or not. */
async function entriesAdded(redis: Redis, key: string): Promise<number> {
  const info = (await redis.call('XINFO', 'STREAM', key)) as Array<string | number>;
  const at = info.indexOf('entries-added');
  if (at < 0) return Number(await redis.xlen(key));
  return Number(info[at + 1]);
}

/** Where one round's events go: a fresh topic or stream key, and the settings that name it. */
function destination(backend: Backend, name: string, kafka: KafkaSide) {
  const stamp = `${name}.${Date.now()}.${randomBytes(3).toString('hex')}`;
  const topic = `bench.p6.${stamp}`;
  const streamKey = `bench:p6:${stamp}`;
  const env: Record<string, string | undefined> =
    backend === 'kafka'
      ? {
          AUREN_STREAM_BACKEND: 'kafka',
          KAFKA_BROKERS: kafka.broker.bootstrapServers,
          AUREN_KAFKA_TOPIC: topic,
          AUREN_KAFKA_PARTITIONS: String(PARTITIONS),
          // Nothing of the Kafka path may lean on Redis.
          REDIS_URL: undefined,
        }
      : { AUREN_STREAM_BACKEND: 'redis' };
  return { topic, streamKey, env };
}

/** Throws away what a round stored: the topic, or the stream (and dedupe keys). */
async function cleanUp(
  backend: Backend,
  where: { topic: string; streamKey: string },
  kafka: KafkaSide,
  context: ScenarioContext,
): Promise<void> {
  if (backend === 'kafka') {
    await kafka.admin.deleteTopics({ topics: [where.topic], timeout: 10_000 }).catch(() => {});
    return;
  }
  const redis = new Redis(context.redisUrl, { maxRetriesPerRequest: 1 });
  await (context.redisPid ? redis.flushdb('ASYNC') : redis.unlink(where.streamKey)).catch(() => 0);
  redis.disconnect();
}

function watched(context: ScenarioContext, kafka: KafkaSide): Record<string, number> {
  return {
    ...(context.redisPid ? { redis: context.redisPid } : {}),
    ...(kafka.broker.pid ? { kafka: kafka.broker.pid } : {}),
  };
}

async function measureIngest(
  backend: Backend,
  shape: IngestShape,
  round: number,
  extraWarmupSeconds: number,
  context: ScenarioContext,
  kafka: KafkaSide,
): Promise<IngestRound> {
  const where = destination(backend, `${shape.shape}.${backend}.r${round}`, kafka);
  const server: IngestUnderTest = await startAurenIngest({
    redisUrl: context.redisUrl,
    streamKey: where.streamKey,
    jwtSecret: context.jwtSecret,
    apiKey: `bench-${randomBytes(16).toString('hex')}`,
    inspect: context.profile,
    env: where.env,
    label: `AUREN ingest (${LABEL[backend]})`,
  });
  const name = `P6 ${LABEL[backend]} ${shape.shape === 'batch' ? 'batches' : 'POSTs'} round ${round}`;
  let load: ManagedProcess | undefined;
  try {
    const warmupSeconds = shape.warmupSeconds + extraWarmupSeconds;
    const config: IngestLoadConfig = {
      url: server.url,
      authorization: server.authorization,
      path: shape.shape === 'batch' ? '/v1/events/batch' : '/v1/events',
      eventsPerRequest: shape.eventsPerRequest,
      batch: shape.shape === 'batch',
      connections: shape.connections,
      warmupMs: warmupSeconds * 1000,
      measureMs: shape.seconds * 1000,
      seed: 6000 + round,
      watchPids: { server: server.process.pid, ...watched(context, kafka) },
    };
    load = ManagedProcess.tsx('P6 load generator', 'bench/load/ingest-load.ts', {
      ipc: true,
      env: { BENCH_LOAD_CONFIG: JSON.stringify(config) },
    });
    await load.message(isLoadMessage('connected'), 30_000);
    const inspector =
      context.profile && server.inspectorPort
        ? await Inspector.connect(server.inspectorPort)
        : undefined;
    let last: IngestProgress | undefined;
    load.onMessage((message) => {
      const m = message as IngestProgress;
      if (m?.type !== 'progress') return;
      const rate = last ? (m.events - last.events) / (m.t - last.t) : m.events / m.t;
      last = m;
      context.log(
        `${name}: t=${Math.round(m.t)} s  ${fmt(rate)} events/s${m.errors ? `  ${fmt(m.errors)} errors` : ''}`,
      );
    });
    const resultPromise = load.message(
      (message) => {
        const m = message as { type?: string; message?: string };
        if (m?.type === 'error') throw new Error(m.message);
        return m?.type === 'ingest-result' ? (m as IngestLoadResult) : undefined;
      },
      (warmupSeconds + shape.seconds) * 1000 + 60_000,
    );
    load.send({ cmd: 'start' });
    let profileTimer: NodeJS.Timeout | undefined;
    if (inspector)
      profileTimer = setTimeout(() => void inspector.startProfile(), warmupSeconds * 1000);
    const result = await resultPromise;
    let profile: string | undefined;
    if (inspector) {
      clearTimeout(profileTimer);
      const data = await inspector.stopProfile();
      profile = join(context.artefactDir, `p6-${backend}-${shape.shape}-round${round}.cpuprofile`);
      writeFileSync(profile, JSON.stringify(data));
      inspector.close();
    }
    let stored: number;
    if (backend === 'kafka') stored = await topicRecords(kafka.admin, where.topic);
    else {
      const redis = new Redis(context.redisUrl, { maxRetriesPerRequest: 1 });
      stored = await entriesAdded(redis, where.streamKey).finally(() => redis.disconnect());
    }
    const cpu: Record<string, number> = {};
    for (const [key, seconds] of Object.entries(result.cpu)) cpu[key] = seconds / result.seconds;
    const events = Math.max(1, result.events);
    const storeCpu = backend === 'kafka' ? result.cpu.kafka : result.cpu.redis;
    return {
      backend,
      shape: shape.shape,
      round,
      eventsPerSec: result.events / result.seconds,
      requestsPerSec: result.requests / result.seconds,
      cpu,
      serverUsPerEvent: (result.cpu.server * 1e6) / events,
      pathUsPerEvent: ((result.cpu.server + (storeCpu ?? 0)) * 1e6) / events,
      latencyMs: result.latencyMs,
      errors: result.errors,
      errorSamples: result.errorSamples,
      stored,
      acceptedEvents: result.acceptedEvents,
      storeChecked: stored === result.acceptedEvents,
      profile,
    };
  } finally {
    await load?.exitOrStop(3000);
    await server.stop();
    await cleanUp(backend, where, kafka, context);
  }
}

async function measureLatency(
  backend: Backend,
  round: number,
  settings: LatencySettings,
  context: ScenarioContext,
  kafka: KafkaSide,
): Promise<LatencyRound> {
  const where = destination(backend, `latency.${backend}.r${round}`, kafka);
  const options = {
    redisUrl: context.redisUrl,
    streamKey: where.streamKey,
    jwtSecret: context.jwtSecret,
    apiKey: `bench-${randomBytes(16).toString('hex')}`,
    env: where.env,
  };
  const started: Array<{ stop(): Promise<void> }> = [];
  const loads: ManagedProcess[] = [];
  try {
    // The gateway first: in Kafka mode it creates the topic and delivers from its end offsets.
    const gateway: ServerUnderTest = await startAuren({
      ...options,
      label: `AUREN gateway (${LABEL[backend]})`,
    });
    started.push(gateway);
    const ingest: IngestUnderTest = await startAurenIngest({
      ...options,
      label: `AUREN ingest (${LABEL[backend]})`,
    });
    started.push(ingest);

    const clientsConfig: LatencyClientsConfig = {
      url: gateway.url,
      clients: settings.clients,
      jwtSecret: context.jwtSecret,
    };
    const clients = latencyClients('P6', clientsConfig);
    loads.push(clients);
    const sender = latencySender('P6', ingest, settings, 6500 + round);
    loads.push(sender);
    await Promise.all([
      clients.message(isLoadMessage('connected'), 60_000),
      sender.message(isLoadMessage('connected'), 30_000),
    ]);
    context.log(
      `P6 ${LABEL[backend]} latency round ${round}: ${settings.clients} clients connected; sending ${settings.rate} events/s for ${settings.warmupSeconds + settings.seconds} s`,
    );

    const pids: Record<string, number> = {
      ingest: ingest.process.pid,
      gateway: gateway.process.pid,
      sender: sender.pid,
      clients: clients.pid,
      ...watched(context, kafka),
    };
    const window = await measureLatencyWindow(
      sender,
      clients,
      pids,
      settings.warmupSeconds + settings.seconds,
    );
    return { backend, round, ...latencyFigures(window) };
  } finally {
    await stopLoads(loads);
    for (const server of started.reverse()) await server.stop();
    await cleanUp(backend, where, kafka, context);
  }
}

function skipped(reason: string, settings: P6Settings): ScenarioResult {
  return {
    id: 'P6',
    title: p6Kafka.title,
    auren: { value: Number.NaN, text: 'skipped' },
    baseline: { value: Number.NaN, text: 'skipped', label: 'AUREN ingest, Redis backend' },
    ratio: Number.NaN,
    goal: `≥ ${GOAL * 100} %`,
    met: null,
    settings: { ...settings },
    details: { skipped: reason },
    notes: [`P6: skipped — ${reason}.`],
  };
}

/** Median Kafka ÷ Redis of the rounds measured in pairs. */
function pairRatios(runs: IngestRound[], shape: Shape): number[] {
  const ratios: number[] = [];
  for (const k of runs.filter((r) => r.shape === shape && r.backend === 'kafka')) {
    const r = runs.find((x) => x.shape === shape && x.backend === 'redis' && x.round === k.round);
    if (r) ratios.push(k.eventsPerSec / r.eventsPerSec);
  }
  return ratios;
}

export const p6Kafka: Scenario = {
  id: 'P6',
  title: 'Kafka path against the Redis path',
  description:
    "AUREN ingest with AUREN_STREAM_BACKEND=kafka (a real single-node Kafka the bench starts, topic of 3 partitions, acks=-1) against the same ingest on the bench's Redis, in the same run: single-event POSTs/s (the headline; P1's load) and, in full runs, 100-event batches (P2's) and POST → socket.io-client latency at 500 events/s, 20 clients, ingest + gateway in each mode. Goal: Kafka ≥ 50 % of the Redis path's single-event throughput.",
  async run(context): Promise<ScenarioResult> {
    const settings = settingsFor(context.quick);
    const missing = kafkaMissing();
    if (missing) {
      context.log(`P6 skipped: ${missing}`);
      return skipped(missing, settings);
    }
    context.log('P6: starting a Kafka broker (full JIT, 1 GiB heap)');
    const broker = await KafkaBroker.start(BROKER);
    context.log(
      `P6: Kafka ${broker.version} at ${broker.bootstrapServers} (pid ${broker.pid}), up in ${fmt(broker.lastStartMs / 1000, 1)} s`,
    );
    const admin = new Kafka({
      clientId: 'auren-bench',
      brokers: broker.brokers,
      logLevel: logLevel.NOTHING,
    }).admin();
    const kafka: KafkaSide = { broker, admin };
    try {
      await admin.connect();
      const runs: IngestRound[] = [];
      let brokerWarm = false;
      const shapes = [settings.single, ...(settings.batch ? [settings.batch] : [])];
      for (const shape of shapes) {
        for (let round = 1; round <= shape.rounds; round += 1) {
          for (const backend of ['kafka', 'redis'] as const) {
            const extra = backend === 'kafka' && !brokerWarm ? settings.brokerWarmupSeconds : 0;
            if (backend === 'kafka') brokerWarm = true;
            const r = await measureIngest(backend, shape, round, extra, context, kafka);
            runs.push(r);
            context.log(
              `P6 ${LABEL[backend]} ${shape.shape} round ${round}: ${fmt(r.eventsPerSec)} events/s (${fmt(r.requestsPerSec)} requests/s), ingest CPU ${pct(r.cpu.server)}, ${fmt(r.serverUsPerEvent, 1)} µs per event; kafka ${pct(r.cpu.kafka ?? 0)}, redis ${pct(r.cpu.redis ?? 0)}, load ${pct(r.cpu.load)}, rest ${pct(r.cpu.other)}; p99 ${fmt(r.latencyMs.p99, 1)} ms${r.errors === 0 && r.storeChecked ? '' : ' — CHECK FAILED'}`,
            );
          }
        }
      }
      const latency: LatencyRound[] = [];
      const rounds = settings.latency?.rounds ?? 0;
      for (let round = 1; settings.latency && round <= rounds; round += 1) {
        for (const backend of ['kafka', 'redis'] as const) {
          const r = await measureLatency(backend, round, settings.latency, context, kafka);
          latency.push(r);
          context.log(
            `P6 ${LABEL[backend]} latency round ${round}: p50 ${fmt(r.latencyMs.p50, 2)} ms, p99 ${fmt(r.latencyMs.p99, 2)} ms, max ${fmt(r.latencyMs.max, 1)} ms over ${fmt(r.samples)} deliveries; POST p50 ${fmt(r.sender.postMs.p50, 2)} / p99 ${fmt(r.sender.postMs.p99, 2)} ms; CPU ingest ${pct(r.cpu.ingest)}, gateway ${pct(r.cpu.gateway)}, kafka ${pct(r.cpu.kafka ?? 0)}, redis ${pct(r.cpu.redis ?? 0)}, rest ${pct(r.cpu.other)}${r.checked ? '' : ' — CHECK FAILED'}`,
          );
        }
      }
      return report(settings, runs, latency, broker, context);
    } finally {
      await admin.disconnect().catch(() => undefined);
      await broker.dispose();
    }
  },
};

function report(
  settings: P6Settings,
  runs: IngestRound[],
  latency: LatencyRound[],
  broker: KafkaBroker,
  context: ScenarioContext,
): ScenarioResult {
  const of = (backend: Backend, shape: Shape) =>
    runs.filter((r) => r.backend === backend && r.shape === shape);
  const med = (backend: Backend, shape: Shape, pick: (r: IngestRound) => number) =>
    median(of(backend, shape).map(pick));
  const singleRatios = pairRatios(runs, 'single');
  const batchRatios = pairRatios(runs, 'batch');
  const ratio = median(singleRatios);
  const figure = (backend: Backend) => ({
    rate: med(backend, 'single', (r) => r.eventsPerSec),
    us: med(backend, 'single', (r) => r.serverUsPerEvent),
    path: med(backend, 'single', (r) => r.pathUsPerEvent),
  });
  const kafka = figure('kafka');
  const redis = figure('redis');
  const lat = (backend: Backend) => {
    const mine = latency.filter((r) => r.backend === backend);
    return {
      p50: median(mine.map((r) => r.latencyMs.p50)),
      p99: median(mine.map((r) => r.latencyMs.p99)),
      max: Math.max(...mine.map((r) => r.latencyMs.max)),
      post50: median(mine.map((r) => r.sender.postMs.p50)),
      post99: median(mine.map((r) => r.sender.postMs.p99)),
      ingest: median(mine.map((r) => r.cpu.ingest)),
      gateway: median(mine.map((r) => r.cpu.gateway)),
      store: median(mine.map((r) => (backend === 'kafka' ? r.cpu.kafka : r.cpu.redis) ?? 0)),
    };
  };
  const lk = lat('kafka');
  const lr = lat('redis');
  const notes: string[] = [
    `P6: single-event POSTs (the headline ratio, median of per-round ratios ${singleRatios.map((r) => pct(r)).join(', ')}) — ingest CPU per event Kafka ${fmt(kafka.us, 1)} µs, Redis ${fmt(redis.us, 1)} µs; ingest + broker (Kafka JVM / redis-server) ${fmt(kafka.path, 1)} vs ${fmt(redis.path, 1)} µs. Kafka broker at ${pct(med('kafka', 'single', (r) => r.cpu.kafka ?? 0))} of a core, redis-server at ${pct(med('redis', 'single', (r) => r.cpu.redis ?? 0))}; ingest ${pct(med('kafka', 'single', (r) => r.cpu.server))} / ${pct(med('redis', 'single', (r) => r.cpu.server))}; request p50 ${fmt(
      med('kafka', 'single', (r) => r.latencyMs.p50),
      2,
    )} / ${fmt(
      med('redis', 'single', (r) => r.latencyMs.p50),
      2,
    )} ms, p99 ${fmt(
      med('kafka', 'single', (r) => r.latencyMs.p99),
      2,
    )} / ${fmt(
      med('redis', 'single', (r) => r.latencyMs.p99),
      2,
    )} ms (Kafka / Redis, ${settings.single.connections} connections).`,
  ];
  if (settings.batch)
    notes.push(
      `P6: 100-event batches — Kafka ${fmt(med('kafka', 'batch', (r) => r.eventsPerSec))} events/s (${fmt(
        med('kafka', 'batch', (r) => r.serverUsPerEvent),
        1,
      )} µs ingest CPU per event, broker ${pct(med('kafka', 'batch', (r) => r.cpu.kafka ?? 0))} of a core), Redis ${fmt(med('redis', 'batch', (r) => r.eventsPerSec))} events/s (${fmt(
        med('redis', 'batch', (r) => r.serverUsPerEvent),
        1,
      )} µs, redis-server ${pct(med('redis', 'batch', (r) => r.cpu.redis ?? 0))}): ${pct(median(batchRatios))}.`,
    );
  else notes.push('P6: 100-event batches are measured in full runs only.');
  if (settings.latency)
    notes.push(
      `P6: end-to-end latency at ${settings.latency.rate} events/s, ${settings.latency.clients} clients (POST start → socket.io-client) — Kafka p50 ${fmt(lk.p50, 2)} ms, p99 ${fmt(lk.p99, 2)} ms, max ${fmt(lk.max, 1)} ms; Redis p50 ${fmt(lr.p50, 2)} ms, p99 ${fmt(lr.p99, 2)} ms, max ${fmt(lr.max, 1)} ms. POST round trip Kafka ${fmt(lk.post50, 2)} / ${fmt(lk.post99, 2)} ms, Redis ${fmt(lr.post50, 2)} / ${fmt(lr.post99, 2)} ms (p50 / p99). CPU at this rate — Kafka path: ingest ${pct(lk.ingest)}, gateway ${pct(lk.gateway)}, broker ${pct(lk.store)}; Redis path: ingest ${pct(lr.ingest)}, gateway ${pct(lr.gateway)}, redis-server ${pct(lr.store)}.`,
    );
  else notes.push('P6: end-to-end latency is measured in full runs only.');
  for (const r of runs) {
    const name = `P6 ${LABEL[r.backend]} ${r.shape} round ${r.round}`;
    if (r.errors > 0)
      notes.push(
        `${name}: CHECK FAILED — ${fmt(r.errors)} requests not answered 202, e.g. ${r.errorSamples[0]}`,
      );
    if (!r.storeChecked)
      notes.push(
        `${name}: CHECK FAILED — ${fmt(r.acceptedEvents)} events answered 202, the ${r.backend === 'kafka' ? 'topic' : 'stream'} got ${fmt(r.stored)}.`,
      );
    if (r.cpu.other > 0.15)
      notes.push(
        `${name}: the rest of the machine kept ${pct(r.cpu.other)} of a core busy during the measurement — a disturbed run.`,
      );
  }
  for (const r of latency) {
    if (!r.checked)
      notes.push(
        `P6 ${LABEL[r.backend]} latency round ${r.round}: CHECK FAILED — ${r.sender.errors} POSTs not answered 202 (${r.sender.errorSamples[0] ?? ''}), ${r.clients.missing} deliveries missing over ${r.clients.clientsMissing} clients, ${r.clients.duplicates} duplicates.`,
      );
    if (r.cpu.other > 0.15)
      notes.push(
        `P6 ${LABEL[r.backend]} latency round ${r.round}: the rest of the machine kept ${pct(r.cpu.other)} of a core busy during the round — tail latency suffers first.`,
      );
  }
  const checked =
    runs.every((r) => r.errors === 0 && r.storeChecked) && latency.every((r) => r.checked);
  const ingestEnv = aurenIngestSettings();
  delete ingestEnv.REDIS_URL;
  delete ingestEnv.AUREN_STREAM_KEY;
  return {
    id: 'P6',
    title: p6Kafka.title,
    auren: {
      value: kafka.rate,
      text: `${fmt(kafka.rate)} POSTs/s (${fmt(kafka.us, 1)} µs ingest CPU per event)`,
    },
    baseline: {
      value: redis.rate,
      text: `${fmt(redis.rate)} POSTs/s (${fmt(redis.us, 1)} µs)`,
      label: 'AUREN ingest, Redis backend',
    },
    ratio,
    goal: `≥ ${GOAL * 100} %`,
    met: checked ? ratio >= GOAL : false,
    settings: {
      ingest: {
        ...ingestEnv,
        kafka: `AUREN_STREAM_BACKEND=kafka, KAFKA_BROKERS=<the bench's broker>, AUREN_KAFKA_TOPIC=bench.p6.<round> (fresh per round), AUREN_KAFKA_PARTITIONS=${PARTITIONS}, no REDIS_URL`,
        redis:
          'AUREN_STREAM_BACKEND=redis, REDIS_URL=<the bench redis>, a fresh stream key per round',
      },
      gateway: aurenSettings(),
      ...settings,
      broker: {
        kafka: broker.version,
        mode: 'single node, KRaft (broker and controller in one JVM), test/harness/kafka.ts',
        jvm: `-Xmx${BROKER.heap} -XX:+UseSerialGC ${BROKER.jvmArgs.join(' ')}`,
        threads: 'num.network.threads=1, num.io.threads=2 (the harness defaults for 2 cores)',
        topic: `${PARTITIONS} partitions, replication factor 1, max.message.bytes 2 MiB (created by the ingest or gateway)`,
        producer:
          'kafkajs idempotent producer, acks=-1, group commit: appends that arrive while a produce request is in flight go out together as the next one (libs/streaming/src/kafka/kafka-sink.ts)',
      },
      loadGenerator:
        'bench/load/ingest-load.ts (P1/P2), bench/load/latency-sender.ts + latency-clients.ts (P4)',
      redis: context.redisPid
        ? 'redis-server started by the bench, FLUSHDB after each Redis round'
        : 'external',
    },
    details: {
      ingestRounds: runs,
      latencyRounds: latency,
      singleRatios,
      batchRatios,
      brokerStartMs: broker.lastStartMs,
    },
    notes,
  };
}
