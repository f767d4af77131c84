/**
 * P5 load generator, in its own process: connects its share of idle socket.io-clients
 * (websocket transport, the mixed filters of the workload), reports `connected`, then holds
 * them without sending anything until told to `exit`.
 */
import { performance } from 'node:perf_hooks';
import type { LoadConfig, LoadMessage, RunnerCommand } from '../lib/ipc';
import { closeClients, connectClients } from './clients';

const config = JSON.parse(process.env.BENCH_LOAD_CONFIG ?? '{}') as LoadConfig;
const send = (message: LoadMessage) => process.send?.(message);

async function main(): Promise<void> {
  const started = performance.now();
  const { sockets } = await connectClients(config);
  send({ type: 'connected', clients: sockets.length, ms: Math.round(performance.now() - started) });
  process.on('message', (message: RunnerCommand) => {
    if (message.cmd !== 'exit') return;
    closeClients(sockets);
    setTimeout(() => process.exit(0), 200);
  });
}

main().catch((error: Error) => {
  send({ type: 'error', message: error.message });
  setTimeout(() => process.exit(1), 100);
});
