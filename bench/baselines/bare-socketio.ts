/**
 * The raw baseline of P3 and P5: a bare Socket.IO server on Node's `http`, reading the same
 * Redis stream as the AUREN gateway (XREAD BLOCK, 500 records at a time) and emitting each event
 * as `stream_event` — the fastest thing Node, Redis and Socket.IO do for this job. No framework,
 * no auth, no metrics, no per-connection bookkeeping.
 *
 * BARE_MODE:
 * - `broadcast` (the P3 baseline of issue 4): `io.emit` to every client, whatever its filter.
 * - `rooms`: the same deliveries AUREN makes, with the least routing that does it: each client
 *   joins `visibility|agent|threshold` rooms from its (trusted) handshake and each event is
 *   emitted to the rooms that select it. Tells how much of a gap is filtering itself.
 *
 * Like the gateway it drops the handshake request after connecting (Socket.IO memory guide) and
 * answers each connection with `connection_established`. GET /ready, GET /stats (clients,
 * process.memoryUsage()).
 *
 * Env: PORT, REDIS_URL, STREAM_KEY, BARE_MODE.
 */
import { createServer } from 'node:http';
import Redis from 'ioredis';
import { Server } from 'socket.io';

const port = Number(process.env.PORT ?? 0);
const mode = process.env.BARE_MODE === 'rooms' ? 'rooms' : 'broadcast';
const streamKey = process.env.STREAM_KEY ?? 'auren:events';
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

let ready = false;
const http = createServer((req, res) => {
  if (req.url === '/ready') {
    res.writeHead(ready ? 200 : 503).end();
  } else if (req.url === '/stats') {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ clients: io.engine.clientsCount, memory: process.memoryUsage() }));
  } else {
    res.writeHead(404).end();
  }
});
const io = new Server(http, { serveClient: false });
io.engine.on('connection', (raw: { request: unknown }) => {
  raw.request = null;
});

/** Thresholds in use, with how many clients use each. */
const thresholds = new Map<number, number>();

interface BareEvent {
  user_id?: string;
  source_agent: { id: string };
  performance_metrics?: { confidence_score?: number };
  stream_id?: string;
}

io.on('connection', (socket) => {
  if (mode === 'rooms') {
    const auth = socket.handshake.auth as {
      bench_user?: string;
      bench_all?: boolean;
      agent_filter?: string[];
      performance_threshold?: number;
    };
    const threshold = auth.performance_threshold ?? 0;
    const scopes = auth.bench_all ? ['*'] : [`u:${auth.bench_user}`, 'none'];
    const agents = auth.agent_filter?.length ? auth.agent_filter.map((a) => `a:${a}`) : ['*'];
    const rooms: string[] = [];
    for (const scope of scopes)
      for (const agent of agents) rooms.push(`${scope}|${agent}|${threshold}`);
    void socket.join(rooms);
    thresholds.set(threshold, (thresholds.get(threshold) ?? 0) + 1);
    socket.on('disconnect', () => {
      const left = (thresholds.get(threshold) ?? 1) - 1;
      if (left > 0) thresholds.set(threshold, left);
      else thresholds.delete(threshold);
    });
  }
  socket.emit('connection_established', { type: 'connection_established' });
});

function roomsFor(event: BareEvent): string[] {
  const score = event.performance_metrics ? (event.performance_metrics.confidence_score ?? -1) : 1;
  const scopes = ['*', event.user_id === undefined ? 'none' : `u:${event.user_id}`];
  const agents = ['*', `a:${event.source_agent.id}`];
  const rooms: string[] = [];
  for (const t of thresholds.keys()) {
    if (t > 0 && score < t) continue;
    for (const scope of scopes) for (const agent of agents) rooms.push(`${scope}|${agent}|${t}`);
  }
  return rooms;
}

function emit(id: string, json: string): void {
  const event = JSON.parse(json) as BareEvent;
  event.stream_id = id;
  const message = { type: 'stream_event', event };
  if (mode === 'broadcast') {
    io.emit('stream_event', message);
    return;
  }
  const rooms = roomsFor(event);
  if (rooms.length > 0) io.to(rooms).emit('stream_event', message);
}

async function readLoop(): Promise<void> {
  const head = (await redis.xrevrange(streamKey, '+', '-', 'COUNT', 1)) as Array<
    [string, string[]]
  >;
  let last = head[0]?.[0] ?? '0-0';
  ready = true;
  for (;;) {
    const reply = await redis.xread('COUNT', 500, 'BLOCK', 1000, 'STREAMS', streamKey, last);
    for (const [id, fields] of reply?.[0]?.[1] ?? []) {
      const at = fields.indexOf('event');
      if (at >= 0) emit(id, fields[at + 1]);
      last = id;
    }
  }
}

http.listen(port, '127.0.0.1', () => {
  readLoop().catch((error: Error) => {
    console.error(`bare server: stream read failed: ${error.message}`);
    process.exit(1);
  });
});
process.on('SIGTERM', () => process.exit(0));
