/**
 * P4 — end-to-end latency: from the start of an agent's POST to the moment a dashboard client
 * holds the event, at 500 events/s with 20 clients. AUREN: ingest and gateway from dist/, each its
 * own process, production mode, over the bench's Redis. Baseline: the bare ingest
 * (bench/baselines/bare-ingest.ts) and the bare Socket.IO server in broadcast mode
 * (bench/baselines/bare-socketio.ts) over the same kind of stream.
 *
 * The sender (bench/load/latency-sender.ts) paces POSTs on a fixed schedule (open loop) and puts
 * its `process.hrtime` reading in each event; the 20 stock socket.io-clients
 * (bench/load/latency-clients.ts, another process) subtract it from theirs on arrival.
 */
import { randomBytes } from 'node:crypto';
import type { LatencyClientsConfig } from '../lib/ingest-ipc';
import { isLoadMessage } from '../lib/ipc';
import {
  dropStream,
  latencyClients,
  latencyFigures,
  latencySender,
  latencySettings,
  stopLoads,
  type LatencyFigures,
  type LatencySettings,
} from '../lib/latency-round';
import { measureLatencyWindow } from '../lib/latency-window';
import type { ManagedProcess } from '../lib/processes';
import { fmt, median, pct, type Scenario, type ScenarioContext } from '../lib/scenario';
import {
  aurenIngestSettings,
  aurenSettings,
  startAuren,
  startAurenIngest,
  startBare,
  startBareIngest,
  type IngestUnderTest,
  type ServerUnderTest,
} from '../lib/servers';

type Kind = 'auren' | 'bare';
const LABEL: Record<Kind, string> = { auren: 'AUREN', bare: 'bare' };
const P50_GOAL_MS = 3;
const P99_GOAL_RATIO = 1.5;

/** `cpu`: ingest, gateway, redis, sender, clients and `other`. */
interface LatencyRound extends LatencyFigures {
  server: Kind;
  round: number;
  discarded?: boolean;
}

/** Share of a core other processes may use during a round before it is measured again. */
const DISTURBED = 0.25;

async function measure(
  kind: Kind,
  round: number,
  settings: LatencySettings,
  context: ScenarioContext,
): Promise<LatencyRound> {
  const streamKey = `bench:p4:${kind}:${Date.now()}`;
  const options = {
    redisUrl: context.redisUrl,
    streamKey,
    jwtSecret: context.jwtSecret,
    apiKey: `bench-${randomBytes(16).toString('hex')}`,
  };
  const started: Array<{ stop(): Promise<void> }> = [];
  const loads: ManagedProcess[] = [];
  try {
    const gateway: ServerUnderTest =
      kind === 'auren' ? await startAuren(options) : await startBare(options, 'broadcast');
    started.push(gateway);
    const ingest: IngestUnderTest =
      kind === 'auren' ? await startAurenIngest(options) : await startBareIngest(options);
    started.push(ingest);

    const clientsConfig: LatencyClientsConfig = {
      url: gateway.url,
      clients: settings.clients,
      jwtSecret: kind === 'auren' ? context.jwtSecret : undefined,
    };
    const clients = latencyClients('P4', clientsConfig);
    loads.push(clients);
    await clients.message(isLoadMessage('connected'), 60_000);

    const sender = latencySender('P4', ingest, settings, 4000 + round);
    loads.push(sender);
    await sender.message(isLoadMessage('connected'), 30_000);
    context.log(
      `P4 ${LABEL[kind]} round ${round}: ${settings.clients} clients connected; sending ${settings.rate} events/s for ${settings.warmupSeconds + settings.seconds} s`,
    );

    const pids: Record<string, number> = {
      ingest: ingest.process.pid,
      gateway: gateway.process.pid,
      sender: sender.pid,
      clients: clients.pid,
      ...(context.redisPid ? { redis: context.redisPid } : {}),
    };
    const window = await measureLatencyWindow(
      sender,
      clients,
      pids,
      settings.warmupSeconds + settings.seconds,
    );
    return { server: kind, round, ...latencyFigures(window) };
  } finally {
    await stopLoads(loads);
    for (const server of started.reverse()) await server.stop();
    await dropStream(context, streamKey);
  }
}

export const p4Latency: Scenario = {
  id: 'P4',
  title: 'End-to-end latency, 500 events/s, 20 clients',
  description:
    'POST start → socket.io-client receive, single events paced at 500/s (open loop, own process), 20 stock clients (another process) seeing every event; AUREN ingest + gateway vs a bare Node ingest + a bare Socket.IO server on the same kind of Redis stream. Goal p50 ≤ 3 ms, p99 ≤ 1.5 × the baseline p99.',
  async run(context) {
    const settings = latencySettings(context.quick);
    const runs: LatencyRound[] = [];
    const discarded: LatencyRound[] = [];
    // Tail latency is what other work on the machine disturbs most: a full run measures a
    // disturbed round once more and keeps the quieter of the two (both are in the JSON).
    let retries = context.quick ? 0 : 1;
    for (let round = 1; round <= settings.rounds; round += 1) {
      for (const kind of ['auren', 'bare'] as const) {
        let r = await measure(kind, round, settings, context);
        if (r.cpu.other > DISTURBED && retries > 0) {
          retries -= 1;
          context.log(
            `P4 ${LABEL[kind]} round ${round}: the rest of the machine used ${pct(r.cpu.other)} of a core meanwhile; measuring again`,
          );
          const again = await measure(kind, round, settings, context);
          const [kept, dropped] = again.cpu.other < r.cpu.other ? [again, r] : [r, again];
          dropped.discarded = true;
          discarded.push(dropped);
          r = kept;
        }
        runs.push(r);
        context.log(
          `P4 ${LABEL[kind]} round ${round}: p50 ${fmt(r.latencyMs.p50, 2)} ms, p99 ${fmt(r.latencyMs.p99, 2)} ms, max ${fmt(r.latencyMs.max, 1)} ms over ${fmt(r.samples)} deliveries; POST p50 ${fmt(r.sender.postMs.p50, 2)} / p99 ${fmt(r.sender.postMs.p99, 2)} ms; CPU ingest ${pct(r.cpu.ingest)}, gateway ${pct(r.cpu.gateway)}, redis ${pct(r.cpu.redis ?? 0)}, rest of machine ${pct(r.cpu.other)}${r.checked ? '' : ' — CHECK FAILED'}`,
        );
      }
    }
    const med = (kind: Kind, pick: (r: LatencyRound) => number) =>
      median(runs.filter((r) => r.server === kind).map(pick));
    const ratios: number[] = [];
    for (let round = 1; round <= settings.rounds; round += 1) {
      const a = runs.find((r) => r.round === round && r.server === 'auren');
      const b = runs.find((r) => r.round === round && r.server === 'bare');
      if (a && b) ratios.push(a.latencyMs.p99 / b.latencyMs.p99);
    }
    const ratio = median(ratios);
    const figure = (kind: Kind) => ({
      p50: med(kind, (r) => r.latencyMs.p50),
      p99: med(kind, (r) => r.latencyMs.p99),
      max: Math.max(...runs.filter((r) => r.server === kind).map((r) => r.latencyMs.max)),
    });
    const auren = figure('auren');
    const bare = figure('bare');
    const text = (f: ReturnType<typeof figure>) =>
      `p50 ${fmt(f.p50, 2)} ms, p99 ${fmt(f.p99, 2)} ms, max ${fmt(f.max, 1)} ms`;
    const checked = runs.every((r) => r.checked);
    const ms = (kind: Kind, p: 'p50' | 'p99') =>
      fmt(
        med(kind, (r) => r.sender.postMs[p]),
        2,
      );
    const notes = [
      `P4: the ratio is AUREN's p99 ÷ the baseline's (lower is better; per round ${ratios.map((r) => pct(r)).join(', ')}). POST round trip alone: AUREN p50 ${ms('auren', 'p50')} / p99 ${ms('auren', 'p99')} ms, bare ${ms('bare', 'p50')} / ${ms('bare', 'p99')} ms. Server CPU at 500 events/s — AUREN ingest ${pct(med('auren', (r) => r.cpu.ingest))}, gateway ${pct(med('auren', (r) => r.cpu.gateway))}; bare ingest ${pct(med('bare', (r) => r.cpu.ingest))}, bare Socket.IO ${pct(med('bare', (r) => r.cpu.gateway))}.`,
    ];
    for (const r of runs) {
      if (!r.checked)
        notes.push(
          `P4 ${LABEL[r.server]} round ${r.round}: CHECK FAILED — ${r.sender.errors} POSTs not answered 202 (${r.sender.errorSamples[0] ?? ''}), ${r.clients.missing} deliveries missing over ${r.clients.clientsMissing} clients, ${r.clients.duplicates} duplicates.`,
        );
      if (r.cpu.other > 0.15)
        notes.push(
          `P4 ${LABEL[r.server]} round ${r.round}: the rest of the machine kept ${pct(r.cpu.other)} of a core busy during the round — a disturbed run; tail latency suffers first.`,
        );
      if (r.sender.lateMs.max > 5)
        notes.push(
          `P4 ${LABEL[r.server]} round ${r.round}: the sender started a request up to ${fmt(r.sender.lateMs.max, 1)} ms late (p99 ${fmt(r.sender.lateMs.p99, 2)} ms) against its schedule.`,
        );
    }
    return {
      id: 'P4',
      title: p4Latency.title,
      auren: { value: auren.p99, text: text(auren) },
      baseline: { value: bare.p99, text: text(bare), label: 'bare ingest + bare Socket.IO' },
      ratio,
      goal: `p50 ≤ ${P50_GOAL_MS} ms; p99 ≤ ${P99_GOAL_RATIO} × baseline`,
      met: checked ? auren.p50 <= P50_GOAL_MS && ratio <= P99_GOAL_RATIO : false,
      settings: {
        ingest: aurenIngestSettings(),
        gateway: aurenSettings(),
        ...settings,
        sender:
          'bench/load/latency-sender.ts: fixed schedule (open loop), keep-alive, a new connection when all are busy; POST start time (process.hrtime, µs) in payload.bench_sent_us',
        clients:
          'bench/load/latency-clients.ts: stock socket.io-client (websocket, default parser), all_events, no filter; AUREN clients hold a JWT with the all permission',
        baseline:
          'bench/baselines/bare-ingest.ts + bench/baselines/bare-socketio.ts (BARE_MODE=broadcast, XREAD BLOCK COUNT 500)',
      },
      details: { rounds: runs, discarded, ratios },
      notes,
    };
  },
};
