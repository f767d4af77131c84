/**
 * The raw baseline of P1, P2 and P4's ingest half: a bare Node `http` server that does the least
 * an ingest must do with an event — read the body, `JSON.parse` it, give it a `received_at` (and
 * an `event_id` when it has none), `JSON.stringify` it and `XADD` it to the Redis stream with
 * ioredis auto-pipelining (concurrent requests share round trips), then answer 202 with the
 * stream position. No framework, no validation, no auth, no idempotency check, no metrics.
 *
 * POST /v1/events (one event), POST /v1/events/batch (`{"events":[...]}`), GET /ready.
 * Env: PORT, REDIS_URL, STREAM_KEY, STREAM_MAXLEN (XADD MAXLEN ~, as AUREN writes).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Redis from 'ioredis';

const port = Number(process.env.PORT ?? 0);
const streamKey = process.env.STREAM_KEY ?? 'auren:events';
const maxLen = process.env.STREAM_MAXLEN ?? '1000000';
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  enableAutoPipelining: true,
});

type Event = Record<string, unknown> & { event_id?: string };

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function append(event: Event, receivedAt: string) {
  event.event_id ??= randomUUID();
  event.received_at = receivedAt;
  const id = await redis.xadd(
    streamKey,
    'MAXLEN',
    '~',
    maxLen,
    '*',
    'event',
    JSON.stringify(event),
  );
  return { event_id: event.event_id, stream_id: id as string, duplicate: false };
}

async function handle(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
  const parsed = JSON.parse(body) as Event | { events: Event[] };
  const receivedAt = new Date().toISOString();
  if (req.url === '/v1/events') {
    const result = await append(parsed, receivedAt);
    reply(res, 202, { accepted: 1, ...result });
  } else {
    const events = (parsed as { events: Event[] }).events;
    const results = await Promise.all(events.map((e) => append(e, receivedAt)));
    reply(res, 202, { accepted: results.length, results });
  }
}

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/ready') {
    res.writeHead(redis.status === 'ready' ? 200 : 503).end();
    return;
  }
  if (req.method !== 'POST' || (req.url !== '/v1/events' && req.url !== '/v1/events/batch')) {
    reply(res, 404, { statusCode: 404, error: 'Not Found' });
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = chunks.length === 1 ? chunks[0].toString() : Buffer.concat(chunks).toString();
    handle(req, res, body).catch((error: Error) =>
      reply(res, 400, { statusCode: 400, error: 'Bad Request', message: error.message }),
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
