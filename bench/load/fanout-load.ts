/**
 * P3 load generator, in its own process: holds the clients and the event publisher.
 *
 * The publisher appends events to the Redis stream the server reads (XADD, the canonical
 * AgentEvent JSON in the field `event`, exactly what ingest writes) in a closed loop: it keeps
 * `windowPerClient × clients` deliveries in flight — published, not yet counted by a client —
 * so that the server always has work queued and no queue grows without bound. The pace is then
 * set by whichever side is slower, which the CPU samples (server, this process, redis) tell.
 *
 * Commands (IPC): `start` (publish and sample), `stop` (stop publishing, wait for the clients to
 * receive what was published, check every client's count against the delivery rule), `exit`.
 */
import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';
import type { AgentEvent } from '@auren/contracts';
import type {
  DrainedMessage,
  FanoutConfig,
  LoadMessage,
  RunnerCommand,
  SampleMessage,
} from '../lib/ipc';
import { cpuSeconds, machineBusySeconds } from '../lib/processes';
import { CELLS, EventFactory, recipientsPerCell, selects } from '../lib/workload';
import { closeClients, connectClients } from './clients';
import { newCounters } from './counting-parser';

const config = JSON.parse(process.env.BENCH_LOAD_CONFIG ?? '{}') as FanoutConfig;
const send = (message: LoadMessage) => process.send?.(message);

async function main(): Promise<void> {
  const broadcast = config.server === 'bare-broadcast';
  const counters = newCounters(config.count);
  const started = performance.now();
  const { sockets, specs } = await connectClients(config, counters);
  send({ type: 'connected', clients: sockets.length, ms: Math.round(performance.now() - started) });

  const recipients = recipientsPerCell(specs, broadcast);
  const publishedPerCell = new Float64Array(CELLS.length);
  const factory = new EventFactory(config.seed + 1);
  const redis = new Redis(config.redisUrl, { enableAutoPipelining: false });
  const window = config.windowPerClient * config.count;
  let expected = 0;
  let published = 0;
  let running = false;
  let publishing = false;

  const pump = async () => {
    if (!running || publishing) return;
    publishing = true;
    try {
      while (running && expected - counters.total < window) {
        const pipeline = redis.pipeline();
        for (let n = 0; n < 200 && expected - counters.total < window; n += 1) {
          const { cell, json } = factory.next();
          pipeline.xadd(config.streamKey, 'MAXLEN', '~', 200_000, '*', 'event', json);
          expected += recipients[cell.index];
          publishedPerCell[cell.index] += 1;
          published += 1;
        }
        await pipeline.exec();
      }
    } catch (error) {
      send({ type: 'error', message: `publisher: ${(error as Error).message}` });
    } finally {
      publishing = false;
    }
  };
  counters.onProgress = () => void pump();

  const gapsTotal = () => counters.gaps.reduce((a, b) => a + b, 0);
  const sample = (): SampleMessage => {
    const usage = process.cpuUsage();
    const cpu: Record<string, number> = { load: (usage.user + usage.system) / 1e6 };
    for (const [name, pid] of Object.entries(config.watchPids)) cpu[name] = cpuSeconds(pid);
    cpu.machine = machineBusySeconds();
    return {
      type: 'sample',
      t: performance.now(),
      received: counters.total,
      expected,
      published,
      gaps: gapsTotal(),
      chars: counters.chars,
      cpu,
    };
  };
  let sampler: NodeJS.Timeout | undefined;
  let ticker: NodeJS.Timeout | undefined;

  process.on('message', (message: RunnerCommand) => {
    if (message.cmd === 'start') {
      running = true;
      send(sample());
      sampler = setInterval(() => send(sample()), config.sampleMs);
      // Tops up the window even when no client counted anything lately.
      ticker = setInterval(() => void pump(), 5);
      void pump();
    } else if (message.cmd === 'stop') {
      running = false;
      clearInterval(ticker);
      clearInterval(sampler);
      send(sample());
      void drain().then((drained) => send(drained));
    } else if (message.cmd === 'exit') {
      closeClients(sockets);
      redis.disconnect();
      setTimeout(() => process.exit(0), 200);
    }
  });

  /** Waits (10 s at most) until the clients have what was published, then checks each one. */
  async function drain(): Promise<DrainedMessage> {
    const deadline = Date.now() + 10_000;
    while (publishing) await new Promise((resolve) => setTimeout(resolve, 10));
    let last = -1;
    let stillSince = Date.now();
    while (counters.total < expected && Date.now() < deadline) {
      if (counters.total !== last) {
        last = counters.total;
        stillSince = Date.now();
      } else if (Date.now() - stillSince > 3000) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // A moment more, so that extra deliveries (which would be a routing bug) show up too.
    await new Promise((resolve) => setTimeout(resolve, 200));
    let clientsOff = 0;
    let missing = 0;
    let extra = 0;
    specs.forEach((spec, i) => {
      let want = 0;
      for (const cell of CELLS)
        if (broadcast || selects(spec, cell)) want += publishedPerCell[cell.index];
      const got = counters.events[i];
      if (got !== want) clientsOff += 1;
      if (got < want) missing += want - got;
      if (got > want) extra += got - want;
    });
    // Content check on the kept packets: a well-formed stream_event whose event this client's
    // filter selects (the counts alone cannot tell a wrong event from a right one).
    let contentBad = 0;
    for (const { client, packet } of counters.kept) {
      try {
        const [name, body] = JSON.parse(packet.slice(1)) as [string, { event: AgentEvent }];
        const event = body.event;
        const cell = CELLS.find(
          (c) =>
            c.agent === event.source_agent.id &&
            c.owner === (event.user_id ?? null) &&
            c.score === (event.performance_metrics?.confidence_score ?? null),
        );
        const ok =
          name === 'stream_event' &&
          typeof event.stream_id === 'string' &&
          cell !== undefined &&
          (broadcast || selects(specs[client], cell));
        if (!ok) contentBad += 1;
      } catch {
        contentBad += 1;
      }
    }
    return {
      type: 'drained',
      contentChecked: counters.kept.length,
      contentBad,
      drained: counters.total >= expected,
      received: counters.total,
      expected,
      published,
      gaps: gapsTotal(),
      clientsOff,
      missing,
      extra,
    };
  }
}

main().catch((error: Error) => {
  send({ type: 'error', message: error.message });
  setTimeout(() => process.exit(1), 100);
});
