/**
 * P3 — fan-out: stream_event deliveries per second to 1,000 socket.io-clients with mixed agent
 * filters, against a bare Socket.IO server broadcasting the same events to the same clients.
 *
 * Both servers read the same kind of Redis stream, fed by the same closed-loop publisher in the
 * load process (see bench/load/fanout-load.ts), and the same clients count what they receive:
 * the only thing that differs is the server. The AUREN gateway runs alone (not all-in-one) so
 * that its process does nothing but read, route and emit — no HTTP ingest or validation shares
 * its core.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inspector } from '../lib/inspector';
import {
  isLoadMessage,
  type DrainedMessage,
  type FanoutConfig,
  type SampleMessage,
  type ServerKind,
} from '../lib/ipc';
import { ManagedProcess } from '../lib/processes';
import {
  fmt,
  median,
  pct,
  sleep,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
} from '../lib/scenario';
import { aurenSettings, startAuren, startBare, type ServerUnderTest } from '../lib/servers';
import { CELLS, clientSpecs, recipientsPerCell } from '../lib/workload';

const CLIENTS = 1000;
const SEED = 42;

interface Settings {
  clients: number;
  warmupSeconds: number;
  seconds: number;
  rounds: number;
  windowPerClient: number;
  sampleMs: number;
  servers: ServerKind[];
}

function settingsFor(quick: boolean): Settings {
  return {
    clients: CLIENTS,
    warmupSeconds: quick ? 2 : 5,
    seconds: quick ? 5 : 30,
    rounds: quick ? 1 : 3,
    windowPerClient: 32,
    sampleMs: 500,
    servers: ['auren', 'bare-broadcast', 'bare-rooms'],
  };
}

/** The figures of one server in one round. */
interface RunFigures {
  server: ServerKind;
  round: number;
  deliveriesPerSec: number;
  eventsPerSec: number;
  /** Fractions of one core over the measurement window. */
  cpu: Record<string, number>;
  /** Server CPU time per delivery, µs. */
  serverUsPerDelivery: number;
  avgFrameBytes: number;
  /** Lowest and highest one-sample rate in the window (stability). */
  minRate: number;
  maxRate: number;
  connectMs: number;
  drained: DrainedMessage;
  /** What the server itself counted (AUREN's deliveries counter), over the whole run. */
  serverCountedDeliveries?: number;
  profile?: string;
  /** Measured again because the rest of the machine was busy; this one was not kept. */
  discarded?: boolean;
}

/** Share of a core other processes may use during a measurement before it is taken again. */
const DISTURBED = 0.25;

const LABEL: Record<ServerKind, string> = {
  auren: 'AUREN',
  'bare-broadcast': 'bare io.emit',
  'bare-rooms': 'bare rooms',
};

async function measure(
  kind: ServerKind,
  round: number,
  settings: Settings,
  context: ScenarioContext,
): Promise<RunFigures> {
  const streamKey = `bench:p3:${kind}:${Date.now()}`;
  const serverOptions = {
    redisUrl: context.redisUrl,
    streamKey,
    jwtSecret: context.jwtSecret,
    inspect: context.profile,
  };
  const server: ServerUnderTest =
    kind === 'auren'
      ? await startAuren(serverOptions)
      : await startBare(serverOptions, kind === 'bare-rooms' ? 'rooms' : 'broadcast');
  let load: ManagedProcess | undefined;
  try {
    const redisPid = context.redisPid;
    const config: FanoutConfig = {
      url: server.url,
      server: kind,
      first: 0,
      count: settings.clients,
      population: settings.clients,
      seed: SEED,
      jwtSecret: context.jwtSecret,
      connectConcurrency: 50,
      redisUrl: context.redisUrl,
      streamKey,
      windowPerClient: settings.windowPerClient,
      watchPids: { server: server.process.pid, ...(redisPid ? { redis: redisPid } : {}) },
      sampleMs: settings.sampleMs,
    };
    load = ManagedProcess.tsx('P3 load generator', 'bench/load/fanout-load.ts', {
      ipc: true,
      env: { BENCH_LOAD_CONFIG: JSON.stringify(config) },
    });
    const connected = await load.message(isLoadMessage('connected'), 120_000);
    const open = await server.connections();
    if (open !== settings.clients)
      throw new Error(`${server.label} reports ${open} connections, expected ${settings.clients}`);
    context.log(
      `P3 ${LABEL[kind]} round ${round}: ${fmt(connected.clients)} clients connected in ${fmt(connected.ms)} ms; publishing`,
    );

    const samples: SampleMessage[] = [];
    load.onMessage((message) => {
      const sample = isLoadMessage('sample')(message);
      if (sample) samples.push(sample);
    });
    const inspector =
      serverOptions.inspect && server.inspectorPort
        ? await Inspector.connect(server.inspectorPort)
        : undefined;
    load.send({ cmd: 'start' });
    const total = (settings.warmupSeconds + settings.seconds) * 1000;
    const began = Date.now();
    let profiling = false;
    while (Date.now() - began < total + settings.sampleMs) {
      await sleep(2000);
      load.assertRunning();
      server.process.assertRunning();
      if (inspector && !profiling && Date.now() - began >= settings.warmupSeconds * 1000) {
        await inspector.startProfile();
        profiling = true;
      }
      const a = samples[Math.max(0, samples.length - 5)];
      const b = samples[samples.length - 1];
      if (a && b && b.t > a.t) {
        const rate = ((b.received - a.received) * 1000) / (b.t - a.t);
        const cpu = (name: string) => (b.cpu[name] - a.cpu[name]) / ((b.t - a.t) / 1000);
        const other =
          cpu('machine') - cpu('server') - cpu('load') - (b.cpu.redis ? cpu('redis') : 0);
        context.log(
          `P3 ${LABEL[kind]} round ${round}: t=${Math.round((Date.now() - began) / 1000)} s  ${fmt(rate)} deliveries/s  CPU: server ${pct(cpu('server'))}, clients+publisher ${pct(cpu('load'))}, rest of machine ${pct(Math.max(0, other))}`,
        );
      }
    }
    let profile: string | undefined;
    if (inspector) {
      const data = await inspector.stopProfile();
      profile = join(context.artefactDir, `p3-${kind}-round${round}.cpuprofile`);
      writeFileSync(profile, JSON.stringify(data));
      inspector.close();
    }
    load.send({ cmd: 'stop' });
    const drained = await load.message(isLoadMessage('drained'), 30_000);
    const serverCounted = await server.deliveries();

    const t0 = samples[0].t + settings.warmupSeconds * 1000;
    const inWindow = samples.filter((s) => s.t >= t0 && s.t <= t0 + settings.seconds * 1000 + 1);
    const first = inWindow[0];
    const last = inWindow[inWindow.length - 1];
    if (!first || !last || last.t - first.t < settings.seconds * 500)
      throw new Error(`P3 ${LABEL[kind]}: too few samples in the measurement window`);
    const seconds = (last.t - first.t) / 1000;
    const delivered = last.received - first.received;
    const rates: number[] = [];
    for (let i = 1; i < inWindow.length; i += 1) {
      const [p, q] = [inWindow[i - 1], inWindow[i]];
      rates.push(((q.received - p.received) * 1000) / (q.t - p.t));
    }
    const cpu: Record<string, number> = {};
    for (const name of Object.keys(last.cpu))
      cpu[name] = (last.cpu[name] - first.cpu[name]) / seconds;
    // What the rest of the machine (other users, other sessions) kept busy meanwhile.
    cpu.other = Math.max(0, cpu.machine - cpu.server - cpu.load - (cpu.redis ?? 0));
    const recipients = recipientsPerCell(
      clientSpecs(settings.clients, SEED),
      kind === 'bare-broadcast',
    );
    const meanRecipients = recipients.reduce((a, b) => a + b, 0) / CELLS.length;
    return {
      server: kind,
      round,
      deliveriesPerSec: delivered / seconds,
      eventsPerSec: delivered / seconds / meanRecipients,
      cpu,
      serverUsPerDelivery: ((last.cpu.server - first.cpu.server) * 1e6) / delivered,
      avgFrameBytes: (last.chars - first.chars) / Math.max(1, delivered),
      minRate: Math.min(...rates),
      maxRate: Math.max(...rates),
      connectMs: connected.ms,
      drained,
      serverCountedDeliveries: serverCounted,
      profile,
    };
  } finally {
    if (load && !load.exited) {
      load.send({ cmd: 'exit' });
      if (!(await load.waitExit(5000))) await load.stop();
    }
    await server.stop();
  }
}

function summarize(runs: RunFigures[], kind: ServerKind) {
  const mine = runs.filter((r) => r.server === kind);
  return {
    deliveriesPerSec: median(mine.map((r) => r.deliveriesPerSec)),
    serverUsPerDelivery: median(mine.map((r) => r.serverUsPerDelivery)),
    serverCpu: median(mine.map((r) => r.cpu.server)),
    loadCpu: median(mine.map((r) => r.cpu.load)),
  };
}

export const p3Fanout: Scenario = {
  id: 'P3',
  title: 'Fan-out to 1,000 filtered clients',
  description:
    'stream_event deliveries/s counted at 1,000 socket.io-clients (mixed users, agent filters of 0-3 of 10 agents, thresholds), events XADDed to Redis by a closed-loop publisher; baseline: a bare Socket.IO server reading the same stream and broadcasting each event with io.emit to the same clients. Goal ≥ 80 %.',
  async run(context) {
    const settings = settingsFor(context.quick);
    const runs: RunFigures[] = [];
    const discarded: RunFigures[] = [];
    // Full runs: two repeats at most, so that all scenarios stay within 15 minutes.
    let retries = context.quick ? 0 : 2;
    for (let round = 1; round <= settings.rounds; round += 1) {
      for (const kind of settings.servers) {
        let figures = await measure(kind, round, settings, context);
        if (figures.cpu.other > DISTURBED && retries > 0) {
          retries -= 1;
          // Another process took a large share of the machine: measure once more, keep the
          // less disturbed of the two (both are in the JSON).
          context.log(
            `P3 ${LABEL[kind]} round ${round}: the rest of the machine used ${pct(figures.cpu.other)} of a core meanwhile; measuring again`,
          );
          const again = await measure(kind, round, settings, context);
          const [kept, dropped] =
            again.cpu.other < figures.cpu.other ? [again, figures] : [figures, again];
          dropped.discarded = true;
          discarded.push(dropped);
          figures = kept;
        }
        runs.push(figures);
        context.log(
          `P3 ${LABEL[kind]} round ${round}: ${fmt(figures.deliveriesPerSec)} deliveries/s (${fmt(figures.eventsPerSec)} events/s), server CPU ${pct(figures.cpu.server)}, ${fmt(figures.serverUsPerDelivery, 2)} µs CPU per delivery; clients CPU ${pct(figures.cpu.load)}; rest of machine ${pct(figures.cpu.other)}`,
        );
      }
    }
    const auren = summarize(runs, 'auren');
    const bare = summarize(runs, 'bare-broadcast');
    const rooms = settings.servers.includes('bare-rooms')
      ? summarize(runs, 'bare-rooms')
      : undefined;
    // Each round measures AUREN and the baseline minutes apart; the median of the per-round
    // ratios is less sensitive to one disturbed round than the ratio of the medians.
    const roundRatios: number[] = [];
    for (let round = 1; round <= settings.rounds; round += 1) {
      const a = runs.find((r) => r.round === round && r.server === 'auren');
      const b = runs.find((r) => r.round === round && r.server === 'bare-broadcast');
      if (a && b) roundRatios.push(a.deliveriesPerSec / b.deliveriesPerSec);
    }
    const ratio = median(roundRatios);
    const notes: string[] = [];
    const recipients = recipientsPerCell(clientSpecs(settings.clients, SEED), false);
    const meanRecipients = recipients.reduce((a, b) => a + b, 0) / CELLS.length;
    notes.push(
      `P3: each event reaches on average ${fmt(meanRecipients)} of the ${settings.clients} clients under their filters (AUREN, bare rooms), all ${settings.clients} under io.emit; frames average ${fmt(median(runs.map((r) => r.avgFrameBytes)))} bytes.`,
    );
    notes.push(
      `P3: server CPU per delivery — AUREN ${fmt(auren.serverUsPerDelivery, 2)} µs, bare io.emit ${fmt(bare.serverUsPerDelivery, 2)} µs${rooms ? `, bare rooms ${fmt(rooms.serverUsPerDelivery, 2)} µs` : ''}: per CPU-second AUREN makes ${pct(bare.serverUsPerDelivery / auren.serverUsPerDelivery)} of the baseline's deliveries.`,
    );
    if (rooms)
      notes.push(
        `P3: against a bare server making the same filtered deliveries with rooms: ${fmt(rooms.deliveriesPerSec)} deliveries/s, AUREN = ${pct(auren.deliveriesPerSec / rooms.deliveriesPerSec)}.`,
      );
    for (const run of runs) {
      const d = run.drained;
      if (!d.drained || d.clientsOff > 0 || d.gaps > 0 || d.contentBad > 0)
        notes.push(
          `P3 ${LABEL[run.server]} round ${run.round}: CHECK FAILED — ${fmt(d.clientsOff)} clients off the delivery rule (${fmt(d.missing)} missing, ${fmt(d.extra)} extra deliveries), ${d.gaps} stream_gap notices, ${d.contentBad} of ${d.contentChecked} sampled packets wrong, drained: ${d.drained}.`,
        );
      if (
        run.serverCountedDeliveries !== undefined &&
        Math.abs(run.serverCountedDeliveries - d.received) > 0.001 * d.received
      )
        notes.push(
          `P3 ${LABEL[run.server]} round ${run.round}: the gateway counted ${fmt(run.serverCountedDeliveries)} deliveries (auren_gateway_deliveries_total), the clients ${fmt(d.received)}.`,
        );
      if (run.cpu.other > 0.15)
        notes.push(
          `P3 ${LABEL[run.server]} round ${run.round}: the rest of the machine (other processes, kernel interrupts) kept ${pct(run.cpu.other)} of a core busy during the measurement — a disturbed run.`,
        );
      if (run.cpu.load > 0.9)
        notes.push(
          `P3 ${LABEL[run.server]} round ${run.round}: the client process used ${pct(run.cpu.load)} of a core — the clients may have set the pace, not the server.`,
        );
    }
    const checked = runs.every(
      (r) =>
        r.drained.drained &&
        r.drained.clientsOff === 0 &&
        r.drained.contentBad === 0 &&
        r.drained.gaps === 0 &&
        (r.serverCountedDeliveries === undefined ||
          Math.abs(r.serverCountedDeliveries - r.drained.received) <= 0.001 * r.drained.received),
    );
    const result: ScenarioResult = {
      id: 'P3',
      title: p3Fanout.title,
      auren: {
        value: auren.deliveriesPerSec,
        text: `${fmt(auren.deliveriesPerSec)} deliveries/s (${fmt(auren.serverUsPerDelivery, 2)} µs server CPU each)`,
      },
      baseline: {
        value: bare.deliveriesPerSec,
        text: `${fmt(bare.deliveriesPerSec)} deliveries/s (${fmt(bare.serverUsPerDelivery, 2)} µs)`,
        label: 'bare Socket.IO io.emit',
      },
      ratio,
      goal: '≥ 80 %',
      met: checked ? ratio >= 0.8 : false,
      settings: {
        gateway: aurenSettings(),
        ...settings,
        seed: SEED,
        publisher:
          'closed loop: XADD in pipelines of ≤ 200, windowPerClient × clients deliveries in flight',
        clientsPerProcess: settings.clients,
        clientParser: 'counting parser: stream_event packets counted, not JSON-decoded',
        aurenBackend: 'redis (gateway process alone; events XADDed directly)',
        tokenNote: 'JWT HS256 per user; 40 % ops (permission all), 60 % five users',
      },
      details: {
        roundRatios,
        ratioOfMedians: auren.deliveriesPerSec / bare.deliveriesPerSec,
        auren,
        bareBroadcast: bare,
        bareRooms: rooms,
        runs,
        discarded,
        routingCheck: checked
          ? 'every client received exactly as many events as the delivery rule selects for it; sampled packets decoded and matched its filter'
          : 'FAILED (see notes)',
      },
      notes,
    };
    return result;
  },
};
