/**
 * AUREN benchmark runner: `npm run bench [-- options]`. Run with --help for usage.
 *
 * Starts a redis-server of its own, builds dist/ when the sources changed, runs the selected
 * scenarios one after the other (each starts and stops its own servers and load generators),
 * prints the table, and writes bench/results/<timestamp>.json and .md.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RedisServer, pingRedis } from '../test/harness/redis';
import { killAllNow, openFilesLimit, ROOT, stopAll, FD_NEEDED } from './lib/processes';
import { hardware, markdown, source, type RunReport } from './lib/report';
import type { Scenario, ScenarioContext, ScenarioResult } from './lib/scenario';
import { buildDist } from './lib/servers';
import { p1Ingest, p2IngestBatch } from './scenarios/p1-p2-ingest';
import { p3Fanout } from './scenarios/p3-fanout';
import { p4Latency } from './scenarios/p4-latency';
import { p5IdleMemory } from './scenarios/p5-idle-memory';
import { p6Kafka } from './scenarios/p6-kafka';
import { p7Fairness } from './scenarios/p7-fairness';
import { h1HistoryWriter } from './scenarios/h1-history-writer';
import { h2HistoryQueries } from './scenarios/h2-history-queries';
import { a1Alerts } from './scenarios/a1-alerts';
import { d1Dashboard } from './scenarios/d1-dashboard';

/**
 * The scenarios, in the order a run measures them. Add new ones here (see docs/performance.md,
 * "Adding a scenario"); `--only` and the report pick them up.
 */
const SCENARIOS: Scenario[] = [
  p1Ingest,
  p2IngestBatch,
  p3Fanout,
  p4Latency,
  p5IdleMemory,
  p6Kafka,
  p7Fairness,
  h1HistoryWriter,
  h2HistoryQueries,
  a1Alerts,
  d1Dashboard,
];

const USAGE = `Usage: npm run bench [-- options]

Runs AUREN's benchmark scenarios, each against a raw baseline measured in the same run, and
writes bench/results/<timestamp>.json and .md.

Options:
  --quick           short runs (about 2 minutes in all) for a smoke check
  --only IDS        comma-separated scenario ids, e.g. --only P3,P5
  --profile         CPU-profile each server during the measurement of P1, P2, P3 and P6's
                    ingest rounds (V8 inspector); writes bench/results/<timestamp>/<p1|p2|p3>-<server>-round<N>.cpuprofile
                    (P6: p6-<kafka|redis>-<single|batch>-round<N>.cpuprofile), which
                    npx tsx bench/tools/profile-summary.ts <file> summarizes
  --redis-url URL   use this Redis instead of starting a redis-server
  --no-build        use dist/ as it is (default: node scripts/build.mjs first, which
                    compiles only when the sources changed)
  --help            this text

Exit code: 0 when every scenario ran (goals met or not: see the table), 1 when one failed.

Scenarios:
${SCENARIOS.map((s) => `  ${s.id}  ${s.title}\n      ${s.description}`).join('\n')}

AUREN_BENCH_DIST=<dir> runs the AUREN apps from that build instead of dist/ (use with --no-build).

H1, H2 and A1 start a PostgreSQL server of their own (test/harness/postgres.ts); A1 also runs the
history service from dist/ with 100 alert rules (AUREN_ALERT_RULES_FILE, written per run).

Servers, clients and redis-server share this machine; compare the ratios, not raw figures
across machines. See docs/performance.md.`;

interface Options {
  quick: boolean;
  only?: string[];
  profile: boolean;
  build: boolean;
  redisUrl?: string;
}

function parseArgs(argv: string[]): Options | 'help' {
  const options: Options = { quick: false, profile: false, build: true };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--help' || arg === '-h') return 'help';
    else if (arg === '--quick') options.quick = true;
    else if (arg === '--profile') options.profile = true;
    else if (arg === '--no-build') options.build = false;
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const list = arg.includes('=') ? arg.slice('--only='.length) : value();
      options.only = list
        .split(',')
        .map((s) => s.trim().toUpperCase())
        .filter(Boolean);
      const unknown = options.only.filter((id) => !SCENARIOS.some((s) => s.id === id));
      if (unknown.length)
        throw new Error(
          `unknown scenario ${unknown.join(', ')}; available: ${SCENARIOS.map((s) => s.id).join(', ')}`,
        );
    } else if (arg === '--redis-url') options.redisUrl = value();
    else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

function stamp(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-').replace('Z', '');
}

async function main(): Promise<number> {
  let options: Options | 'help';
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const log = (line: string) =>
    process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const started = new Date();
  const selected = SCENARIOS.filter((s) => !options.only || options.only.includes(s.id));
  const resultsDir = join(ROOT, 'bench', 'results');
  const artefactDir = join(resultsDir, stamp(started));
  mkdirSync(resultsDir, { recursive: true });
  if (options.profile) mkdirSync(artefactDir, { recursive: true });

  const limit = openFilesLimit();
  log(
    `open files: soft ${limit.soft}, hard ${limit.hard}${limit.raiseTo ? ` — children are raised to ${limit.raiseTo}` : limit.soft < FD_NEEDED ? ' — low, and the hard limit does not allow more: P5 may fail' : ''}`,
  );
  if (options.build) {
    log('building dist/ if the sources changed (node scripts/build.mjs)');
    buildDist();
  }

  let redisUrl = options.redisUrl;
  if (redisUrl) await pingRedis(redisUrl);
  else {
    redis = await RedisServer.start();
    redisUrl = redis.url;
    log(`redis-server started at ${redisUrl}`);
  }
  const context: ScenarioContext = {
    quick: options.quick,
    redisUrl,
    redisPid: redis?.pid,
    jwtSecret: randomBytes(36).toString('base64'),
    profile: options.profile,
    artefactDir,
    log,
    only: options.only,
  };
  const hw = hardware();
  const measured = source();
  log(
    `${options.quick ? 'quick' : 'full'} run of ${selected.map((s) => s.id).join(', ')} on ${hw.cpuModel} (${hw.cores} cores, ${hw.memoryGiB} GiB), Node ${hw.node}; servers and load generators share this machine`,
  );

  const results: ScenarioResult[] = [];
  const failures: Array<{ id: string; error: string }> = [];
  try {
    for (const scenario of selected) {
      log(`${scenario.id} — ${scenario.title}`);
      try {
        const began = Date.now();
        const result = await scenario.run(context);
        result.seconds = Math.round((Date.now() - began) / 1000);
        results.push(result);
        log(
          `${scenario.id}: AUREN ${result.auren.text}; baseline ${result.baseline.text}; ratio ${Number.isFinite(result.ratio) ? `${(result.ratio * 100).toFixed(1)} %` : 'n/a'}; goal ${result.goal}: ${result.met === null ? 'not judged' : result.met ? 'met' : 'NOT met'} (${result.seconds} s)`,
        );
      } catch (error) {
        const message = (error as Error).stack ?? String(error);
        failures.push({ id: scenario.id, error: message });
        log(`${scenario.id} failed: ${message}`);
        await stopAll();
      }
    }
  } finally {
    await stopAll();
    await redis?.dispose();
  }

  const report: RunReport = {
    startedAt: started.toISOString(),
    source: measured,
    mode: options.quick ? 'quick' : 'full',
    durationSeconds: Math.round((Date.now() - started.getTime()) / 1000),
    hardware: hw,
    results,
    failures,
  };
  const md = markdown(report);
  const base = join(resultsDir, stamp(started));
  writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${base}.md`, md);
  process.stdout.write(`\n${md}\nWritten: ${base}.json and ${base}.md\n`);
  return failures.length > 0 ? 1 : 0;
}

let redis: RedisServer | undefined;
process.on('SIGINT', () => {
  killAllNow();
  if (redis?.pid) process.kill(redis.pid, 'SIGKILL');
  process.exit(130);
});
main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`bench: ${error.stack ?? error.message}\n`);
    killAllNow();
    process.exit(1);
  },
);
