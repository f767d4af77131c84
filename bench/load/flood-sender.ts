/**
 * P7 flooder, in its own process: offers `rate` events per second to an ingest in batches of
 * `eventsPerRequest`, on a fixed schedule (open loop: a refused or slow answer never slows it
 * down; when every keep-alive connection is busy, a new one is opened), from `start` until
 * `stop`. Counts the answers by status: with rate limits on, most are 429.
 *
 * IPC: `connected`, then `{cmd:'start'}` … `{cmd:'stop'}` → `flood-result`; `{cmd:'exit'}`.
 */
import type { FloodSenderConfig, FloodSenderResult } from '../lib/ingest-ipc';
import { IngestRequests } from '../lib/ingest-workload';
import { KeepAliveConnection, parseTarget } from './http-client';

const config = JSON.parse(process.env.BENCH_LOAD_CONFIG ?? '{}') as FloodSenderConfig;
const send = (message: object) => process.send?.(message);
const MAX_CONNECTIONS = 64;

async function main(): Promise<void> {
  const target = parseTarget(config.url, config.authorization);
  const requests = new IngestRequests(
    target,
    '/v1/events/batch',
    config.eventsPerRequest,
    4,
    config.seed,
    true,
  );
  const pool: KeepAliveConnection[] = [];
  for (let i = 0; i < 8; i += 1) pool.push(await KeepAliveConnection.open(target, 202));
  send({ type: 'connected', clients: pool.length, ms: 0 });

  let stopping = false;
  let started = false;
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'start' && !started) {
      started = true;
      void flood();
    }
    if (m.cmd === 'stop') stopping = true;
    if (m.cmd === 'exit') process.exit(0);
  });

  async function flood(): Promise<void> {
    const statuses: Record<string, number> = {};
    const errorSamples: string[] = [];
    let sent = 0;
    let acceptedEvents = 0;
    let errors = 0;
    let inFlight = 0;
    let opening = 0;
    const intervalMs = (1000 * config.eventsPerRequest) / config.rate;
    const start = performance.now();
    await new Promise<void>((resolve) => {
      const tick = () => {
        if (stopping) return resolve();
        const now = performance.now();
        while (start + sent * intervalMs <= now) {
          const idle = pool.find((c) => !c.busy);
          if (!idle) {
            if (opening === 0 && pool.length < MAX_CONNECTIONS) {
              opening += 1;
              void KeepAliveConnection.open(target, 202).then((c) => {
                opening -= 1;
                pool.push(c);
              });
            }
            // Behind schedule with every connection busy: skip the missed slots (open loop).
            sent = Math.ceil((now - start) / intervalMs);
            break;
          }
          sent += 1;
          inFlight += 1;
          idle.request(requests.next(), (error, response) => {
            inFlight -= 1;
            const key = error ? 'error' : String(response?.status);
            statuses[key] = (statuses[key] ?? 0) + 1;
            if (response?.status === 202) acceptedEvents += config.eventsPerRequest;
            else if (error || response?.status !== 429) {
              errors += 1;
              if (errorSamples.length < 5)
                errorSamples.push(error ? error.message : `${response?.status}: ${response?.body}`);
            }
          });
        }
        setTimeout(tick, 1);
      };
      tick();
    });
    const seconds = (performance.now() - start) / 1000;
    const deadline = Date.now() + 5000;
    while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const answered = Object.values(statuses).reduce((a, b) => a + b, 0);
    const result: FloodSenderResult = {
      type: 'flood-result',
      seconds,
      requests: answered,
      statuses,
      acceptedEvents,
      errors,
      errorSamples,
      connections: pool.length,
    };
    send(result);
  }
}

main().catch((error: Error) => {
  send({ type: 'error', message: `flood sender: ${error.message}` });
  setTimeout(() => process.exit(1), 100);
});
