/**
 * `npm run tail`: follows the event stream itself — the Redis stream (XREAD) or the Kafka topic —
 * with the environment the apps read, one line per event. `--help` for usage.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type AurenConfig } from '@auren/config';
import {
  eventLine,
  listValues,
  matchesFilter,
  redactUrl,
  type EventFilter,
  type LooseEvent,
} from './event-line';

export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  /** Redis or Kafka could not be reached (or the topic does not exist). */
  unreachable: 4,
  /** The environment is not a configuration the apps would start with (same code as the apps). */
  config: 78,
} as const;

/** The variables the tail reads: those that say where the stream is (docs/configuration.md). */
export const STREAM_VARIABLES = [
  'AUREN_STREAM_BACKEND',
  'REDIS_URL',
  'AUREN_REDIS_CLUSTER',
  'AUREN_REDIS_CLUSTER_NODES',
  'AUREN_STREAM_KEY',
  'KAFKA_BROKERS',
  'AUREN_KAFKA_TOPIC',
] as const;

export const USAGE = `Usage: npm run tail -- [options]

Follows the AUREN event stream itself, below ingest and the gateways: the Redis stream (XREAD
BLOCK) or the Kafka topic (a consumer with a throwaway group that commits nothing). It finds the
stream from the environment the apps read: AUREN_STREAM_BACKEND, REDIS_URL (AUREN_REDIS_CLUSTER,
AUREN_REDIS_CLUSTER_NODES), AUREN_STREAM_KEY, KAFKA_BROKERS, AUREN_KAFKA_TOPIC
(docs/configuration.md). One line per event:

  09:39:22.000Z 1732441762000-0 llm_call neuroscientist model=gpt-4o latency=820ms tokens=1200 cost=$0.0040 conf=0.91 id=<event_id>

(time of the event, UTC; its position; type; agent[->target]; the fields that matter; event_id)

Where to start (default: new events only, from the end of the stream):
  --from POSITION      after this position: a Redis stream id (1732441800000-0; 0 = the start),
                       or with Kafka a resume_token (k:16,8,0)
  --last N             the newest N events first (with Kafka: N per partition), then follow

Which events:
  --agent IDS          only these source_agent ids (comma-separated or repeated)
  --type TYPES         only these event types (comma-separated or repeated); a trailing * matches
                       a prefix: --type 'custom.*'

Output and backend:
  --json               each event as its JSON (with stream_id) on one line, nothing else on stdout
  --count N            exit once N events have been printed
  --backend B          redis or kafka: overrides AUREN_STREAM_BACKEND (hybrid follows Redis
                       unless --backend kafka)
  -h, --help           this text

Exit codes: 0 done (Ctrl-C, or --count reached); 2 bad options; 4 Redis or Kafka unreachable
(the message names the address and what to run); 78 the environment is not a valid
configuration (as the apps exit); 1 anything else.`;

export class UsageError extends Error {}

export interface TailOptions {
  from?: string;
  last?: number;
  filter: EventFilter;
  json: boolean;
  count?: number;
  backend?: 'redis' | 'kafka';
  help: boolean;
}

const REDIS_ID = /^\d{1,20}(-\d{1,20})?$/;
const KAFKA_TOKEN = /^k:\d{1,15}(,\d{1,15}){0,1023}$/;

export function parseOptions(argv: readonly string[]): TailOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        from: { type: 'string' },
        last: { type: 'string' },
        agent: { type: 'string', multiple: true },
        type: { type: 'string', multiple: true },
        json: { type: 'boolean', default: false },
        count: { type: 'string' },
        backend: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const integer = (flag: string, raw: string | undefined) => {
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) {
      throw new UsageError(`${flag} must be a positive integer, got "${raw}"`);
    }
    return value;
  };
  if (values.from !== undefined && values.last !== undefined) {
    throw new UsageError('--from and --last do not go together: choose one place to start');
  }
  if (values.from !== undefined && !REDIS_ID.test(values.from) && !KAFKA_TOKEN.test(values.from)) {
    throw new UsageError(
      `--from must be a Redis stream id (1732441800000-0, or 0 for the start) or a Kafka resume_token (k:16,8,0), got "${values.from}"`,
    );
  }
  const backend = values.backend;
  if (backend !== undefined && backend !== 'redis' && backend !== 'kafka') {
    throw new UsageError(`--backend must be redis or kafka, got "${backend}"`);
  }
  return {
    from: values.from,
    last: integer('--last', values.last),
    filter: { agents: listValues(values.agent), types: listValues(values.type) },
    json: values.json ?? false,
    count: integer('--count', values.count),
    backend,
    help: values.help ?? false,
  };
}

/** Where the stream is: the apps' configuration from the stream variables of `env` only. */
export type StreamTarget =
  | { backend: 'redis'; config: AurenConfig; note?: string }
  | { backend: 'kafka'; config: AurenConfig; note?: string };

export class TargetError extends Error {}

/**
 * The stream to follow. Throws ConfigError (as the apps would) for bad variables, TargetError
 * when there is nothing a separate process can follow (the memory stream).
 */
export function streamTarget(env: NodeJS.ProcessEnv, backend?: 'redis' | 'kafka'): StreamTarget {
  const picked: NodeJS.ProcessEnv = {};
  for (const name of STREAM_VARIABLES) picked[name] = env[name];
  if (backend) picked.AUREN_STREAM_BACKEND = backend;
  const config = loadConfig(picked);
  switch (config.stream.backend) {
    case 'redis':
      return { backend: 'redis', config };
    case 'kafka':
      return { backend: 'kafka', config };
    case 'hybrid':
      return {
        backend: 'redis',
        config,
        note: 'AUREN_STREAM_BACKEND=hybrid: following the Redis copy (--backend kafka follows the Kafka one)',
      };
    default:
      throw new TargetError(
        'the stream backend is memory (no REDIS_URL, or AUREN_STREAM_BACKEND=memory): that stream lives inside the app process and no other process can read it. Run the apps with REDIS_URL (for example REDIS_URL=redis://127.0.0.1:6379 npm start) and tail with the same REDIS_URL, or watch through the gateway: npm run test-connection',
      );
  }
}

/** What a stored record holds: an event, a hybrid tombstone, or something else. */
export type RecordContent =
  | { kind: 'event'; event: LooseEvent }
  | { kind: 'tombstone'; eventId: string }
  | { kind: 'poison'; reason: string };

export function readRecord(json: string | undefined): RecordContent {
  if (json === undefined) return { kind: 'poison', reason: 'no "event" field' };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { kind: 'poison', reason: `not JSON: ${json.slice(0, 80)}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { kind: 'poison', reason: `not an object: ${json.slice(0, 80)}` };
  }
  const record = value as Record<string, unknown>;
  if (typeof record.auren_tombstone === 'string') {
    return { kind: 'tombstone', eventId: record.auren_tombstone };
  }
  return { kind: 'event', event: record };
}

/** Prints records as they come; counts what it printed. */
class Printer {
  printed = 0;

  constructor(
    private readonly options: TailOptions,
    private readonly done: () => void,
  ) {}

  record(position: string, json: string | undefined): void {
    const content = readRecord(json);
    const { filter, json: asJson } = this.options;
    const unfiltered = filter.agents.length === 0 && filter.types.length === 0;
    if (content.kind === 'event') {
      if (!matchesFilter(content.event, filter)) return;
      this.printed += 1;
      process.stdout.write(
        `${asJson ? JSON.stringify({ ...content.event, stream_id: position }) : eventLine(content.event, position)}\n`,
      );
      if (this.options.count !== undefined && this.printed >= this.options.count) this.done();
      return;
    }
    if (!unfiltered) return;
    const line =
      content.kind === 'tombstone'
        ? `${position} tombstone: event ${content.eventId} was taken back (a hybrid write that did not reach both backends)`
        : `${position} skipped, not an AUREN event: ${content.reason}`;
    if (asJson) process.stderr.write(`${line}\n`);
    else process.stdout.write(`${line}\n`);
  }
}

const status = (line: string) => process.stderr.write(`${line}\n`);

/** Follows the Redis stream. Resolves with the exit code. */
async function tailRedis(config: AurenConfig, options: TailOptions): Promise<number> {
  const { createRedisClient } = await import('@auren/streaming');
  const target = config.stream.redis ?? { url: config.stream.redisUrl as string };
  const key = config.stream.key;
  const where = redactUrl(target.url);
  let connected = false;
  let stopping = false;
  const client = createRedisClient(target, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    // Fail fast at start (say what is wrong); once following, reconnect and go on.
    retryStrategy: (attempt) => (connected && !stopping ? Math.min(attempt * 200, 2000) : null),
  });
  // ioredis reports the cause (ECONNREFUSED, ENOTFOUND, NOAUTH...) here, not in connect()'s error.
  let cause: string | undefined;
  client.on('error', (error: Error) => (cause = error.message));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    status(
      `cannot reach Redis at ${where} (REDIS_URL): ${cause ?? (error as Error).message}\n  what to do: start Redis (redis-server, or docker compose up -d redis) or set REDIS_URL to the Redis the apps use`,
    );
    return EXIT.unreachable;
  }
  connected = true;

  const stop = () => {
    stopping = true;
    client.disconnect();
  };
  const printer = new Printer(options, stop);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  let position: string;
  if (options.last !== undefined) {
    const newest = (await client.xrevrange(key, '+', '-', 'COUNT', options.last)) as Array<
      [string, string[]]
    >;
    position = newest[0]?.[0] ?? '0-0';
    newest.reverse();
    status(
      `following Redis stream ${key} at ${where}: the last ${newest.length} events, then new ones (Ctrl-C to stop)`,
    );
    for (const [id, fields] of newest) {
      if (!stopping) printer.record(id, fieldOf(fields));
    }
  } else if (options.from !== undefined) {
    if (KAFKA_TOKEN.test(options.from)) {
      stop();
      status('--from k:... is a Kafka position; with Redis give a stream id (1732441800000-0)');
      return EXIT.usage;
    }
    position = options.from;
    status(`following Redis stream ${key} at ${where} after ${position} (Ctrl-C to stop)`);
  } else {
    // `$` pinned to the stream's newest id now, so that nothing written from here on is missed.
    const newest = (await client.xrevrange(key, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
    position = newest[0]?.[0] ?? '0-0';
    status(
      `following Redis stream ${key} at ${where} from its end (${position}); new events appear here (Ctrl-C to stop)`,
    );
  }

  let failing = false;
  while (!stopping) {
    try {
      const reply = await client.xread('COUNT', 500, 'BLOCK', 5000, 'STREAMS', key, position);
      if (failing) status(`Redis at ${where} answers again; going on after ${position}`);
      failing = false;
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          position = id;
          if (!stopping) printer.record(id, fieldOf(fields));
        }
      }
    } catch (error) {
      if (stopping) break;
      if (!failing) {
        status(
          `Redis at ${where} is not answering (${(error as Error).message}); retrying after ${position}`,
        );
      }
      failing = true;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  status(`stopped: ${printer.printed} event${printer.printed === 1 ? '' : 's'} shown`);
  return EXIT.ok;
}

function fieldOf(fields: string[]): string | undefined {
  const at = fields.indexOf('event');
  return at >= 0 && at % 2 === 0 ? fields[at + 1] : undefined;
}

/** Follows the Kafka topic with a throwaway consumer group. Resolves with the exit code. */
async function tailKafka(config: AurenConfig, options: TailOptions): Promise<number> {
  const { Kafka, logLevel } = await import('kafkajs');
  const { parseKafkaToken, nextOffset } = await import('@auren/streaming');
  const brokers = config.stream.kafkaBrokers;
  const topic = config.stream.kafkaTopic;
  const where = brokers.join(',');
  if (options.from !== undefined && !KAFKA_TOKEN.test(options.from)) {
    status(
      `--from ${options.from} is a Redis position; with Kafka give a resume_token (k:16,8,0), the resume_token of an event`,
    );
    return EXIT.usage;
  }
  const kafka = new Kafka({
    clientId: 'auren-tail',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1000 },
  });
  const admin = kafka.admin();
  let offsets: Array<{ partition: number; high: string; low: string }>;
  try {
    await admin.connect();
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) {
      await admin.disconnect();
      status(
        `Kafka at ${where} has no topic ${topic} (AUREN_KAFKA_TOPIC) yet: ingest creates it on its first write, a gateway at its start. Start them, or check AUREN_KAFKA_TOPIC`,
      );
      return EXIT.unreachable;
    }
    offsets = await admin.fetchTopicOffsets(topic);
  } catch (error) {
    await admin.disconnect().catch(() => undefined);
    status(
      `cannot reach Kafka at ${where} (KAFKA_BROKERS): ${(error as Error).message}\n  what to do: start a broker (npm run kafka starts one and prints its address) or set KAFKA_BROKERS to the brokers the apps use`,
    );
    return EXIT.unreachable;
  }
  await admin.disconnect();

  const vector = options.from !== undefined ? parseKafkaToken(options.from) : undefined;
  const start = offsets
    .sort((a, b) => a.partition - b.partition)
    .map(({ partition, high, low }) => {
      const end = Number(high);
      const first = Number(low);
      let offset = end;
      if (vector) offset = Math.max(first, Math.min(end, nextOffset(vector, partition)));
      else if (options.last !== undefined) offset = Math.max(first, end - options.last);
      return { partition, offset };
    });

  const groupId = `auren-tail-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const consumer = kafka.consumer({
    groupId,
    maxWaitTimeInMs: 100,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    allowAutoTopicCreation: false,
  });
  let stopping = false;
  let finish: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (finish = resolve));
  const stop = () => {
    if (stopping) return;
    stopping = true;
    finish();
  };
  const printer = new Printer(options, stop);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachMessage: ({ partition, message }) => {
        if (!stopping) printer.record(`${partition}-${message.offset}`, message.value?.toString());
        return Promise.resolve();
      },
    });
    for (const { partition, offset } of start) {
      consumer.seek({ topic, partition, offset: String(offset) });
    }
  } catch (error) {
    await consumer.disconnect().catch(() => undefined);
    status(`cannot follow ${topic} at ${where}: ${(error as Error).message}`);
    return EXIT.unreachable;
  }
  const at = `k:${start.map((s) => s.offset).join(',')}`;
  status(
    `following Kafka topic ${topic} at ${where} from ${at}${options.last !== undefined ? ` (the last ${options.last} per partition)` : ''} (Ctrl-C to stop)`,
  );
  await stopped;
  await consumer.disconnect().catch(() => undefined);
  // The group was only a way to read (kafkajs has no group-less consumer): leave nothing behind.
  const cleanup = kafka.admin();
  await cleanup
    .connect()
    .then(() => cleanup.deleteGroups([groupId]))
    .catch(() => undefined)
    .finally(() => cleanup.disconnect().catch(() => undefined));
  status(`stopped: ${printer.printed} event${printer.printed === 1 ? '' : 's'} shown`);
  return EXIT.ok;
}

export async function main(argv: readonly string[], env = process.env): Promise<number> {
  let options: TailOptions;
  try {
    options = parseOptions(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`error: ${error.message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  let target: StreamTarget;
  try {
    target = streamTarget(env, options.backend);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof TargetError) {
      process.stderr.write(`error: ${error.message}\n`);
      return EXIT.config;
    }
    throw error;
  }
  if (target.note) status(target.note);
  return target.backend === 'redis'
    ? tailRedis(target.config, options)
    : tailKafka(target.config, options);
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
