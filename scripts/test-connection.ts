/**
 * `npm run test-connection`: connects to a gateway the way a dashboard does (socket.io-client,
 * handshake `auth`, CONTRACT §4) and shows what it answers. `--help` for usage.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { io, type Socket } from 'socket.io-client';
import type {
  ConnectErrorData,
  ConnectionEstablishedMessage,
  HandshakeAuth,
  PongMessage,
} from '@auren/contracts';
import { eventLine, listValues, redactUrl, type LooseEvent } from './event-line';

/** Exit codes (also in USAGE and docs). */
export const EXIT = {
  ok: 0,
  /** Something unexpected (a bug, an internal error). */
  failed: 1,
  usage: 2,
  /** The gateway answered the handshake with `connect_error` {code, message}. */
  refused: 3,
  /** The gateway could not be reached (connection refused, DNS, TLS, HTTP error). */
  unreachable: 4,
  /** No answer in time: no `connection_established`, or no `pong`. */
  timeout: 5,
} as const;

export const USAGE = `Usage: npm run test-connection -- [options]

Connects to an AUREN gateway with socket.io-client, as a dashboard does, and shows what it
answers: the handshake answer (connection_established, or the refusal: connect_error with its
{code, message}), the round trip of a ping, then every message it sends, one line each, until
Ctrl-C. Automatic reconnections resume from the last event received (resume_from).

Gateway:
  --url URL                    the gateway (default $AUREN_GATEWAY_URL, else
                               http://127.0.0.1:$GATEWAY_PORT, port 8765)
  --token TOKEN                auth.token (default $AUREN_GATEWAY_TOKEN): a JWT, or in development
                               any token that starts with "test" (--token test-token). Never printed.

Handshake auth (CONTRACT §4; also spelled --agent_filter etc.):
  --agent-filter IDS           auth.agent_filter: agent ids, comma-separated or repeated
                               (default: all agents)
  --subscriptions NAMES        auth.subscriptions, comma-separated or repeated (default all_events)
  --performance-threshold X    auth.performance_threshold, 0..1 (default 0: none)
  --resume-from POSITION       auth.resume_from: a stream_id (Kafka: a resume_token) to replay from

Output:
  --json                       every server message as one JSON line on stdout; the tool's own
                               lines (handshake, ping, errors) go to stderr
  --count N                    exit once N stream events have arrived
  --timeout MS                 how long to wait for the handshake answer and for the pong
                               (default 10000)
  -h, --help                   this text

Exit codes: 0 done (Ctrl-C, or --count reached); 2 bad options; 3 handshake refused
(connect_error with a code: the message says what to do); 4 gateway unreachable; 5 timed out
(no connection_established, or no pong, within --timeout); 1 anything else.`;

export class UsageError extends Error {}

export interface TestConnectionOptions {
  url: string;
  auth: HandshakeAuth;
  json: boolean;
  count?: number;
  timeoutMs: number;
  help: boolean;
}

/** Parses the command line (without `node script`); throws UsageError on bad input. */
export function parseOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = {},
): TestConnectionOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        'agent-filter': { type: 'string', multiple: true },
        agent_filter: { type: 'string', multiple: true },
        subscriptions: { type: 'string', multiple: true },
        'performance-threshold': { type: 'string' },
        performance_threshold: { type: 'string' },
        'resume-from': { type: 'string' },
        resume_from: { type: 'string' },
        json: { type: 'boolean', default: false },
        count: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const port = env.GATEWAY_PORT && /^\d+$/.test(env.GATEWAY_PORT) ? env.GATEWAY_PORT : '8765';
  const url = values.url ?? env.AUREN_GATEWAY_URL ?? `http://127.0.0.1:${port}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url must be a URL such as http://127.0.0.1:8765, got "${url}"`);
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(parsed.protocol)) {
    throw new UsageError(`--url must be http(s):// or ws(s)://, got "${parsed.protocol}//..."`);
  }
  const auth: HandshakeAuth = {};
  const token = values.token ?? env.AUREN_GATEWAY_TOKEN;
  if (token) auth.token = token;
  const agents = listValues([...(values['agent-filter'] ?? []), ...(values.agent_filter ?? [])]);
  if (agents.length > 0) auth.agent_filter = agents;
  const subscriptions = listValues(values.subscriptions);
  if (values.subscriptions) auth.subscriptions = subscriptions;
  const threshold = values['performance-threshold'] ?? values.performance_threshold;
  if (threshold !== undefined) {
    const value = Number(threshold);
    // Only "is it a number" is checked here: the range is the gateway's to answer (BAD_HANDSHAKE).
    if (threshold.trim() === '' || !Number.isFinite(value)) {
      throw new UsageError(
        `--performance-threshold must be a number from 0 to 1, got "${threshold}"`,
      );
    }
    auth.performance_threshold = value;
  }
  const resumeFrom = values['resume-from'] ?? values.resume_from;
  if (resumeFrom) auth.resume_from = resumeFrom;
  const integer = (flag: string, raw: string | undefined, min: number) => {
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) {
      throw new UsageError(`${flag} must be an integer of at least ${min}, got "${raw}"`);
    }
    return value;
  };
  return {
    url,
    auth,
    json: values.json ?? false,
    count: integer('--count', values.count, 1),
    timeoutMs: integer('--timeout', values.timeout, 100) ?? 10_000,
    help: values.help ?? false,
  };
}

/** What to do about each refusal code (docs/troubleshooting.md#the-gateway-refuses-the-connection). */
export function refusalHint(code: string): string {
  switch (code) {
    case 'AUTH_REQUIRED':
      return 'pass --token (or set AUREN_GATEWAY_TOKEN); in development any token that starts with "test" is accepted (--token test-token)';
    case 'AUTH_FAILED':
      return 'the gateway takes a JWT signed with its AUREN_JWT_SECRET or public key (test* tokens in development only); ingest API keys are not accepted here';
    case 'TOKEN_EXPIRED':
      return 'the JWT is past its exp: get a fresh token';
    case 'BAD_HANDSHAKE':
      return 'fix the handshake option the message names (--agent-filter, --subscriptions, --performance-threshold, --resume-from)';
    case 'SERVER_AT_CAPACITY':
      return 'this gateway is full, shutting down or cannot check credentials now: retry later, or connect to another gateway';
    case 'USER_CONNECTION_LIMIT':
      return 'this user has too many connections on this gateway: close some, or raise AUREN_MAX_CONNECTIONS_PER_USER';
    default:
      return 'see docs/gateway.md#connect_error-codes';
  }
}

/** One line for a server message other than `stream_event` and `connection_established`. */
export function messageLine(name: string, body: unknown): string {
  const b = (body ?? {}) as Record<string, unknown>;
  const show = (value: unknown) =>
    value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value);
  switch (name) {
    case 'stream_gap':
      return `stream_gap: ${String(b.skipped)} events skipped (${String(b.from)} .. ${String(b.to)}); reconnect with --resume-from ${String(b.from)} to get them`;
    case 'stream_reset':
      return `stream_reset (${String(b.reason)}): ${String(b.message)}`;
    case 'error':
      return `error ${String(b.code)}: ${String(b.message)}`;
    case 'performance_summary': {
      const data = (b.data ?? {}) as { agents?: object; system?: Record<string, unknown> };
      return `performance_summary: ${Object.keys(data.agents ?? {}).length} agents, ${show(data.system?.events_received ?? '?')} events received by the gateway`;
    }
    case 'alert_fired':
    case 'alert_resolved':
    case 'alert_updated': {
      const alert = (b.alert ?? {}) as Record<string, unknown>;
      return `${name}: ${String(alert.rule_name ?? alert.rule_id)} [${String(alert.severity)}] ${show(alert.key ?? '')} value=${String(alert.value)}`;
    }
    default:
      return `${name}: ${JSON.stringify(body)}`;
  }
}

/**
 * What socket.io-client's `connect_error` without `data` says about the cause: `xhr poll error`
 * or `websocket error` plus, when it has one, the network error or the HTTP status behind it.
 */
export function transportCause(error: Error & { description?: unknown }): string {
  const description = error.description;
  if (description instanceof Error && description.message) {
    return `${error.message}: ${description.message}`;
  }
  if (typeof description === 'number') {
    return description === 0
      ? `${error.message}: no HTTP answer (connection refused, or wrong host or port)`
      : `${error.message}: HTTP ${description}`;
  }
  return error.message;
}

/** The handshake answer as a few readable lines. */
export function establishedLines(message: ConnectionEstablishedMessage): string[] {
  const lines = [
    `connection_established: connection_id=${message.connection_id} user_id=${message.user_id} server_time=${message.server_time}`,
    `  subscriptions=${message.subscriptions.join(',') || '(none)'} agent_filter=${message.agent_filter.join(',') || '(all agents)'} performance_threshold=${message.performance_threshold}${message.position ? ` position=${message.position}` : ''}`,
  ];
  if (message.resume) {
    const { recovered, replayed, from, reason } = message.resume;
    lines.push(
      `  resume: recovered=${recovered} replayed=${replayed} from=${from}${reason ? ` reason=${reason}` : ''}`,
    );
  }
  return lines;
}

/** Runs the tool; resolves with the exit code. */
export function run(options: TestConnectionOptions): Promise<number> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const info = options.json ? (line: string) => process.stderr.write(`${line}\n`) : say;
  const fail = (line: string) => process.stderr.write(`${line}\n`);
  const where = redactUrl(options.url);

  return new Promise<number>((resolve) => {
    let established = false;
    let events = 0;
    let lastPosition: string | undefined;
    let finished = false;
    const started = performance.now();

    const socket: Socket = io(options.url, {
      // A function: every reconnection sends the latest position, so it resumes without a gap.
      auth: (cb) => cb({ ...options.auth, resume_from: lastPosition ?? options.auth.resume_from }),
      forceNew: true,
      reconnection: true,
      timeout: options.timeoutMs,
    });

    const finish = (code: number, line?: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(handshakeTimer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (line) (code === EXIT.ok ? info : fail)(line);
      socket.close();
      resolve(code);
    };
    const onSignal = () =>
      finish(EXIT.ok, `stopped: ${events} stream event${events === 1 ? '' : 's'} received`);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    const handshakeTimer = setTimeout(
      () =>
        finish(
          EXIT.timeout,
          `timed out: no connection_established from ${where} within ${options.timeoutMs} ms (is it a gateway, and is it ready? GET /health/ready; a gateway that resumes waits until it reads the stream)`,
        ),
      options.timeoutMs,
    );

    socket.on('connect_error', (error: Error & { data?: Partial<ConnectErrorData> }) => {
      if (error.data?.code) {
        const { code, message } = error.data;
        if (established && code === 'SERVER_AT_CAPACITY') {
          // A draining gateway refuses the reconnection it caused; another (or it, restarted) will not.
          info(`reconnection refused: ${code}: ${message ?? ''}; trying again in 1 s`);
          setTimeout(() => finished || socket.connect(), 1000);
          return;
        }
        if (options.json) say(JSON.stringify({ type: 'connect_error', data: error.data }));
        finish(
          EXIT.refused,
          `refused: connect_error ${code}: ${message ?? ''}\n  what to do: ${refusalHint(code)}`,
        );
        return;
      }
      if (established) {
        info(`reconnecting: ${transportCause(error)}`);
        return;
      }
      if (error.message === 'timeout') {
        finish(
          EXIT.timeout,
          `timed out: ${where} did not answer the Socket.IO handshake within ${options.timeoutMs} ms`,
        );
        return;
      }
      finish(
        EXIT.unreachable,
        `cannot reach the gateway at ${where}: ${transportCause(error)}\n  what to do: check the URL and port (the gateway's default is 8765, GATEWAY_PORT), and that it runs (npm start, or npm run start:gateway)`,
      );
    });

    socket.on('connect', () => {
      const transport = socket.io.engine?.transport?.name ?? '?';
      info(
        `connected to ${where} in ${Math.round(performance.now() - started)} ms (transport ${transport}); waiting for connection_established`,
      );
    });

    socket.on('disconnect', (reason) => {
      if (finished) return;
      info(`disconnected: ${reason}`);
      // After a server-side disconnect socket.io-client does not reconnect by itself.
      if (reason === 'io server disconnect') socket.connect();
    });

    socket.on('connection_established', (message: ConnectionEstablishedMessage) => {
      clearTimeout(handshakeTimer);
      if (options.json) say(JSON.stringify(message));
      for (const line of establishedLines(message)) info(line);
      if (!lastPosition && message.position) lastPosition = message.position;
      const first = !established;
      established = true;
      if (!first) return;
      const pingStarted = performance.now();
      socket
        .timeout(options.timeoutMs)
        .emitWithAck('ping', {})
        .then((pong: PongMessage) => {
          const ms = performance.now() - pingStarted;
          info(`ping: ${ms.toFixed(1)} ms round trip (pong server_time ${pong.server_time})`);
          info('listening for events (Ctrl-C to stop)');
        })
        .catch(() =>
          finish(EXIT.timeout, `timed out: no pong within ${options.timeoutMs} ms of the ping`),
        );
    });

    socket.onAny((name: string, body: unknown) => {
      // The pong is reported by the ping's acknowledgement (with the round trip).
      if (name === 'connection_established' || name === 'pong' || finished) return;
      if (name === 'stream_event') {
        const event = ((body ?? {}) as { event?: LooseEvent }).event ?? {};
        const position = event.resume_token ?? event.stream_id;
        if (typeof position === 'string') lastPosition = position;
        events += 1;
        say(options.json ? JSON.stringify(body) : eventLine(event));
        if (options.count !== undefined && events >= options.count) {
          finish(EXIT.ok, `received ${events} stream events (--count)`);
        }
        return;
      }
      if (name === 'stream_reset') {
        const position = ((body ?? {}) as { position?: unknown }).position;
        if (typeof position === 'string') lastPosition = position;
      }
      say(options.json ? JSON.stringify(body) : messageLine(name, body));
    });
  });
}

export async function main(argv: readonly string[]): Promise<number> {
  let options: TestConnectionOptions;
  try {
    options = parseOptions(argv, process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`error: ${error.message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  return run(options);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`error: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(EXIT.failed);
    },
  );
}
