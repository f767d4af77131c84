/**
 * Test-event generator: posts a continuous multi-agent scenario to AUREN ingest, or (with
 * `--days`) backfills days of history straight into the history database (scripts/backfill.ts).
 * Run `npx tsx scripts/generate-events.ts --help` for usage.
 */
import { BACKFILL_USAGE, backfillMain } from './backfill';
import { Scenario, type ScenarioEvent } from './scenario';

export const USAGE = `Usage: npx tsx scripts/generate-events.ts [options]

Posts a realistic, continuous multi-agent scenario (all nine agent event types, linked by
trace_id / session_id / parent_event_id) to AUREN ingest's POST /v1/events.

Options:
  --rate N     events per second (default 10)
  --count N    stop after N events (default: run until Ctrl-C)
  --url URL    ingest base URL (default http://127.0.0.1:3000, or the port in $INGEST_PORT)
  --token T    send "Authorization: Bearer T" (default: none, which development mode accepts)
  --batch N    events per request, 1..1000; N > 1 posts {"events":[...]} to /v1/events/batch
  --seed N     seed for a reproducible scenario (default: random, printed at start).
               The same seed gives the same event_ids, so ingest answers a re-run with
               duplicate:true and streams those events only once.
  --help       show this help

Progress goes to stderr every second. Exit code: 0 when done, 1 if every request failed,
2 on a usage error.

With --days N it backfills history into the history database instead (see below).

${BACKFILL_USAGE}`;

/** Whether the command line asks for the backfill mode (`--days`). */
export function isBackfill(argv: readonly string[]): boolean {
  return argv.some((arg) => arg === '--days' || arg.startsWith('--days='));
}

export interface CliOptions {
  rate: number;
  count: number | undefined;
  url: string;
  token: string | undefined;
  batch: number;
  seed: number;
  help: boolean;
}

export class UsageError extends Error {}

function positiveNumber(flag: string, raw: string, integer: boolean, max = Infinity): number {
  const value = Number(raw);
  if (
    !Number.isFinite(value) ||
    value <= 0 ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    const kind = integer ? 'a positive integer' : 'a positive number';
    throw new UsageError(
      `${flag} must be ${kind}${max < Infinity ? ` up to ${max}` : ''}, got "${raw}"`,
    );
  }
  return value;
}

/** Parses the command line (without `node script`); throws UsageError on bad input. */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): CliOptions {
  const port = env.INGEST_PORT && /^\d+$/.test(env.INGEST_PORT) ? env.INGEST_PORT : '3000';
  const options: CliOptions = {
    rate: 10,
    count: undefined,
    url: `http://127.0.0.1:${port}`,
    token: undefined,
    batch: 1,
    seed: Math.floor(Math.random() * 2 ** 32),
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      options.help = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const takeValue = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const value = argv[++i];
      if (value === undefined) throw new UsageError(`${flag} needs a value`);
      return value;
    };
    switch (flag) {
      case '--rate':
        options.rate = positiveNumber(flag, takeValue(), false, 1_000_000);
        break;
      case '--count':
        options.count = positiveNumber(flag, takeValue(), true);
        break;
      case '--batch':
        options.batch = positiveNumber(flag, takeValue(), true, 1000);
        break;
      case '--seed': {
        const raw = takeValue();
        if (!/^\d+$/.test(raw))
          throw new UsageError(`--seed must be a non-negative integer, got "${raw}"`);
        options.seed = Number(BigInt(raw) % 4294967296n);
        break;
      }
      case '--token':
        options.token = takeValue() || undefined;
        break;
      case '--url':
        options.url = parseUrl(takeValue());
        break;
      default:
        throw new UsageError(`unknown option "${arg}"`);
    }
  }
  return options;
}

function parseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url must be an absolute http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--url must use http or https, got "${raw}"`);
  }
  return url.toString().replace(/\/+$/, '');
}

/** Milliseconds to wait from a Retry-After header (seconds or HTTP date), capped at 60 s. */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  const ms = /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - nowMs;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(ms, 0), 60_000);
}

/** What one POST came to. */
export type PostOutcome =
  | { kind: 'accepted'; duplicates: number; ms: number }
  | { kind: 'retryable'; status: number; message: string; retryAfterMs: number | undefined }
  | { kind: 'rejected'; status: number; message: string }
  | { kind: 'network'; code: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The human part of an error body `{statusCode, error, message, details?}`. */
export function errorMessage(text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return text.slice(0, 300) || '(empty body)';
  }
  if (!isRecord(body)) return text.slice(0, 300);
  const raw = body.message;
  let message = Array.isArray(raw) ? raw.join('; ') : typeof raw === 'string' ? raw : '';
  if (!message && typeof body.error === 'string') message = body.error;
  if (body.details !== undefined) message += ` ${JSON.stringify(body.details).slice(0, 300)}`;
  return message || text.slice(0, 300);
}

function countDuplicates(text: string): number {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 0;
  }
  if (!isRecord(body)) return 0;
  if (Array.isArray(body.results)) {
    return body.results.filter((r: unknown) => isRecord(r) && r.duplicate === true).length;
  }
  return body.duplicate === true ? 1 : 0;
}

function networkCode(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'TIMEOUT';
    const cause: unknown = (error as Error & { cause?: unknown }).cause;
    if (isRecord(cause) && typeof cause.code === 'string') return cause.code;
    return error.message;
  }
  return String(error);
}

async function post(
  url: string,
  token: string | undefined,
  events: ScenarioEvent[],
): Promise<PostOutcome> {
  const batch = events.length > 1;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const started = performance.now();
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${url}/v1/events${batch ? '/batch' : ''}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(batch ? { events } : events[0]),
      signal: AbortSignal.timeout(10_000),
    });
    text = await response.text();
  } catch (error) {
    return { kind: 'network', code: networkCode(error) };
  }
  const ms = performance.now() - started;
  if (response.ok) return { kind: 'accepted', duplicates: countDuplicates(text), ms };
  const message = errorMessage(text);
  if (response.status === 429 || response.status === 503) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    return { kind: 'retryable', status: response.status, message, retryAfterMs };
  }
  return { kind: 'rejected', status: response.status, message };
}

const MAX_IN_FLIGHT = 32;
const MAX_ATTEMPTS = 5;
const STARTUP_GRACE_MS = 5000;

class Stats {
  sent = 0;
  accepted = 0;
  duplicates = 0;
  failed = 0;
  requests = 0;
  failedRequests = 0;
  retries = 0;
  readonly latencies: number[] = [];

  percentile(p: number): number {
    if (this.latencies.length === 0) return 0;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
  }
}

/** Prints each kind of error at most once a second, with how many were folded in. */
class ErrorLog {
  private readonly seen = new Map<string, { last: number; folded: number }>();

  print(key: string, line: string): void {
    const now = Date.now();
    const entry = this.seen.get(key);
    if (entry && now - entry.last < 1000) {
      entry.folded += 1;
      return;
    }
    const more = entry && entry.folded > 0 ? ` (+${entry.folded} more like it)` : '';
    this.seen.set(key, { last: now, folded: 0 });
    process.stderr.write(`${line}${more}\n`);
  }

  once(key: string, line: string): void {
    if (this.seen.has(key)) return;
    this.seen.set(key, { last: Date.now(), folded: 0 });
    process.stderr.write(`${line}\n`);
  }
}

class Generator {
  readonly stats = new Stats();
  private readonly scenario: Scenario;
  private readonly errors = new ErrorLog();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly startedAt = performance.now();
  private pausedUntil = 0;
  private everConnected = false;
  private stopping = false;
  private wake: () => void = () => undefined;
  fatal: string | undefined;

  constructor(private readonly options: CliOptions) {
    this.scenario = new Scenario({ seed: options.seed });
  }

  stop(): void {
    this.stopping = true;
    this.wake();
  }

  /** Sleeps, waking early on stop() or when a request finishes. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  async run(): Promise<void> {
    const { rate, batch, count } = this.options;
    const perEventMs = 1000 / rate;
    const maxBurstMs = Math.max(250, perEventMs * batch);
    let nextAt = performance.now();
    while (!this.stopping && (count === undefined || this.stats.sent < count)) {
      const now = performance.now();
      if (now < this.pausedUntil) {
        await this.sleep(this.pausedUntil - now);
        nextAt = Math.max(nextAt, performance.now()); // resume gently, without a burst
        continue;
      }
      if (this.inFlight.size >= MAX_IN_FLIGHT) {
        await this.sleep(1000);
        continue;
      }
      if (now < nextAt) {
        await this.sleep(nextAt - now);
        continue;
      }
      if (now - nextAt > maxBurstMs) nextAt = now; // a stalled loop catches up only a little
      const size = count === undefined ? batch : Math.min(batch, count - this.stats.sent);
      const events = this.scenario.take(size);
      this.stats.sent += size;
      nextAt += perEventMs * size;
      const task = this.deliver(events).finally(() => {
        this.inFlight.delete(task);
        if (this.inFlight.size === MAX_IN_FLIGHT - 1) this.wake();
      });
      this.inFlight.add(task);
    }
    await this.drain();
  }

  private async drain(): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (this.inFlight.size > 0 && Date.now() < deadline) {
      await Promise.race([
        Promise.allSettled([...this.inFlight]),
        new Promise((r) => setTimeout(r, 500)),
      ]);
    }
  }

  private async deliver(events: ScenarioEvent[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) this.stats.retries += 1;
      this.stats.requests += 1;
      const outcome = await post(this.options.url, this.options.token, events);
      if (outcome.kind === 'accepted') {
        this.everConnected = true;
        this.stats.accepted += events.length;
        this.stats.duplicates += outcome.duplicates;
        if (this.stats.latencies.length < 200_000) this.stats.latencies.push(outcome.ms);
        return;
      }
      this.stats.failedRequests += 1;
      const waitMs = this.handleFailure(outcome, attempt);
      // Waiting for ingest to come up is bounded by the start-up grace, not by attempts.
      const exhausted = attempt >= MAX_ATTEMPTS && this.everConnected;
      if (waitMs === undefined || exhausted || this.stopping) {
        this.stats.failed += events.length;
        return;
      }
      this.pausedUntil = Math.max(this.pausedUntil, performance.now() + waitMs);
      while (!this.stopping && performance.now() < this.pausedUntil) {
        await new Promise((r) =>
          setTimeout(r, Math.min(250, this.pausedUntil - performance.now())),
        );
      }
    }
  }

  /** Reports a failed attempt; returns how long to back off before a retry, or undefined. */
  private handleFailure(
    outcome: Exclude<PostOutcome, { kind: 'accepted' }>,
    attempt: number,
  ): number | undefined {
    const backoff = Math.min(500 * 2 ** (attempt - 1), 10_000);
    if (outcome.kind === 'network') {
      const { url } = this.options;
      const hint = 'is ingest running? start it with npm start';
      if (!this.everConnected) {
        if (performance.now() - this.startedAt > STARTUP_GRACE_MS) {
          this.fatal = `cannot reach ${url} (${outcome.code}): ${hint}`;
          this.stop();
          return undefined;
        }
        this.errors.once('wait', `waiting for ingest at ${url} (${outcome.code}); ${hint}`);
        return 500;
      }
      this.errors.print(
        `net:${outcome.code}`,
        `cannot reach ${url} (${outcome.code}): ${hint}; backing off`,
      );
      return backoff;
    }
    this.everConnected = true;
    const line = `HTTP ${outcome.status}: ${outcome.message}`;
    if (outcome.kind === 'rejected') {
      this.errors.print(`http:${outcome.status}:${outcome.message}`, line);
      return undefined;
    }
    const waitMs = outcome.retryAfterMs ?? backoff;
    this.errors.print(
      `http:${outcome.status}`,
      `${line}; backing off ${(waitMs / 1000).toFixed(1)} s`,
    );
    return waitMs;
  }

  elapsedSeconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }
}

function startProgress(generator: Generator): () => void {
  let lastSent = 0;
  let lastAt = performance.now();
  const timer = setInterval(() => {
    const { stats } = generator;
    const now = performance.now();
    const rate = ((stats.sent - lastSent) * 1000) / Math.max(1, now - lastAt);
    lastSent = stats.sent;
    lastAt = now;
    process.stderr.write(
      `[${generator.elapsedSeconds().toFixed(0).padStart(4)}s] sent ${stats.sent}` +
        `  accepted ${stats.accepted}` +
        `  failed ${stats.failed}  duplicates ${stats.duplicates}  rate ${rate.toFixed(1)}/s\n`,
    );
  }, 1000);
  return () => clearInterval(timer);
}

function summary(generator: Generator): string {
  const { stats } = generator;
  const seconds = generator.elapsedSeconds();
  const avg = seconds > 0 ? stats.accepted / seconds : 0;
  return (
    `done in ${seconds.toFixed(1)} s: sent ${stats.sent}, accepted ${stats.accepted} ` +
    `(${stats.duplicates} duplicate), failed ${stats.failed}, ` +
    `${avg.toFixed(1)} accepted events/s; ` +
    `${stats.requests} requests (${stats.failedRequests} failed, ${stats.retries} retries)` +
    (stats.latencies.length === 0
      ? ''
      : `; ack latency p50 ${stats.percentile(50).toFixed(1)} ms,` +
        ` p99 ${stats.percentile(99).toFixed(1)} ms`)
  );
}

export async function main(argv: readonly string[]): Promise<number> {
  if (isBackfill(argv)) {
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(`${BACKFILL_USAGE}\n`);
      return 0;
    }
    return backfillMain(argv);
  }
  let options: CliOptions;
  try {
    options = parseArgs(argv, process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`error: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const generator = new Generator(options);
  const target =
    options.batch > 1
      ? `${options.url}/v1/events/batch (batch ${options.batch})`
      : `${options.url}/v1/events`;
  const count = options.count === undefined ? 'until Ctrl-C' : `${options.count} events`;
  process.stderr.write(
    `posting to ${target} at ${options.rate}/s, ${count}, seed ${options.seed}\n`,
  );

  let interrupts = 0;
  const onSignal = (): void => {
    interrupts += 1;
    if (interrupts > 1) {
      process.stderr.write(`\n${summary(generator)}\n`);
      process.exit(130);
    }
    process.stderr.write('\nstopping, waiting for requests in flight (Ctrl-C again to quit now)\n');
    generator.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const stopProgress = startProgress(generator);
  try {
    await generator.run();
  } finally {
    stopProgress();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (generator.fatal) process.stderr.write(`error: ${generator.fatal}\n`);
  process.stderr.write(`${summary(generator)}\n`);
  const { stats } = generator;
  return generator.fatal || (stats.accepted === 0 && stats.requests > 0) ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`error: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
