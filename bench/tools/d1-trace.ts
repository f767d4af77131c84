/**
 * Where D1's long tasks come from: starts what D1 starts (its own redis-server, AUREN ingest and a
 * gateway from dist/, the production dashboard in headless Chromium), opens one view, publishes
 * D1's load (2,000 events/s), records a Chromium trace (devtools.timeline + V8 GC) after a warm-up,
 * and prints each main-thread task over the budget with what it spent its time on (self time by
 * trace event: script by function and file, GC, style, layout, paint).
 *
 *   npx tsx bench/tools/d1-trace.ts [--view agent] [--seconds 20] [--warmup 6] [--budget 50]
 *                                   [--rate 2000] [--save trace.json] [--no-build]
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { signHs } from '../../test/harness/jwt';
import { RedisServer } from '../../test/harness/redis';
import { CHROMIUM, publish } from '../scenarios/d1-dashboard';
import { sleep } from '../lib/scenario';
import { buildDist, startAuren, startAurenIngest } from '../lib/servers';

const HELP = `d1-trace: what D1's long tasks spend their time on.

  --view NAME      overview | agent | traces | collaboration (default agent)
  --seconds N      traced seconds after the warm-up (default 20)
  --warmup N       seconds of load before tracing starts (default 6)
  --budget MS      report tasks longer than this (default 50)
  --rate N         events per second (default 2000)
  --then NAME      switch to this view halfway through the traced time (a view switch's cost)
  --save FILE      also write the raw trace (open it in chrome://tracing or Perfetto)
  --no-build       run dist/ as it is
  --help           this text
`;

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  tid: number;
  pid: number;
  cat: string;
  args?: { name?: string; data?: Record<string, unknown> };
}

const { values } = parseArgs({
  options: {
    view: { type: 'string', default: 'agent' },
    seconds: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '6' },
    budget: { type: 'string', default: '50' },
    rate: { type: 'string', default: '2000' },
    then: { type: 'string' },
    save: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

/** A readable label for a trace event: script by function and file, the rest by name. */
function label(event: TraceEvent): string {
  const data = (event.args?.data ?? {}) as Record<string, string | number | undefined>;
  if (event.name === 'FunctionCall' || event.name === 'v8.callFunction') {
    const fn = (data.functionName as string) || '(anonymous)';
    const url = String(data.url ?? '').replace(/^.*\//, '');
    return `script ${fn} ${url}:${String(data.lineNumber ?? '?')}`;
  }
  if (event.name === 'TimerFire') return 'TimerFire';
  if (event.name === 'EventDispatch') return `EventDispatch ${String(data.type ?? '')}`;
  return event.name;
}

async function main(): Promise<void> {
  const seconds = Number(values.seconds);
  const warmup = Number(values.warmup);
  const budgetUs = Number(values.budget) * 1000;
  if (!values['no-build']) buildDist();
  const redis = await RedisServer.start();
  const jwtSecret = randomBytes(32).toString('hex');
  const options = {
    redisUrl: redis.url,
    streamKey: `d1trace:${Date.now()}`,
    jwtSecret,
    apiKey: `trace-${randomBytes(16).toString('hex')}`,
  };
  const stops: Array<() => Promise<unknown>> = [() => redis.dispose()];
  try {
    const gateway = await startAuren(options);
    stops.unshift(() => gateway.stop());
    const ingest = await startAurenIngest(options);
    stops.unshift(() => ingest.stop());
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-background-networking'],
    });
    stops.unshift(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const token = signHs({ sub: 'd1-trace', permissions: ['all'] }, jwtSecret, {
      exp: Math.floor(Date.now() / 1000) + 3600,
    });
    await page.addInitScript(
      `try { sessionStorage.setItem('auren.dashboard.token', ${JSON.stringify(token)}); } catch {}`,
    );
    await page.goto(`${gateway.url}/`);
    await page.waitForSelector('[data-testid=status][data-state=connected]');
    let stop = false;
    const publishing = publish(ingest, warmup + seconds + 2, Number(values.rate), () => stop);
    if (values.view === 'agent') {
      await page.click('[data-testid=agent-card]', { timeout: 30_000 });
      await page.waitForSelector('[data-testid=view-agent]');
    } else if (values.view !== 'overview') {
      await page.click(`nav a[href="?view=${values.view}"]`);
    }
    process.stdout.write(`d1-trace: ${values.view} view open; warming up ${warmup} s\n`);
    await sleep(warmup * 1000);
    await browser.startTracing(page, {
      categories: [
        'devtools.timeline',
        'disabled-by-default-devtools.timeline',
        'v8',
        'v8.execute',
        'blink.user_timing',
      ],
    });
    process.stdout.write(`d1-trace: tracing ${seconds} s\n`);
    if (values.then) {
      await sleep((seconds * 1000) / 2);
      await page.click(`nav a[href="?view=${values.then}"]`);
      process.stdout.write(`d1-trace: switched to ${values.then}\n`);
      await sleep((seconds * 1000) / 2);
    } else await sleep(seconds * 1000);
    const buffer = await browser.stopTracing();
    stop = true;
    await publishing;
    if (values.save) writeFileSync(values.save, buffer);
    analyse(JSON.parse(buffer.toString('utf8')) as { traceEvents: TraceEvent[] }, budgetUs);
  } finally {
    for (const s of stops) await s().catch(() => undefined);
  }
}

function analyse(trace: { traceEvents: TraceEvent[] }, budgetUs: number): void {
  const events = trace.traceEvents;
  const main = events.find(
    (e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain',
  );
  if (!main) throw new Error('no renderer main thread in the trace');
  const onMain = events
    .filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.dur !== undefined)
    .sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
  const tasks = onMain.filter(
    (e) => e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask',
  );
  const totalTasks = tasks.reduce((s, t) => s + (t.dur ?? 0), 0);
  const span = onMain.length ? onMain.at(-1)!.ts - onMain[0].ts : 0;
  process.stdout.write(
    `main thread: ${tasks.length} tasks, busy ${(totalTasks / 1000).toFixed(0)} ms of ${(span / 1000).toFixed(0)} ms traced\n`,
  );
  // Self time of every event in the whole trace, by label (where the main thread's time goes).
  const overall = selfTimes(onMain);
  process.stdout.write('self time over the whole trace (top 15):\n');
  for (const [name, us] of top(overall, 15))
    process.stdout.write(`  ${(us / 1000).toFixed(1).padStart(8)} ms  ${name}\n`);
  const long = tasks.filter((t) => (t.dur ?? 0) > budgetUs);
  process.stdout.write(
    `\n${long.length} task(s) over ${budgetUs / 1000} ms (longest ${(Math.max(0, ...long.map((t) => t.dur ?? 0)) / 1000).toFixed(0)} ms)\n`,
  );
  for (const task of long) {
    const end = task.ts + (task.dur ?? 0);
    const inside = onMain.filter(
      (e) => e !== task && e.ts >= task.ts && e.ts + (e.dur ?? 0) <= end,
    );
    process.stdout.write(
      `\n task at +${((task.ts - onMain[0].ts) / 1000).toFixed(0)} ms: ${((task.dur ?? 0) / 1000).toFixed(1)} ms\n`,
    );
    for (const [name, us] of top(selfTimes([task, ...inside]), 12))
      process.stdout.write(`  ${(us / 1000).toFixed(1).padStart(8)} ms  ${name}\n`);
  }
}

/** Self time (duration minus nested children's) per label, for properly nested events. */
function selfTimes(sorted: TraceEvent[]): Map<string, number> {
  const out = new Map<string, number>();
  const stack: Array<{ event: TraceEvent; end: number; child: number }> = [];
  const close = (until: number) => {
    while (stack.length && stack.at(-1)!.end <= until) {
      const done = stack.pop()!;
      const self = (done.event.dur ?? 0) - done.child;
      out.set(label(done.event), (out.get(label(done.event)) ?? 0) + Math.max(0, self));
      if (stack.length) stack.at(-1)!.child += done.event.dur ?? 0;
    }
  };
  for (const event of sorted) {
    close(event.ts);
    stack.push({ event, end: event.ts + (event.dur ?? 0), child: 0 });
  }
  close(Number.POSITIVE_INFINITY);
  return out;
}

const top = (map: Map<string, number>, n: number) =>
  [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`d1-trace: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
