/**
 * P4 sender, in its own process: POSTs single events to an ingest at a fixed rate on a fixed
 * schedule (open loop: a slow answer never delays the next request; when every keep-alive
 * connection is busy a new one is opened). Each event carries its sequence number and the
 * moment its POST started — `process.hrtime` in microseconds, CLOCK_MONOTONIC, which every
 * process on the machine shares — in `payload.bench_seq` and `payload.bench_sent_us`, so that
 * the clients (another process) can tell how long it took to reach them.
 *
 * IPC: `connected`, then `{cmd:'start'}` → sends for warm-up + measurement → `sender-result`.
 */
import type { LatencySenderConfig, LatencySenderResult } from '../lib/ingest-ipc';
import { percentile } from '../lib/ingest-ipc';
import { inputEvent, IngestRequests } from '../lib/ingest-workload';
import { EventFactory } from '../lib/workload';
import { KeepAliveConnection, parseTarget, postHead } from './http-client';

const config = JSON.parse(process.env.BENCH_LOAD_CONFIG ?? '{}') as LatencySenderConfig;
const send = (message: object) => process.send?.(message);
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

async function main(): Promise<void> {
  const target = parseTarget(config.url, config.authorization);
  const ids = new IngestRequests(target, '/v1/events', 1, 1, config.seed, false);
  const factory = new EventFactory(config.seed);
  const pool: KeepAliveConnection[] = [];
  for (let i = 0; i < 8; i += 1) pool.push(await KeepAliveConnection.open(target, 202));
  send({ type: 'connected', clients: pool.length, ms: 0 });
  await new Promise<void>((resolve) =>
    process.on('message', (m: { cmd: string }) => {
      if (m.cmd === 'start') resolve();
      if (m.cmd === 'exit') process.exit(0);
    }),
  );

  const intervalUs = 1e6 / config.rate;
  const warmupCount = Math.round((config.warmupMs / 1000) * config.rate);
  const total = warmupCount + Math.round((config.measureMs / 1000) * config.rate);
  const window: [number, number] = [warmupCount, total - 1];
  let seq = 0;
  let accepted = 0;
  let errors = 0;
  let inFlight = 0;
  let opening = 0;
  const errorSamples: string[] = [];
  const late: number[] = [];
  const post: number[] = [];
  let fatal: Error | undefined;

  const sendOne = (connection: KeepAliveConnection, n: number, scheduledUs: number) => {
    const sentUs = nowUs();
    if (n >= window[0]) late.push((sentUs - scheduledUs) / 1000);
    const event = inputEvent(factory, n, ids.newId());
    event.payload = { bench_seq: n, bench_sent_us: sentUs, text: event.payload.text };
    const body = JSON.stringify(event);
    inFlight += 1;
    connection.request(
      postHead(target, '/v1/events', Buffer.byteLength(body)) + body,
      (error, response) => {
        inFlight -= 1;
        if (error) {
          fatal ??= error;
          return;
        }
        if (n >= window[0]) post.push((nowUs() - sentUs) / 1000);
        if (response?.status === 202) accepted += 1;
        else {
          errors += 1;
          if (errorSamples.length < 5)
            errorSamples.push(`${response?.status}: ${(response?.body ?? '').slice(0, 300)}`);
        }
      },
    );
  };

  const startUs = nowUs();
  await new Promise<void>((resolve) => {
    const tick = () => {
      if (fatal) return resolve();
      const now = nowUs();
      while (seq < total && startUs + seq * intervalUs <= now) {
        const idle = pool.find((c) => !c.busy);
        if (!idle) {
          // Every connection is waiting for an answer: open one more, send when it is up.
          if (opening === 0) {
            opening += 1;
            void KeepAliveConnection.open(target, 202).then((c) => {
              opening -= 1;
              pool.push(c);
            });
          }
          break;
        }
        sendOne(idle, seq, startUs + seq * intervalUs);
        seq += 1;
      }
      if (seq >= total) resolve();
      else setTimeout(tick, 0);
    };
    tick();
  });
  const deadline = Date.now() + 10_000;
  while (inFlight > 0 && Date.now() < deadline && !fatal)
    await new Promise((resolve) => setTimeout(resolve, 5));
  if (fatal) throw fatal;
  const lateSorted = Float64Array.from(late).sort();
  const postSorted = Float64Array.from(post).sort();
  const result: LatencySenderResult = {
    type: 'sender-result',
    sent: seq,
    accepted,
    window,
    errors,
    errorSamples,
    lateMs: { p99: percentile(lateSorted, 99), max: lateSorted[lateSorted.length - 1] ?? 0 },
    postMs: {
      p50: percentile(postSorted, 50),
      p99: percentile(postSorted, 99),
      max: postSorted[postSorted.length - 1] ?? 0,
    },
    connections: pool.length,
  };
  send(result);
  for (const c of pool) c.close();
}

main().catch((error: Error) => {
  send({ type: 'error', message: `latency sender: ${error.message}` });
  setTimeout(() => process.exit(1), 100);
});
