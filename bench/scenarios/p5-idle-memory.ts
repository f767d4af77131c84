/**
 * P5 — memory per idle connection: 2,000 idle socket.io-clients (websocket transport, the mixed
 * filters of the workload) connected to the AUREN gateway, against a bare Socket.IO server.
 *
 * Measured from outside the server: VmRSS from /proc/<pid>/status, and the JS heap through the
 * V8 inspector (the server runs with `--inspect` on a free local port), which also forces a full
 * garbage collection before each reading — without it, the heap figure mostly says how much
 * garbage the handshakes left and when V8 last collected. Each reading is the median of five
 * (collect, wait 200 ms, read). AUREN's own `/metrics` heap gauge is read beside it as a check.
 *
 * Before the baseline reading each server takes 50 connections and lets them go, so that lazy
 * module loading and JIT code for the connection path are not charged to the 2,000.
 */
import { Inspector } from '../lib/inspector';
import { isLoadMessage, type LoadConfig, type ServerKind } from '../lib/ipc';
import { ManagedProcess, rssBytes, socketsFit } from '../lib/processes';
import {
  fmt,
  median,
  sleep,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
} from '../lib/scenario';
import { aurenSettings, startAuren, startBare, type ServerUnderTest } from '../lib/servers';
import { waitFor } from '../../test/harness/wait';

const CLIENTS = 2000;
const GOAL_BYTES = 15 * 1024;
const WARMUP_CLIENTS = 50;
const SEED = 42;

interface Reading {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** AUREN's /metrics `auren_nodejs_heap_size_used_bytes` right after the collection. */
  metricsHeap?: number;
}

interface IdleFigures {
  server: ServerKind;
  before: Reading;
  after: Reading;
  rssPerConnection: number;
  heapPerConnection: number;
  externalPerConnection: number;
  connectMs: number;
  settleMs: number;
}

async function metricsHeap(server: ServerUnderTest): Promise<number | undefined> {
  if (server.kind !== 'auren') return undefined;
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const match = /^auren_nodejs_heap_size_used_bytes ([0-9.e+]+)$/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** Median of five (full GC, 200 ms, read RSS and memoryUsage). */
async function reading(server: ServerUnderTest, inspector: Inspector): Promise<Reading> {
  const readings: Reading[] = [];
  for (let i = 0; i < 5; i += 1) {
    await inspector.collectGarbage();
    await sleep(200);
    const usage = await inspector.memoryUsage();
    readings.push({
      rss: rssBytes(server.process.pid),
      heapUsed: usage.heapUsed,
      external: usage.external,
      arrayBuffers: usage.arrayBuffers,
      metricsHeap: await metricsHeap(server),
    });
  }
  const pick = (key: keyof Reading) => {
    const values = readings.map((r) => r[key]).filter((v): v is number => v !== undefined);
    return values.length ? median(values) : undefined;
  };
  return {
    rss: pick('rss') ?? 0,
    heapUsed: pick('heapUsed') ?? 0,
    external: pick('external') ?? 0,
    arrayBuffers: pick('arrayBuffers') ?? 0,
    metricsHeap: pick('metricsHeap'),
  };
}

function clientsProcess(url: string, kind: ServerKind, count: number, jwtSecret: string) {
  const config: LoadConfig = {
    url,
    server: kind,
    first: 0,
    count,
    population: count,
    seed: SEED,
    jwtSecret,
    connectConcurrency: 50,
  };
  return ManagedProcess.tsx('P5 idle clients', 'bench/load/idle-clients.ts', {
    ipc: true,
    env: { BENCH_LOAD_CONFIG: JSON.stringify(config) },
  });
}

async function measure(
  kind: ServerKind,
  round: number,
  context: ScenarioContext,
): Promise<IdleFigures> {
  const options = {
    redisUrl: context.redisUrl,
    streamKey: `bench:p5:${kind}:${Date.now()}`,
    jwtSecret: context.jwtSecret,
    inspect: true,
  };
  const server =
    kind === 'auren' ? await startAuren(options) : await startBare(options, 'broadcast');
  const label = kind === 'auren' ? 'AUREN' : 'bare';
  const inspector = await Inspector.connect(server.inspectorPort as number);
  try {
    const warm = clientsProcess(server.url, kind, WARMUP_CLIENTS, context.jwtSecret);
    await warm.message(isLoadMessage('connected'), 60_000);
    await warm.exitOrStop(5000);
    await waitFor(async () => (await server.connections()) === 0, {
      timeoutMs: 10_000,
      what: 'the warm-up connections to close',
    });
    const before = await reading(server, inspector);
    context.log(
      `P5 ${label} round ${round}: idle server RSS ${fmt(before.rss / 1048576, 1)} MiB, heap ${fmt(before.heapUsed / 1048576, 1)} MiB; connecting ${fmt(CLIENTS)} clients`,
    );

    const load = clientsProcess(server.url, kind, CLIENTS, context.jwtSecret);
    try {
      const connected = await load.message(isLoadMessage('connected'), 120_000);
      const settleStart = Date.now();
      await waitFor(async () => (await server.connections()) === CLIENTS, {
        timeoutMs: 30_000,
        what: `${CLIENTS} connections on the server`,
      });
      // Settled: three RSS readings 500 ms apart within 1 % of each other (15 s at most).
      const rss: number[] = [];
      while (Date.now() - settleStart < 15_000) {
        rss.push(rssBytes(server.process.pid));
        const last = rss.slice(-3);
        if (last.length === 3 && Math.max(...last) - Math.min(...last) < 0.01 * Math.max(...last))
          break;
        await sleep(500);
      }
      const settleMs = Date.now() - settleStart;
      const after = await reading(server, inspector);
      const figures: IdleFigures = {
        server: kind,
        before,
        after,
        rssPerConnection: (after.rss - before.rss) / CLIENTS,
        heapPerConnection: (after.heapUsed - before.heapUsed) / CLIENTS,
        externalPerConnection: (after.external - before.external) / CLIENTS,
        connectMs: connected.ms,
        settleMs,
      };
      context.log(
        `P5 ${label} round ${round}: ${fmt(CLIENTS)} connected in ${fmt(connected.ms)} ms, settled in ${fmt(settleMs)} ms; per connection RSS ${fmt(figures.rssPerConnection / 1024, 2)} KB, heap ${fmt(figures.heapPerConnection / 1024, 2)} KB`,
      );
      return figures;
    } finally {
      await load.exitOrStop(5000);
    }
  } finally {
    inspector.close();
    await server.stop();
  }
}

export const p5IdleMemory: Scenario = {
  id: 'P5',
  title: 'Memory per idle connection (2,000 clients)',
  description:
    'RSS (and JS heap) growth of the server per idle websocket connection, 2,000 socket.io-clients, read from outside after forced full GCs; baseline: a bare Socket.IO server. Goal ≤ 15 KB per connection.',
  async run(context) {
    if (!socketsFit(CLIENTS))
      throw new Error(
        `P5 needs ${CLIENTS} sockets per process; raise the open-files limit (ulimit -n ${CLIENTS + 500} or more)`,
      );
    const rounds = context.quick ? 1 : 3;
    const runs: IdleFigures[] = [];
    for (let round = 1; round <= rounds; round += 1) {
      for (const kind of ['auren', 'bare-broadcast'] as const)
        runs.push(await measure(kind, round, context));
    }
    const of = (kind: ServerKind, key: 'rssPerConnection' | 'heapPerConnection') =>
      median(runs.filter((r) => r.server === kind).map((r) => r[key]));
    const aurenRss = of('auren', 'rssPerConnection');
    const aurenHeap = of('auren', 'heapPerConnection');
    const bareRss = of('bare-broadcast', 'rssPerConnection');
    const bareHeap = of('bare-broadcast', 'heapPerConnection');
    const kb = (bytes: number) => `${fmt(bytes / 1024, 1)} KB`;
    const notes = [
      `P5: per idle connection — AUREN RSS ${kb(aurenRss)}, heap ${kb(aurenHeap)}; bare Socket.IO RSS ${kb(bareRss)}, heap ${kb(bareHeap)}; AUREN's own share (RSS) ${kb(aurenRss - bareRss)}. The goal is judged on RSS, the larger figure and what the OS charges; on the heap alone it is ${aurenHeap <= GOAL_BYTES ? 'met' : 'not met'}.`,
    ];
    for (const run of runs.filter((r) => r.server === 'auren' && r.after.metricsHeap)) {
      const gap = Math.abs((run.after.metricsHeap ?? 0) - run.after.heapUsed) / run.after.heapUsed;
      if (gap > 0.05)
        notes.push(
          `P5: /metrics heap (${kb(run.after.metricsHeap ?? 0)}) and the inspector's heapUsed (${kb(run.after.heapUsed)}) differ by ${fmt(gap * 100, 1)} %.`,
        );
    }
    const result: ScenarioResult = {
      id: 'P5',
      title: p5IdleMemory.title,
      auren: { value: aurenRss, text: `${kb(aurenRss)} RSS (${kb(aurenHeap)} heap)` },
      baseline: {
        value: bareRss,
        text: `${kb(bareRss)} RSS (${kb(bareHeap)} heap)`,
        label: 'bare Socket.IO',
      },
      ratio: aurenRss / bareRss,
      goal: '≤ 15 KB',
      met: aurenRss <= GOAL_BYTES,
      settings: {
        gateway: aurenSettings(),
        clients: CLIENTS,
        clientsPerProcess: CLIENTS,
        transport: 'websocket',
        rounds,
        warmupConnections: WARMUP_CLIENTS,
        readings:
          'median of 5 × (inspector HeapProfiler.collectGarbage, 200 ms, VmRSS + process.memoryUsage())',
        settle: `server counts ${CLIENTS} connections, then 3 RSS readings 500 ms apart within 1 %`,
      },
      details: { runs },
      notes,
    };
    return result;
  },
};
