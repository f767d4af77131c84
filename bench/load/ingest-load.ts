/**
 * P1/P2 load generator, in its own process: `connections` keep-alive connections, each sending
 * the next request as soon as the previous one was answered (closed loop), for a warm-up and a
 * measurement window. Reports requests and events answered 202 within the window, the CPU time
 * of the watched processes over the same window, and request latency.
 *
 * IPC: sends `connected`, waits for `{cmd:'start'}`, sends `progress` every 2 s and then
 * `ingest-result`; `{cmd:'exit'}` ends it.
 */
import { performance } from 'node:perf_hooks';
import type { IngestLoadConfig, IngestLoadResult, IngestProgress } from '../lib/ingest-ipc';
import { percentile } from '../lib/ingest-ipc';
import { IngestRequests } from '../lib/ingest-workload';
import { cpuSeconds, machineBusySeconds } from '../lib/processes';
import { KeepAliveConnection, parseTarget } from './http-client';

const config = JSON.parse(process.env.BENCH_LOAD_CONFIG ?? '{}') as IngestLoadConfig;
const send = (message: object) => process.send?.(message);

function cpuNow(): Record<string, number> {
  const usage = process.cpuUsage();
  const cpu: Record<string, number> = { load: (usage.user + usage.system) / 1e6 };
  for (const [name, pid] of Object.entries(config.watchPids)) cpu[name] = cpuSeconds(pid);
  cpu.machine = machineBusySeconds();
  return cpu;
}

async function main(): Promise<void> {
  const target = parseTarget(config.url, config.authorization);
  const requests = new IngestRequests(
    target,
    config.path,
    config.eventsPerRequest,
    config.batch ? 20 : 500,
    config.seed,
    config.batch,
  );
  const connections = await Promise.all(
    Array.from({ length: config.connections }, () => KeepAliveConnection.open(target, 202)),
  );
  send({ type: 'connected', clients: connections.length, ms: 0 });
  await new Promise<void>((resolve) =>
    process.on('message', (m: { cmd: string }) => {
      if (m.cmd === 'start') resolve();
      if (m.cmd === 'exit') process.exit(0);
    }),
  );

  let answered = 0;
  let acceptedEvents = 0;
  let errors = 0;
  const errorSamples: string[] = [];
  let inWindow = false;
  let stopping = false;
  let windowRequests = 0;
  const latencies: number[] = [];
  let inFlight = 0;
  let fatal: Error | undefined;

  const loop = (connection: KeepAliveConnection) => {
    if (stopping || fatal) return;
    const started = performance.now();
    inFlight += 1;
    connection.request(requests.next(), (error, response) => {
      inFlight -= 1;
      if (error) {
        fatal ??= error;
        return;
      }
      answered += 1;
      if (response?.status === 202) {
        acceptedEvents += config.eventsPerRequest;
        if (inWindow) {
          windowRequests += 1;
          latencies.push(performance.now() - started);
        }
      } else {
        errors += 1;
        if (errorSamples.length < 5)
          errorSamples.push(`${response?.status}: ${(response?.body ?? '').slice(0, 300)}`);
      }
      loop(connection);
    });
  };
  const began = performance.now();
  for (const connection of connections) loop(connection);
  const progress = setInterval(() => {
    const message: IngestProgress = {
      type: 'progress',
      t: (performance.now() - began) / 1000,
      requests: answered,
      events: acceptedEvents,
      errors,
    };
    send(message);
  }, 2000);

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  await sleep(config.warmupMs);
  inWindow = true;
  const cpuA = cpuNow();
  const tA = performance.now();
  await sleep(config.measureMs);
  inWindow = false;
  const cpuB = cpuNow();
  const tB = performance.now();
  stopping = true;
  clearInterval(progress);
  const deadline = Date.now() + 10_000;
  while (inFlight > 0 && Date.now() < deadline && !fatal) await sleep(5);
  if (fatal) throw fatal;

  const seconds = (tB - tA) / 1000;
  const cpu: Record<string, number> = {};
  for (const name of Object.keys(cpuB)) cpu[name] = cpuB[name] - cpuA[name];
  // The rest of the machine: every core's busy time less this process and the watched ones.
  const watched = Object.keys(config.watchPids).reduce((sum, name) => sum + cpu[name], 0);
  cpu.other = Math.max(0, cpu.machine - cpu.load - watched);
  const sorted = Float64Array.from(latencies).sort();
  const result: IngestLoadResult = {
    type: 'ingest-result',
    seconds,
    requests: windowRequests,
    events: windowRequests * config.eventsPerRequest,
    cpu,
    latencyMs: {
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1] ?? Number.NaN,
    },
    acceptedEvents,
    errors,
    errorSamples,
    avgBodyBytes: requests.avgBodyBytes,
  };
  send(result);
  for (const connection of connections) connection.close();
}

main().catch((error: Error) => {
  send({ type: 'error', message: `ingest load: ${error.message}` });
  setTimeout(() => process.exit(1), 100);
});
