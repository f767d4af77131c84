/**
 * P4 clients, in their own process: `clients` stock socket.io-clients (websocket transport,
 * default parser: every event is JSON-decoded, as a dashboard does) that see every event. For
 * each `stream_event` they compute receive time − `payload.bench_sent_us` (both
 * `process.hrtime`, CLOCK_MONOTONIC, shared by every process on the machine).
 *
 * IPC: `connected`; `{cmd:'report', window:[first,last]}` → waits until every client has every
 * event of the window (5 s at most) → `clients-result`; `{cmd:'exit'}`.
 */
import { JwtService } from '@nestjs/jwt';
import { io, type Socket } from 'socket.io-client';
import type { LatencyClientsConfig, LatencyClientsResult } from '../lib/ingest-ipc';
import { percentile } from '../lib/ingest-ipc';

const config = JSON.parse(process.env.BENCH_LOAD_CONFIG ?? '{}') as LatencyClientsConfig;
const send = (message: object) => process.send?.(message);
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

interface Received {
  /** Latency by sequence number, µs; NaN when not (yet) received. */
  latency: Map<number, number>;
  duplicates: number;
}

function connectOne(auth: object): Promise<Socket> {
  const socket = io(config.url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect_error', (error: Error & { data?: unknown }) =>
      reject(new Error(`connect_error: ${error.message} ${JSON.stringify(error.data ?? '')}`)),
    );
    socket.once('connection_established', () => resolve(socket));
  });
}

async function main(): Promise<void> {
  const token = config.jwtSecret
    ? new JwtService({}).sign(
        config.userId ? { sub: config.userId } : { sub: 'bench-ops', permissions: ['all'] },
        { secret: config.jwtSecret, algorithm: 'HS256', expiresIn: '2h' },
      )
    : undefined;
  const received: Received[] = [];
  const sockets: Socket[] = [];
  for (let i = 0; i < config.clients; i += 1) {
    const mine: Received = { latency: new Map(), duplicates: 0 };
    received.push(mine);
    const socket = await connectOne(token ? { token } : {});
    socket.on('stream_event', (message: { event: { payload: Record<string, number> } }) => {
      const at = nowUs();
      const seq = message.event.payload.bench_seq;
      const sent = message.event.payload.bench_sent_us;
      if (typeof seq !== 'number' || typeof sent !== 'number') return;
      if (mine.latency.has(seq)) mine.duplicates += 1;
      else mine.latency.set(seq, at - sent);
    });
    sockets.push(socket);
  }
  send({ type: 'connected', clients: sockets.length, ms: 0 });

  process.on('message', (m: { cmd: string; window?: [number, number] }) => {
    if (m.cmd === 'exit') {
      for (const s of sockets) s.close();
      setTimeout(() => process.exit(0), 100);
    } else if (m.cmd === 'report' && m.window) void report(m.window);
  });

  async function report([first, last]: [number, number]): Promise<void> {
    const complete = () =>
      received.every((r) => {
        for (let s = first; s <= last; s += 1) if (!r.latency.has(s)) return false;
        return true;
      });
    const deadline = Date.now() + 5000;
    while (!complete() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const all: number[] = [];
    let missing = 0;
    let clientsMissing = 0;
    let duplicates = 0;
    for (const r of received) {
      let mineMissing = 0;
      for (let s = first; s <= last; s += 1) {
        const latency = r.latency.get(s);
        if (latency === undefined) mineMissing += 1;
        else all.push(latency / 1000);
      }
      missing += mineMissing;
      if (mineMissing > 0) clientsMissing += 1;
      duplicates += r.duplicates;
    }
    const sorted = Float64Array.from(all).sort();
    const result: LatencyClientsResult = {
      type: 'clients-result',
      samples: sorted.length,
      latencyMs: {
        p50: percentile(sorted, 50),
        p90: percentile(sorted, 90),
        p99: percentile(sorted, 99),
        p999: percentile(sorted, 99.9),
        max: sorted[sorted.length - 1] ?? Number.NaN,
        mean: all.reduce((a, b) => a + b, 0) / Math.max(1, all.length),
      },
      clientsMissing,
      missing,
      duplicates,
    };
    send(result);
  }
}

main().catch((error: Error) => {
  send({ type: 'error', message: `latency clients: ${error.message}` });
  setTimeout(() => process.exit(1), 100);
});
