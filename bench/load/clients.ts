/** Connecting many socket.io-clients from one load process, a bounded number at a time. */
import { JwtService } from '@nestjs/jwt';
import { io, type Socket } from 'socket.io-client';
import type { LoadConfig } from '../lib/ipc';
import { clientSpecs, type ClientSpec } from '../lib/workload';
import { countingParser, type Counters } from './counting-parser';

/**
 * The handshake `auth` of a client. AUREN reads the token (a JWT of the client's user; `ops`
 * holds the `all` permission), the agent filter and the threshold; the bare rooms baseline reads
 * `bench_user` / `bench_all` instead of verifying a token; the bare broadcast baseline ignores it.
 */
const jwt = new JwtService({});

function authFor(spec: ClientSpec, tokens: Map<string, string>, secret: string) {
  let token = tokens.get(spec.userId);
  if (!token) {
    const claims = spec.seesAllUsers
      ? { sub: spec.userId, permissions: ['all'] }
      : { sub: spec.userId };
    token = jwt.sign(claims, { secret, algorithm: 'HS256', expiresIn: '2h' });
    tokens.set(spec.userId, token);
  }
  return {
    token,
    agent_filter: spec.agentFilter,
    performance_threshold: spec.threshold,
    bench_user: spec.userId,
    bench_all: spec.seesAllUsers,
  };
}

function connectOne(
  url: string,
  auth: object,
  parser: unknown,
  timeoutMs: number,
): Promise<Socket> {
  const socket = io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    timeout: timeoutMs,
    auth: { ...auth },
    ...(parser ? { parser } : {}),
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no connection_established within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect_error', (error: Error & { data?: unknown }) => {
      clearTimeout(timer);
      socket.close();
      reject(new Error(`connect_error: ${error.message} ${JSON.stringify(error.data ?? '')}`));
    });
    socket.once('connection_established', () => {
      clearTimeout(timer);
      resolve(socket);
    });
  });
}

/**
 * Connects this process's share of the population (`config.first` .. `+count`), at most
 * `connectConcurrency` handshakes at a time. With `counters`, each client counts its
 * `stream_event` packets there (index relative to `config.first`).
 */
export async function connectClients(
  config: LoadConfig,
  counters?: Counters,
): Promise<{ sockets: Socket[]; specs: ClientSpec[] }> {
  const specs = clientSpecs(config.population, config.seed).slice(
    config.first,
    config.first + config.count,
  );
  const tokens = new Map<string, string>();
  const sockets: Socket[] = new Array<Socket>(specs.length);
  let next = 0;
  const worker = async () => {
    while (next < specs.length) {
      const i = next++;
      const parser = counters ? countingParser(counters, i) : undefined;
      sockets[i] = await connectOne(
        config.url,
        authFor(specs[i], tokens, config.jwtSecret),
        parser,
        30_000,
      );
    }
  };
  await Promise.all(Array.from({ length: config.connectConcurrency }, worker));
  return { sockets, specs };
}

/** Closes every client. */
export function closeClients(sockets: readonly Socket[]): void {
  for (const socket of sockets) socket?.close();
}
