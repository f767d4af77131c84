/**
 * P7 — fairness under a flood: one credential offers 10 × its rate limit while another sends
 * 500 events/s; the victim's end-to-end p99 (POST start → its dashboard clients hold the event)
 * with the flood, against the same without it. AUREN ingest and gateway from dist/, production
 * mode, per-credential rate limits on (bench/lib/servers.ts turns them off elsewhere).
 *
 * The victim is P4's paced sender (bench/load/latency-sender.ts) with its own API key bound to
 * user `bench-victim`, watched by 20 stock socket.io-clients of that user (they see only its
 * events, as another tenant's dashboards would). The flooder (bench/load/flood-sender.ts) posts
 * 100-event batches on a fixed schedule with a key limited to 1,000 events/s and a burst of
 * 1,000: it offers 10,000 events/s, the limiter lets about 1,000 of them into the stream, and the
 * rest are answered 429 before validation. Both windows of a round run on the same servers.
 */
import { randomBytes } from 'node:crypto';
import { keyIdOf } from '@auren/auth';
import type { FloodSenderConfig, FloodSenderResult, LatencyClientsConfig } from '../lib/ingest-ipc';
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
import { measureLatencyWindow, result } from '../lib/latency-window';
import { ManagedProcess } from '../lib/processes';
import { fmt, median, pct, type Scenario, type ScenarioContext } from '../lib/scenario';
import {
  aurenIngestSettings,
  aurenSettings,
  startAuren,
  startAurenIngest,
  type IngestUnderTest,
  type ServerUnderTest,
} from '../lib/servers';

type Kind = 'quiet' | 'flood';
const LABEL: Record<Kind, string> = { quiet: 'without flood', flood: 'with flood' };
const P99_GOAL_RATIO = 1.5;
const VICTIM_USER = 'bench-victim';
const FLOOD_LIMIT = 1000;
const FLOOD_FACTOR = 10;
const FLOOD_BATCH = 100;
/** Everyone's limit: the production defaults. */
const LIMIT_ENV = { AUREN_RATE_LIMIT_EVENTS_PER_SECOND: '1000', AUREN_RATE_LIMIT_BURST: '20000' };

interface FairnessRound extends LatencyFigures {
  kind: Kind;
  round: number;
  flood?: Omit<FloodSenderResult, 'type'>;
}

/** Victim sender and clients (and the flooder for `flood`) for one window on running servers. */
async function phase(
  kind: Kind,
  round: number,
  settings: LatencySettings,
  servers: {
    ingest: IngestUnderTest;
    gateway: ServerUnderTest;
    victimKey: string;
    floodKey: string;
  },
  context: ScenarioContext,
): Promise<FairnessRound> {
  const { ingest, gateway, victimKey, floodKey } = servers;
  const loads: ManagedProcess[] = [];
  try {
    // New clients per phase: they see only what is sent after they connect.
    const clientsConfig: LatencyClientsConfig = {
      url: gateway.url,
      clients: settings.clients,
      jwtSecret: context.jwtSecret,
      userId: VICTIM_USER,
    };
    const clients = latencyClients('P7', clientsConfig);
    loads.push(clients);
    await clients.message(isLoadMessage('connected'), 60_000);

    const sender = latencySender(
      'P7',
      { url: ingest.url, authorization: `Bearer ${victimKey}` },
      settings,
      7000 + round * 2 + (kind === 'flood' ? 1 : 0),
    );
    loads.push(sender);
    await sender.message(isLoadMessage('connected'), 30_000);

    let flooder: ManagedProcess | undefined;
    if (kind === 'flood') {
      const floodConfig: FloodSenderConfig = {
        url: ingest.url,
        authorization: `Bearer ${floodKey}`,
        rate: FLOOD_LIMIT * FLOOD_FACTOR,
        eventsPerRequest: FLOOD_BATCH,
        seed: 7100 + round,
      };
      flooder = ManagedProcess.tsx('P7 flooder', 'bench/load/flood-sender.ts', {
        ipc: true,
        env: { BENCH_LOAD_CONFIG: JSON.stringify(floodConfig) },
      });
      loads.push(flooder);
      await flooder.message(isLoadMessage('connected'), 30_000);
      // The flood runs through the victim's warm-up and measurement (started first).
      flooder.send({ cmd: 'start' });
    }
    context.log(
      `P7 ${LABEL[kind]} round ${round}: ${settings.clients} clients of ${VICTIM_USER} connected; the victim sends ${settings.rate} events/s for ${settings.warmupSeconds + settings.seconds} s${kind === 'flood' ? `, the flooder offers ${fmt(FLOOD_LIMIT * FLOOD_FACTOR)} events/s against a limit of ${fmt(FLOOD_LIMIT)}` : ''}`,
    );

    const pids: Record<string, number> = {
      ingest: ingest.process.pid,
      gateway: gateway.process.pid,
      sender: sender.pid,
      clients: clients.pid,
      ...(flooder ? { flooder: flooder.pid } : {}),
      ...(context.redisPid ? { redis: context.redisPid } : {}),
    };
    const window = await measureLatencyWindow(
      sender,
      clients,
      pids,
      settings.warmupSeconds + settings.seconds,
    );
    let flood: FloodSenderResult | undefined;
    if (flooder) {
      flooder.send({ cmd: 'stop' });
      flood = await flooder.message(result<FloodSenderResult>('flood-result'), 30_000);
    }
    const { cpu, checked, ...figures } = latencyFigures(window);
    const floodFigures = flood ? (({ type: _f, ...rest }) => rest)(flood) : undefined;
    // The victim is never refused and its clients get every event once; the flooder gets 429s,
    // no other error, and no more into the stream than its limit allows (rate × time + burst).
    const floodChecked =
      !flood ||
      (flood.errors === 0 &&
        (flood.statuses['429'] ?? 0) > 0 &&
        flood.acceptedEvents <= FLOOD_LIMIT * (flood.seconds + 1) + 1000);
    return { kind, round, ...figures, flood: floodFigures, cpu, checked: checked && floodChecked };
  } finally {
    await stopLoads(loads);
  }
}

/**
 * One round: one ingest and one gateway, a window without the flood and one with it (odd rounds
 * quiet first, even rounds flood first, so that neither always runs on the warmer servers).
 */
async function measure(
  round: number,
  settings: LatencySettings,
  context: ScenarioContext,
): Promise<FairnessRound[]> {
  const streamKey = `bench:p7:${Date.now()}`;
  const victimKey = `bench-victim-${randomBytes(16).toString('hex')}`;
  const floodKey = `bench-flood-${randomBytes(16).toString('hex')}`;
  const options = {
    redisUrl: context.redisUrl,
    streamKey,
    jwtSecret: context.jwtSecret,
    apiKey: victimKey,
  };
  const started: Array<{ stop(): Promise<void> }> = [];
  try {
    const gateway = await startAuren(options);
    started.push(gateway);
    const ingest = await startAurenIngest({
      ...options,
      env: {
        AUREN_API_KEYS: `${victimKey}:${VICTIM_USER},${floodKey}:bench-flooder`,
        ...LIMIT_ENV,
        AUREN_RATE_LIMIT_KEYS: `key:${keyIdOf(floodKey)}=${FLOOD_LIMIT}:1000`,
      },
    });
    started.push(ingest);
    const order: Kind[] = round % 2 === 1 ? ['quiet', 'flood'] : ['flood', 'quiet'];
    const results: FairnessRound[] = [];
    for (const kind of order)
      results.push(
        await phase(kind, round, settings, { ingest, gateway, victimKey, floodKey }, context),
      );
    return results;
  } finally {
    for (const server of started.reverse()) await server.stop();
    await dropStream(context, streamKey);
  }
}

export const p7Fairness: Scenario = {
  id: 'P7',
  title: 'Fairness: a flood at 10 × its limit against a 500 events/s victim',
  description:
    "One API key offers 10,000 events/s (100-event batches, open loop) against its limit of 1,000/s while another key sends 500 single events/s to 20 clients of its user; the victim's end-to-end p99 with the flood vs without it, AUREN ingest + gateway with per-credential rate limits on. Goal p99 with flood ≤ 1.5 × without.",
  async run(context) {
    const settings = latencySettings(context.quick);
    const runs: FairnessRound[] = [];
    for (let round = 1; round <= settings.rounds; round += 1) {
      for (const r of await measure(round, settings, context)) {
        runs.push(r);
        const kind = r.kind;
        const flood = r.flood
          ? `; flooder: ${fmt(r.flood.requests)} requests (${Object.entries(r.flood.statuses)
              .map(([s, n]) => `${fmt(n)} × ${s}`)
              .join(', ')}), ${fmt(r.flood.acceptedEvents / r.flood.seconds)} events/s admitted`
          : '';
        context.log(
          `P7 ${LABEL[kind]} round ${round}: victim p50 ${fmt(r.latencyMs.p50, 2)} ms, p99 ${fmt(r.latencyMs.p99, 2)} ms, max ${fmt(r.latencyMs.max, 1)} ms over ${fmt(r.samples)} deliveries${flood}; CPU ingest ${pct(r.cpu.ingest)}, gateway ${pct(r.cpu.gateway)}, rest of machine ${pct(r.cpu.other)}${r.checked ? '' : ' — CHECK FAILED'}`,
        );
      }
    }
    const med = (kind: Kind, pick: (r: FairnessRound) => number) =>
      median(runs.filter((r) => r.kind === kind).map(pick));
    const ratios: number[] = [];
    for (let round = 1; round <= settings.rounds; round += 1) {
      const flood = runs.find((r) => r.round === round && r.kind === 'flood');
      const quiet = runs.find((r) => r.round === round && r.kind === 'quiet');
      if (flood && quiet) ratios.push(flood.latencyMs.p99 / quiet.latencyMs.p99);
    }
    const ratio = median(ratios);
    const text = (kind: Kind) =>
      `p50 ${fmt(
        med(kind, (r) => r.latencyMs.p50),
        2,
      )} ms, p99 ${fmt(
        med(kind, (r) => r.latencyMs.p99),
        2,
      )} ms`;
    const floods = runs.flatMap((r) => (r.flood ? [r.flood] : []));
    const admitted = median(floods.map((f) => f.acceptedEvents / f.seconds));
    const refused = median(floods.map((f) => (f.statuses['429'] ?? 0) / f.seconds));
    const notes = [
      `P7: the ratio is the victim's p99 with the flood ÷ without (lower is better; per round ${ratios.map((r) => pct(r)).join(', ')}). The flooder offered ${fmt(FLOOD_LIMIT * FLOOD_FACTOR)} events/s; ${fmt(admitted)} events/s were admitted (limit ${fmt(FLOOD_LIMIT)}/s) and ${fmt(refused)} batches/s answered 429. Ingest CPU ${pct(med('quiet', (r) => r.cpu.ingest))} without the flood, ${pct(med('flood', (r) => r.cpu.ingest))} with it; flooder process ${pct(med('flood', (r) => r.cpu.flooder ?? 0))}.`,
    ];
    for (const r of runs) {
      if (!r.checked)
        notes.push(
          `P7 ${LABEL[r.kind]} round ${r.round}: CHECK FAILED — victim: ${r.sender.errors} POSTs not answered 202 (${r.sender.errorSamples[0] ?? ''}), ${r.clients.missing} deliveries missing, ${r.clients.duplicates} duplicates${r.flood ? `; flooder: ${r.flood.errors} errors (${r.flood.errorSamples[0] ?? ''}), ${fmt(r.flood.acceptedEvents)} events admitted in ${fmt(r.flood.seconds, 1)} s` : ''}.`,
        );
      if (r.cpu.other > 0.15)
        notes.push(
          `P7 ${LABEL[r.kind]} round ${r.round}: the rest of the machine kept ${pct(r.cpu.other)} of a core busy during the round — a disturbed run; tail latency suffers first.`,
        );
    }
    const checked = runs.every((r) => r.checked);
    return {
      id: 'P7',
      title: p7Fairness.title,
      auren: { value: med('flood', (r) => r.latencyMs.p99), text: text('flood') },
      baseline: {
        value: med('quiet', (r) => r.latencyMs.p99),
        text: text('quiet'),
        label: 'the same victim without the flood',
      },
      ratio,
      goal: `p99 ≤ ${P99_GOAL_RATIO} × without the flood`,
      met: checked ? ratio <= P99_GOAL_RATIO : false,
      settings: {
        ingest: {
          ...aurenIngestSettings(),
          ...LIMIT_ENV,
          AUREN_RATE_LIMIT_KEYS: `key:<flooder's key id>=${FLOOD_LIMIT}:1000`,
        },
        gateway: aurenSettings(),
        ...settings,
        flood: `bench/load/flood-sender.ts: ${FLOOD_BATCH}-event batches at ${(FLOOD_LIMIT * FLOOD_FACTOR) / FLOOD_BATCH} requests/s on a fixed schedule (open loop), its own API key bound to another user`,
        sender:
          'bench/load/latency-sender.ts: fixed schedule (open loop), single events, an API key bound to bench-victim',
        clients:
          'bench/load/latency-clients.ts: stock socket.io-client (websocket), JWTs of bench-victim (its events only)',
      },
      details: { rounds: runs, ratios },
      notes,
    };
  },
};
