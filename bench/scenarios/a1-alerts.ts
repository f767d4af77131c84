/**
 * A1 — alerts (issue "Alerts", Speed): what 100 active rules cost, and how long an alert takes
 * to reach a dashboard.
 *
 * Part 1, evaluator cost (in the runner's process, the code the history service runs): 100
 * mixed rules (thresholds on cost_sum, failure_rate, latency_p95, event_count and a few other
 * metrics; absence; match; per-agent keys over 50 agents, scoped by agents, models and event
 * types) over a stream of generated events shaped like the bench's other workloads (llm_call,
 * tool_usage, decisions, executions; 100–700 characters of payload text), 20,000 events per
 * second of stream time. CPU time per event (`process.cpuUsage`) over 200,000 events after a
 * warm-up, for: a bare loop parsing the stream entries; the library's AlertEvaluator with no
 * rules and with the 100 rules; and the history service's own AlertEngine and AlertsController
 * fed by the real StreamTransportStrategy (over an in-memory log instead of Redis, the
 * PostgreSQL store replaced by a stub that answers at once), with no rules and with the 100.
 * The figure is the engine's events/s on one core with 100 rules; baseline the same engine with
 * none; goal: at least the ingest's full rate (the bare ingest of P1, measured here with P1's
 * load generator in full runs; quick runs compare with a fixed 30,000 events/s).
 *
 * Part 2, end-to-end alert latency: redis-server (the bench's), a PostgreSQL of the scenario's
 * own, AUREN ingest, gateway and one history process from dist/, the history process with
 * the same 100 rules (owner `bench`; `a1-trigger` matches a failed `tool_usage` of the trigger
 * agents and resolves 1 s after), all in `AUREN_ALERT_RULES_FILE`. A sender process drives
 * 500 events/s of the same events through the ingest and, every 100 ms, a triggering event of
 * the next trigger agent; a client process holds a socket.io-client subscribed to `alerts` with
 * a token of `bench`, and watches the Redis alerts log beside it. Latency: the trigger's 202 at
 * the sender → `alert_fired` at the client (process.hrtime, CLOCK_MONOTONIC, shared by both
 * processes), split at the moment the transition appears in the alerts log. Beside it:
 * `auren_alert_evaluation_lag_seconds` sampled every 250 ms, the processes' CPU from /proc, and
 * PostgreSQL's own timing of the alert statements (pg_stat_statements).
 *
 * The sender and the client are this file run as child processes (`BENCH_A1_ROLE`).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { JwtService } from '@nestjs/jwt';
import type { MessageHandler } from '@nestjs/microservices';
import Redis from 'ioredis';
import { Client } from 'pg';
import { Registry } from 'prom-client';
import { io } from 'socket.io-client';
import { AlertEvaluator, SilenceBook, validateRules, type AlertRule } from '@auren/alerts';
import type { AurenConfig } from '@auren/config';
import type { AgentEvent, AlertMessage, EventType, StreamedEvent } from '@auren/contracts';
import {
  STREAM_EVENT_PATTERN,
  StreamTransportStrategy,
  type EventLog,
  type StreamEntry,
} from '@auren/streaming';
import type { AlertDispatcher } from '../../apps/history/src/alerts/alert-dispatcher.service';
import { AlertEngine } from '../../apps/history/src/alerts/alert-engine.service';
import { AlertMetrics } from '../../apps/history/src/alerts/alert-metrics';
import { AlertStore } from '../../apps/history/src/alerts/alert-store';
import { AlertsController } from '../../apps/history/src/alerts/alerts.controller';
import { type SqlDatabase, type SqlSession } from '../../apps/history/src/store/sql-database';
import { freePort } from '../../test/harness/ports';
import type { PostgresServer } from '../../test/harness/postgres';
import { prng } from '../../test/fixtures/prng';
import { waitFor } from '../../test/harness/wait';
import { KeepAliveConnection, parseTarget, postHead } from '../load/http-client';
import { freshDatabase, scratchServer } from '../lib/history-data';
import { percentile, type IngestLoadConfig, type IngestLoadResult } from '../lib/ingest-ipc';
import { isLoadMessage } from '../lib/ipc';
import { dropStream } from '../lib/latency-round';
import { result } from '../lib/latency-window';
import { cpuSeconds, machineBusySeconds, ManagedProcess } from '../lib/processes';
import { fmt, median, pct, sleep, type Scenario, type ScenarioContext } from '../lib/scenario';
import {
  aurenIngestSettings,
  aurenSettings,
  DIST,
  startAuren,
  startAurenIngest,
  startBareIngest,
} from '../lib/servers';

// ---------------------------------------------------------------------------------------------
// Workload: agents, events, rules
// ---------------------------------------------------------------------------------------------

const OWNER = 'bench';
const AGENTS = Array.from({ length: 50 }, (_, i) => `a1-agent-${String(i).padStart(2, '0')}`);
/** Agents of the triggering events only: each trigger fires `a1-trigger:<agent>` anew. */
const TRIGGER_AGENTS = Array.from(
  { length: 100 },
  (_, i) => `a1-trigger-${String(i).padStart(3, '0')}`,
);
const TRIGGER_RULE = 'a1-trigger';
const MODELS = ['gpt-4o-mini', 'gpt-4o', 'claude-3-5-sonnet', 'llama-3-70b'];
const USERS = ['user-0', 'user-1', 'user-2', 'user-3', 'user-4'];
/** An agent whose tool calls fail 40 % of the time, and one whose LLM calls are slow. */
const FAILING_AGENT = AGENTS[7];
const SLOW_AGENT = AGENTS[13];
const TYPES: ReadonlyArray<[EventType, number]> = [
  ['llm_call', 0.42],
  ['tool_usage', 0.25],
  ['agent_decision', 0.14],
  ['agent_execution_started', 0.04],
  ['agent_execution_completed', 0.04],
  ['agent_collaboration', 0.04],
  ['memory_tier_access', 0.04],
  ['knowledge_access', 0.03],
];
const WORDS =
  'agent plan tool memory retrieve answer verify hypothesis evidence summary context budget token model route cache'.split(
    ' ',
  );
/** What rules of a rules file may see (AlertEngine.loadRulesFile stores them with this). */
const FILE_ACCESS = { seesAllUsers: true, allowedAgents: null };

/** Events as an agent sends them (no `received_at`), seeded. */
class A1Events {
  private readonly random: () => number;
  private sequence = 0;

  constructor(seed: number) {
    this.random = prng(seed);
  }

  private pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.random() * list.length)];
  }

  private type(): EventType {
    let r = this.random();
    for (const [type, share] of TYPES) {
      if (r < share) return type;
      r -= share;
    }
    return 'llm_call';
  }

  next(id: string, now: string): AgentEvent {
    const r = this.random;
    this.sequence += 1;
    const agent = this.pick(AGENTS);
    const type = this.type();
    const length = 100 + Math.floor(r() * 600);
    let text = r() < 0.0001 ? 'worker out of memory ' : '';
    while (text.length < length) text += `${this.pick(WORDS)} `;
    const event: AgentEvent = {
      event_id: id,
      event_type: type,
      timestamp: now,
      received_at: now,
      trace_id: `a1-trace-${this.sequence >> 4}`,
      session_id: 'a1-session',
      source_agent: { id: agent, role: 'researcher' },
      payload: { step: this.sequence, text: text.trimEnd() },
      metadata: { source: 'auren-bench' },
    };
    if (r() < 0.8) event.user_id = this.pick(USERS);
    if (type === 'llm_call') {
      const tail = r() < 0.005;
      event.performance_metrics = {
        latency_ms:
          agent === SLOW_AGENT
            ? 3000 + Math.floor(r() * 5000)
            : tail
              ? 4000 + Math.floor(r() * 4000)
              : 150 + Math.floor(r() ** 3 * 2500),
        token_cost: Math.round((0.0005 + r() * 0.01) * 1e5) / 1e5,
        tokens_used: 200 + Math.floor(r() * 1800),
        success: r() > 0.01,
        confidence_score: Math.round((0.3 + r() * 0.7) * 100) / 100,
        model: this.pick(MODELS),
      };
    } else if (type === 'tool_usage') {
      const failed = r() < (agent === FAILING_AGENT ? 0.4 : 0.005);
      event.performance_metrics = {
        latency_ms: 20 + Math.floor(r() * 400),
        success: !failed,
        ...(failed ? { error_type: r() < 0.5 ? 'timeout' : 'rate_limited' } : {}),
      };
    } else if (type === 'agent_decision' && r() < 0.5) {
      event.performance_metrics = {
        latency_ms: 5 + Math.floor(r() * 200),
        confidence_score: Math.round((0.05 + r() * 0.95) * 100) / 100,
      };
    }
    return event;
  }

  /** The event that fires `a1-trigger` for `agent`: a failed tool call. */
  static trigger(agent: string, id: string, now: string): AgentEvent {
    return {
      event_id: id,
      event_type: 'tool_usage',
      timestamp: now,
      received_at: now,
      session_id: 'a1-session',
      source_agent: { id: agent, role: 'tool-runner' },
      payload: { text: 'bench trigger: tool call failed' },
      metadata: { source: 'auren-bench' },
      performance_metrics: { latency_ms: 12, success: false, error_type: 'bench_trigger' },
    };
  }
}

/** `n` distinct agents, a different set for each `i`. */
const someAgents = (i: number, n: number) =>
  Array.from({ length: n }, (_, k) => AGENTS[(i * 7 + k * 3) % AGENTS.length]);

/**
 * The 100 rules, as a rules file holds them (owner `bench`): 26 cost_sum, 12 failure_rate,
 * 12 latency_p95, 14 event_count, 9 other thresholds, 12 absence, 14 match, and the trigger.
 * Most stay quiet on this workload; the failing and the slow agent, bursts and rare texts fire
 * some per-agent alerts, as in service.
 */
function ruleDefinitions(): Record<string, unknown>[] {
  const rules: Record<string, unknown>[] = [];
  const add = (id: string, rule: Record<string, unknown>) =>
    rules.push({ id, owner: OWNER, ...rule });
  const threshold = (condition: Record<string, unknown>) => ({ kind: 'threshold', ...condition });
  add(TRIGGER_RULE, {
    name: 'Bench trigger',
    severity: 'critical',
    resolveAfter: '1s',
    condition: {
      kind: 'match',
      filter: { eventTypes: ['tool_usage'], success: false, agents: TRIGGER_AGENTS },
    },
  });
  for (let i = 0; i < 26; i += 1) {
    const scope =
      i % 3 === 0
        ? {}
        : i % 3 === 1
          ? { agents: someAgents(i, 8) }
          : { models: [MODELS[i % MODELS.length]], eventTypes: ['llm_call'] };
    add(`cost-${i}`, {
      scope,
      groupBy: i % 5 === 4 ? 'none' : 'agent',
      condition: threshold({
        metric: 'cost_sum',
        op: '>',
        value: [100, 400, 1200][i % 3] * (i % 5 === 4 ? 50 : 1),
        window: ['1m', '5m', '15m'][i % 3],
      }),
    });
  }
  for (let i = 0; i < 12; i += 1) {
    add(`fail-rate-${i}`, {
      severity: 'critical',
      scope: { eventTypes: ['tool_usage'], ...(i % 2 ? { agents: someAgents(i, 10) } : {}) },
      groupBy: i % 4 === 3 ? 'none' : 'agent',
      for: i % 3 === 0 ? '10s' : '0s',
      resolveAfter: '30s',
      condition: threshold({
        metric: 'failure_rate',
        op: '>',
        value: 0.2 + 0.05 * (i % 4),
        minCount: 20,
        window: '5m',
      }),
    });
  }
  for (let i = 0; i < 12; i += 1) {
    add(`p95-${i}`, {
      scope: {
        eventTypes: ['llm_call'],
        ...(i % 3 === 1 ? { models: [MODELS[i % MODELS.length]] } : {}),
      },
      groupBy: i % 4 === 0 ? 'none' : 'agent',
      condition: threshold({
        metric: 'latency_p95',
        op: '>',
        value: 6000 + 250 * (i % 4),
        minCount: 50,
        window: ['1m', '5m'][i % 2],
      }),
    });
  }
  for (let i = 0; i < 14; i += 1) {
    const quiet = i % 3 === 0;
    add(`count-${i}`, {
      scope: i % 2 ? { agents: someAgents(i, 12) } : {},
      condition: threshold({
        metric: 'event_count',
        op: quiet ? '<' : '>',
        value: quiet ? 1 : 30_000 + 5000 * (i % 4),
        window: quiet ? '2m' : '1m',
        ...(i % 4 === 1 ? { eventType: 'llm_call' } : {}),
      }),
    });
  }
  const others: Array<Record<string, unknown>> = [
    { metric: 'tokens_sum', op: '>', value: 100_000_000, window: '5m' },
    { metric: 'tokens_sum', op: '>', value: 20_000_000, window: '1m' },
    { metric: 'tokens_sum', op: '>', value: 300_000_000, window: '15m' },
    { metric: 'tokens_sum', op: '>=', value: 40_000_000, window: '2m' },
    { metric: 'latency_avg', op: '>', value: 2500, window: '1m', minCount: 10 },
    { metric: 'latency_avg', op: '>', value: 3000, window: '5m', minCount: 10 },
    { metric: 'confidence_min', op: '<', value: 0.01, window: '1m' },
    { metric: 'failure_count', op: '>=', value: 5000, window: '1m' },
    { metric: 'failure_count', op: '>=', value: 20_000, window: '5m' },
  ];
  others.forEach((condition, i) =>
    add(`other-${i}`, {
      scope: i % 2 ? { agents: someAgents(i + 3, 15) } : {},
      condition: threshold(condition),
    }),
  );
  for (let i = 0; i < 12; i += 1) {
    add(`stalled-${i}`, {
      scope: i % 3 ? { agents: someAgents(i, 10) } : {},
      condition: { kind: 'absence', after: ['30s', '2m', '5m'][i % 3] },
    });
  }
  const matches: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 6; i += 1)
    matches.push({ eventTypes: ['tool_usage'], success: false, agents: someAgents(i, 5) });
  for (let i = 0; i < 3; i += 1)
    matches.push({ errorType: 'rate_limited', agents: someAgents(i, 6) });
  for (let i = 0; i < 3; i += 1)
    matches.push({ textContains: ['out of memory', 'OOM', 'fatal'][i] });
  matches.push({ eventTypes: ['agent_collaboration'], agents: someAgents(9, 3) });
  matches.push({ eventTypes: ['llm_call'], success: false, agents: someAgents(11, 4) });
  matches.forEach((filter, i) =>
    add(`match-${i}`, { resolveAfter: '2m', condition: { kind: 'match', filter } }),
  );
  return rules;
}

// ---------------------------------------------------------------------------------------------
// Part 1: the evaluator's and the engine's CPU per event
// ---------------------------------------------------------------------------------------------

/** Events per millisecond of stream time in part 1: 20,000 events/s. */
const PER_MS = 20;
const POOL = 25_000;

type CostMode = 'parse' | 'evaluator-0' | 'evaluator-100' | 'engine-0' | 'engine-100';
const MODE_TEXT: Record<CostMode, string> = {
  parse: 'bare JSON.parse loop',
  'evaluator-0': 'AlertEvaluator, no rules',
  'evaluator-100': 'AlertEvaluator, 100 rules',
  'engine-0': 'transport + AlertEngine, no rules',
  'engine-100': 'transport + AlertEngine, 100 rules',
};

interface CostRun {
  mode: CostMode;
  round: number;
  events: number;
  /** CPU time of the process over the measured events (user + system), µs. */
  cpuUs: number;
  wallMs: number;
  usPerEvent: number;
  /** Events per CPU-second: the rate one core keeps up with. */
  perCoreSecond: number;
  /** Transitions decided over the measured events. */
  transitions: number;
  /** Evaluator state: JSON size of `snapshot()` and the time to take and serialise it. */
  snapshotBytes?: number;
  snapshotMs?: number;
  /** Engine modes: checkpoints written over the measured events, and events evaluated (all). */
  checkpoints?: number;
  evaluated?: number;
}

/** Stored events (stream entries' JSON), seeded. */
function eventPool(seed: number): string[] {
  const events = new A1Events(seed);
  const now = new Date().toISOString();
  const tag = randomBytes(3).toString('hex');
  return Array.from({ length: POOL }, (_, i) => JSON.stringify(events.next(`${tag}-${i}`, now)));
}

/** The warm-up's events are spread over the 15 minutes before t0, so that every rule's window fills. */
const WARM_SPAN_MS = 15 * 60_000;

/**
 * Stream ID of event `i`: warm-up events spread over the 15 minutes before `t0` (the evaluator's
 * state grows to what it holds in service, where every window is full), measured ones at
 * 20,000/s from `t0`.
 */
function streamIdOf(t0: number, warmup: number, i: number): string {
  if (i < warmup) return `${t0 - WARM_SPAN_MS + Math.floor((i * WARM_SPAN_MS) / warmup)}-${i}`;
  const j = i - warmup;
  return `${t0 + Math.floor(j / PER_MS)}-${j % PER_MS}`;
}

function figures(
  mode: CostMode,
  round: number,
  events: number,
  cpu: NodeJS.CpuUsage,
  wallMs: number,
  transitions: number,
): CostRun {
  const cpuUs = cpu.user + cpu.system;
  return {
    mode,
    round,
    events,
    cpuUs,
    wallMs,
    usPerEvent: cpuUs / events,
    perCoreSecond: (events * 1e6) / cpuUs,
    transitions,
  };
}

/** A synchronous loop: parse each entry, set its stream_id, and evaluate it (or not). */
function loopRun(
  mode: 'parse' | 'evaluator-0' | 'evaluator-100',
  round: number,
  rules: AlertRule[],
  pool: string[],
  warmup: number,
  count: number,
): CostRun {
  const t0 = Date.now() - 600_000;
  const evaluator =
    mode === 'parse'
      ? null
      : new AlertEvaluator(mode === 'evaluator-100' ? rules : [], { access: () => FILE_ACCESS });
  let transitions = 0;
  let sink = 0;
  const step = (i: number) => {
    const event = JSON.parse(pool[i % POOL]) as StreamedEvent;
    event.stream_id = streamIdOf(t0, warmup, i);
    if (evaluator) transitions += evaluator.observe(event).length;
    else sink += event.event_id.length;
  };
  for (let i = 0; i < warmup; i += 1) step(i);
  transitions = 0;
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  for (let i = warmup; i < warmup + count; i += 1) step(i);
  const run = figures(
    mode,
    round,
    count,
    process.cpuUsage(cpu0),
    performance.now() - w0,
    transitions,
  );
  if (sink < 0) throw new Error('unreachable');
  if (evaluator) {
    const s0 = performance.now();
    run.snapshotBytes = JSON.stringify(evaluator.snapshot()).length;
    run.snapshotMs = performance.now() - s0;
  }
  return run;
}

/**
 * The history service's path for each event, minus Redis and PostgreSQL: StreamTransportStrategy
 * (JSON.parse, the stored-event check, the awaited handler) over an in-memory log serving 500
 * entries a read (STREAM_READ_BATCH), AlertsController, AlertEngine.observe (evaluator, metrics,
 * lag gauge), and the engine's flushes — transitions decided (body, silence check, webhook
 * look-up) and recorded with the checkpoint (`evaluator.snapshot()`, JSON) through AlertStore —
 * against a stub session that answers every statement at once; the tick every second as in
 * service (checkpoint while events flow).
 */
async function engineRun(
  mode: 'engine-0' | 'engine-100',
  round: number,
  rules: AlertRule[],
  pool: string[],
  warmup: number,
  count: number,
): Promise<CostRun> {
  const active = mode === 'engine-100' ? rules : [];
  // Stream time ahead of the wall clock: the engine's tick (now − 2 s) never moves the clock.
  const t0 = Date.now() + 600_000;
  let alertId = 0;
  let checkpoints = 0;
  let snapshotBytes = 0;
  const session = {
    query: (text: string, params: unknown[] = []) => {
      if (text.includes('INSERT INTO auren_alert_transitions')) {
        alertId += 1;
        const body = JSON.parse(params[8] as string) as Record<string, unknown>;
        return Promise.resolve({ rows: [{ alert_id: String(alertId), body, published: false }] });
      }
      if (text.includes('INSERT INTO auren_alert_checkpoint')) {
        checkpoints += 1;
        snapshotBytes = (params[1] as string).length;
      }
      return Promise.resolve({ rows: [] });
    },
    transaction: <T>(work: (tx: SqlSession) => Promise<T>) => work(session as SqlSession),
    onLost: () => undefined,
    release: () => Promise.resolve(),
  };
  const db = { query: () => Promise.resolve({ rows: [] }) } as unknown as SqlDatabase;
  const config = {
    alerts: { enabled: true, tickMs: 1000 },
    stream: { backend: 'redis' },
  } as unknown as AurenConfig;
  const dispatcher = { kick: () => undefined } as unknown as AlertDispatcher;
  const metrics = new AlertMetrics(new Registry());
  const engine = new AlertEngine(db, config, undefined as never, dispatcher, metrics);
  const evaluator = new AlertEvaluator(active, { access: () => FILE_ACCESS, clock: 'stream_id' });
  const now = new Date();
  const state = {
    lead: { session, lost: new Promise<Error>(() => undefined) },
    store: new AlertStore(session as SqlSession),
    evaluator,
    rules: new Map(
      active.map((rule) => [
        rule.id,
        {
          rule,
          stored: {
            id: rule.id,
            owner: rule.owner,
            rule: {},
            access: FILE_ACCESS,
            source: 'file',
            createdAt: now,
            updatedAt: now,
          },
        },
      ]),
    ),
    rulesVersion: 1,
    silences: new SilenceBook(),
    pending: [],
    position: '0-0',
    dirty: false,
    lastSave: Date.now(),
    flushing: null as Promise<void> | null,
    timers: [],
  };
  const internals = engine as unknown as { state: unknown; tick(state: unknown): void };
  internals.state = state;

  const total = warmup + count;
  let served = 0;
  let started:
    { cpu: NodeJS.CpuUsage; wall: number; alerts: number; checkpoints: number } | undefined;
  let finish: (value: { cpu: NodeJS.CpuUsage; wallMs: number; transitions: number }) => void = () =>
    undefined;
  const finished = new Promise<{ cpu: NodeJS.CpuUsage; wallMs: number; transitions: number }>(
    (resolve) => (finish = resolve),
  );
  let done = false;
  const log: EventLog = {
    backendName: 'bench-memory',
    readAfter: async (_after: string, batch: number): Promise<StreamEntry[]> => {
      if (served === warmup && !started)
        started = {
          cpu: process.cpuUsage(),
          wall: performance.now(),
          alerts: alertId,
          checkpoints,
        };
      if (served >= total) {
        if (!done && started) {
          done = true;
          finish({
            cpu: process.cpuUsage(started.cpu),
            wallMs: performance.now() - started.wall,
            transitions: alertId - started.alerts,
          });
        }
        await sleep(5);
        return [];
      }
      const end = Math.min(served + batch, served < warmup ? warmup : total);
      const entries: StreamEntry[] = [];
      for (let i = served; i < end; i += 1)
        entries.push({ id: streamIdOf(t0, warmup, i), json: pool[i % POOL] });
      served = end;
      return entries;
    },
    readBackward: () => Promise.resolve([]),
    headPosition: () => Promise.resolve('0-0'),
    comparePositions: (a, b) => (a === b ? 0 : a < b ? -1 : 1),
    isPosition: () => true,
    holds: () => Promise.resolve(true),
    ping: () => Promise.resolve(),
  };
  const controller = new AlertsController(engine);
  const transport = new StreamTransportStrategy(log, { startFrom: '0-0', blockMs: 10 });
  transport.addHandler(
    STREAM_EVENT_PATTERN,
    ((event: StreamedEvent) => controller.onStreamEvent(event)) as MessageHandler,
    true,
  );
  const ticker = setInterval(() => internals.tick(state), 1000);
  try {
    transport.listen(() => undefined);
    const measured = await finished;
    const run = figures(mode, round, count, measured.cpu, measured.wallMs, measured.transitions);
    run.checkpoints = checkpoints - (started?.checkpoints ?? 0);
    run.evaluated = (await metrics.evaluations.get()).values[0]?.value ?? 0;
    run.snapshotBytes = snapshotBytes;
    return run;
  } finally {
    clearInterval(ticker);
    await transport.close();
    await state.flushing?.catch(() => undefined);
    internals.state = null;
  }
}

// ---------------------------------------------------------------------------------------------
// Part 2: the load processes (this file, run with BENCH_A1_ROLE)
// ---------------------------------------------------------------------------------------------

interface SenderConfig {
  url: string;
  authorization?: string;
  /** Background events per second. */
  rate: number;
  seed: number;
  /** Background before the first trigger, ms. */
  leadMs: number;
  triggerEveryMs: number;
  /** Triggers before the counted ones (warm-up of the alert path), and the counted ones. */
  warmupTriggers: number;
  triggers: number;
  /** Background after the last trigger, ms. */
  tailMs: number;
}

interface TriggerRecord {
  k: number;
  id: string;
  agent: string;
  sentUs: number;
  acceptedUs: number;
  status: number;
}

interface SenderResult {
  type: 'sender-result';
  background: { sent: number; accepted: number; errors: number };
  triggers: TriggerRecord[];
  errorSamples: string[];
  lateMs: { p99: number; max: number };
  connections: number;
  /** hrtime µs of the first counted trigger's schedule and of the end of sending. */
  countedFromUs: number;
  endUs: number;
}

interface ClientConfig {
  url: string;
  jwtSecret: string;
  redisUrl: string;
  alertsKey: string;
}

interface ClientResult {
  type: 'client-result';
  /** [event id, hrtime µs] of each `alert_fired` at the client, and of each firing in the log. */
  fired: Array<[string, number]>;
  logged: Array<[string, number]>;
  duplicates: number;
  resolved: number;
  otherFired: number;
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n);
const sendToRunner = (message: object) => process.send?.(message);

function awaitStart(): Promise<void> {
  return new Promise((resolve) =>
    process.on('message', (m: { cmd: string }) => {
      if (m.cmd === 'start') resolve();
      if (m.cmd === 'exit') process.exit(0);
    }),
  );
}

/** Background events at `rate` on a fixed schedule, and a trigger every `triggerEveryMs`. */
async function senderMain(config: SenderConfig): Promise<void> {
  const target = parseTarget(config.url, config.authorization);
  const events = new A1Events(config.seed);
  const tag = randomBytes(4).toString('hex');
  const pool: KeepAliveConnection[] = [];
  for (let i = 0; i < 8; i += 1) pool.push(await KeepAliveConnection.open(target, 202));
  sendToRunner({ type: 'connected', clients: pool.length, ms: 0 });
  await awaitStart();

  const bgEveryUs = 1e6 / config.rate;
  const totalTriggers = config.warmupTriggers + config.triggers;
  const triggerAt = (k: number) => (config.leadMs + k * config.triggerEveryMs) * 1000;
  const endAt = triggerAt(totalTriggers - 1) + config.tailMs * 1000;
  const background = { sent: 0, accepted: 0, errors: 0 };
  const triggers: TriggerRecord[] = [];
  const errorSamples: string[] = [];
  const late: number[] = [];
  let nextTrigger = 0;
  let inFlight = 0;
  let opening = 0;
  let fatal: Error | undefined;

  const post = (
    connection: KeepAliveConnection,
    event: AgentEvent,
    done: (status: number) => void,
  ) => {
    const input = { ...event } as Partial<AgentEvent>;
    delete input.received_at;
    const body = JSON.stringify(input);
    inFlight += 1;
    connection.request(
      postHead(target, '/v1/events', Buffer.byteLength(body)) + body,
      (error, response) => {
        inFlight -= 1;
        if (error) {
          fatal ??= error;
          return;
        }
        const status = response?.status ?? 0;
        if (status !== 202 && errorSamples.length < 5)
          errorSamples.push(`${status}: ${(response?.body ?? '').slice(0, 300)}`);
        done(status);
      },
    );
  };
  const idle = (): KeepAliveConnection | undefined => {
    const free = pool.find((c) => !c.busy);
    if (!free && opening === 0) {
      opening += 1;
      void KeepAliveConnection.open(target, 202).then((c) => {
        opening -= 1;
        pool.push(c);
      });
    }
    return free;
  };

  const startUs = nowUs();
  await new Promise<void>((resolve) => {
    const tick = () => {
      if (fatal) return resolve();
      const elapsed = nowUs() - startUs;
      while (nextTrigger < totalTriggers && triggerAt(nextTrigger) <= elapsed) {
        const connection = idle();
        if (!connection) break;
        const k = nextTrigger;
        const agent = TRIGGER_AGENTS[k % TRIGGER_AGENTS.length];
        const id = `a1t-${tag}-${k}`;
        const record: TriggerRecord = { k, id, agent, sentUs: nowUs(), acceptedUs: 0, status: 0 };
        if (k >= config.warmupTriggers) late.push((record.sentUs - startUs - triggerAt(k)) / 1000);
        triggers.push(record);
        post(connection, A1Events.trigger(agent, id, new Date().toISOString()), (status) => {
          record.acceptedUs = nowUs();
          record.status = status;
        });
        nextTrigger += 1;
      }
      while (background.sent * bgEveryUs <= elapsed && background.sent * bgEveryUs <= endAt) {
        const connection = idle();
        if (!connection) break;
        const n = background.sent;
        background.sent += 1;
        post(connection, events.next(`a1b-${tag}-${n}`, new Date().toISOString()), (status) => {
          if (status === 202) background.accepted += 1;
          else background.errors += 1;
        });
      }
      if (elapsed >= endAt && nextTrigger >= totalTriggers) resolve();
      else setTimeout(tick, 0);
    };
    tick();
  });
  const endUs = nowUs();
  const deadline = Date.now() + 10_000;
  while (inFlight > 0 && Date.now() < deadline && !fatal) await sleep(5);
  if (fatal) throw fatal;
  const lateSorted = Float64Array.from(late).sort();
  const message: SenderResult = {
    type: 'sender-result',
    background,
    triggers,
    errorSamples,
    lateMs: { p99: percentile(lateSorted, 99), max: lateSorted[lateSorted.length - 1] ?? 0 },
    connections: pool.length,
    countedFromUs: startUs + triggerAt(config.warmupTriggers),
    endUs,
  };
  sendToRunner(message);
  for (const c of pool) c.close();
}

/**
 * One socket.io-client subscribed to `alerts` (token of `bench`), timing each `alert_fired` by
 * its triggering event id; beside it a reader of the Redis alerts log (XREAD BLOCK on a
 * connection of its own, as the gateway reads it), timing when each firing was published.
 */
async function clientMain(config: ClientConfig): Promise<void> {
  const token = new JwtService({}).sign(
    { sub: OWNER },
    { secret: config.jwtSecret, algorithm: 'HS256', expiresIn: '2h' },
  );
  const socket = io(config.url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth: { token, subscriptions: ['alerts'] },
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect_error', (error: Error & { data?: unknown }) =>
      reject(new Error(`connect_error: ${error.message} ${JSON.stringify(error.data ?? '')}`)),
    );
    socket.once('connection_established', () => resolve());
  });
  const fired = new Map<string, number>();
  const logged = new Map<string, number>();
  let duplicates = 0;
  let resolved = 0;
  let otherFired = 0;
  socket.on('alert_fired', (message: AlertMessage) => {
    const at = nowUs();
    if (message.alert.rule_id !== TRIGGER_RULE) {
      otherFired += 1;
      return;
    }
    const id = message.alert.event_ids[0] ?? message.alert.key;
    if (fired.has(id)) duplicates += 1;
    else fired.set(id, at);
  });
  socket.on('alert_resolved', (message: AlertMessage) => {
    if (message.alert.rule_id === TRIGGER_RULE) resolved += 1;
  });

  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
  const newest = (await redis.xrevrange(config.alertsKey, '+', '-', 'COUNT', 1)) as Array<
    [string, string[]]
  >;
  let position = newest[0]?.[0] ?? '0-0';
  let reading = true;
  const follow = (async () => {
    while (reading) {
      const reply = await redis
        .xread('COUNT', 100, 'BLOCK', 500, 'STREAMS', config.alertsKey, position)
        .catch(() => null);
      const at = nowUs();
      for (const [id, fields] of reply?.[0]?.[1] ?? []) {
        position = id;
        const json = fields[fields.indexOf('alert') + 1] ?? '{}';
        const alert = JSON.parse(json) as {
          rule_id?: string;
          state?: string;
          event_ids?: string[];
        };
        const eventId = alert.event_ids?.[0];
        if (alert.rule_id === TRIGGER_RULE && alert.state === 'firing' && eventId)
          if (!logged.has(eventId)) logged.set(eventId, at);
      }
    }
  })();
  sendToRunner({ type: 'connected', clients: 1, ms: 0 });

  process.on('message', (m: { cmd: string; ids?: string[] }) => {
    if (m.cmd === 'exit') {
      reading = false;
      socket.close();
      void follow.finally(() => {
        redis.disconnect();
        process.exit(0);
      });
    } else if (m.cmd === 'report' && m.ids) void report(m.ids);
  });

  async function report(ids: string[]): Promise<void> {
    const deadline = Date.now() + 5000;
    while (ids.some((id) => !fired.has(id)) && Date.now() < deadline) await sleep(20);
    const wanted = new Set(ids);
    const message: ClientResult = {
      type: 'client-result',
      fired: ids.filter((id) => fired.has(id)).map((id) => [id, fired.get(id) as number]),
      logged: ids.filter((id) => logged.has(id)).map((id) => [id, logged.get(id) as number]),
      duplicates,
      resolved,
      otherFired: otherFired + [...fired.keys()].filter((id) => !wanted.has(id)).length,
    };
    sendToRunner(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Part 2: the run
// ---------------------------------------------------------------------------------------------

interface LatencySettings {
  rate: number;
  leadMs: number;
  triggerEveryMs: number;
  warmupTriggers: number;
  triggers: number;
  tailMs: number;
}

const distribution = (values: number[]) => {
  const sorted = Float64Array.from(values).sort();
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    count: sorted.length,
  };
};
type Distribution = ReturnType<typeof distribution>;

interface StatementTiming {
  statement: string;
  calls: number;
  meanMs: number;
  maxMs: number;
  totalMs: number;
}

interface LatencyOutcome {
  latencyMs: Distribution;
  /** 202 → the firing in the alerts log, and the log → alert_fired at the client. */
  toLogMs: Distribution;
  logToClientMs: Distribution;
  postMs: Distribution;
  missing: number;
  duplicates: number;
  resolved: number;
  sender: Omit<SenderResult, 'type' | 'triggers'>;
  /** Lag gauge samples (s) over the counted window. */
  lagSeconds: { p50: number; max: number; samples: number };
  /** Fractions of one core over the counted window. */
  cpu: Record<string, number>;
  history: Record<string, number | undefined>;
  gateway: Record<string, number | undefined>;
  checkpoint: { bytes: number; jsonChars: number } | null;
  transitionsStored: number;
  /** Stored transitions by rule (the most frequent), and alert_fired of other rules at the client. */
  byRule: Array<{ rule: string; transitions: number }>;
  otherFired: number;
  statements: StatementTiming[];
  loadAverage: number[];
  /** From the start of sending (pg_stat_statements reset just before) to its end, s. */
  runSeconds: number;
  checked: boolean;
}

function latencySettingsFor(quick: boolean): LatencySettings {
  return {
    rate: 500,
    leadMs: quick ? 2000 : 3000,
    triggerEveryMs: 100,
    warmupTriggers: quick ? 10 : 30,
    triggers: quick ? 200 : 300,
    tailMs: 1500,
  };
}

async function metricValues(url: string): Promise<Map<string, number>> {
  const text = await fetch(`${url}/metrics`)
    .then((r) => r.text())
    .catch(() => '');
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    const name = line.slice(0, space);
    const value = Number(line.slice(space + 1));
    values.set(name, (values.get(name) ?? 0) + value);
    const bare = name.indexOf('{');
    if (bare > 0) values.set(name.slice(0, bare), (values.get(name.slice(0, bare)) ?? 0) + value);
  }
  return values;
}

/** CPU seconds of a process and its children (PostgreSQL: the postmaster and its backends). */
function treeCpuSeconds(pid: number): number {
  let children: number[] = [];
  try {
    children = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    // none
  }
  return cpuSeconds(pid) + children.reduce((sum, child) => sum + cpuSeconds(child), 0);
}

async function sql<R = Record<string, unknown>>(url: string, text: string): Promise<R[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as R[];
  } finally {
    await client.end();
  }
}

/** pg_stat_statements on the scenario's own server (restarted once to load it). */
async function withStatementStats(server: PostgresServer, url: string): Promise<void> {
  await sql(server.url, `ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`);
  await server.stop();
  await server.launch();
  await sql(url, 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
}

async function statementTimings(url: string): Promise<StatementTiming[]> {
  const rows = await sql<{
    query: string;
    calls: string;
    mean: number;
    max: number;
    total: number;
  }>(
    url,
    `SELECT query, calls, mean_exec_time AS mean, max_exec_time AS max, total_exec_time AS total
     FROM pg_stat_statements
     WHERE query ILIKE '%auren_alert%' OR query ILIKE '%auren_events%' OR query IN ('BEGIN', 'COMMIT')
     ORDER BY total_exec_time DESC LIMIT 14`,
  ).catch(() => []);
  return rows.map((row) => ({
    statement: row.query.replace(/\s+/g, ' ').slice(0, 90),
    calls: Number(row.calls),
    meanMs: Number(row.mean),
    maxMs: Number(row.max),
    totalMs: Number(row.total),
  }));
}

async function startHistory(
  context: ScenarioContext,
  env: Record<string, string>,
  rules: number,
): Promise<{ process: ManagedProcess; url: string }> {
  const port = await freePort();
  const child = ManagedProcess.node(
    'AUREN history',
    [join(DIST, 'apps', 'history', 'src', 'main.js')],
    {
      env: {
        NODE_ENV: 'production',
        AUREN_HOST: '127.0.0.1',
        HISTORY_PORT: String(port),
        GRPC_PORT: String(await freePort()),
        AUREN_JWT_SECRET: context.jwtSecret,
        AUREN_REDIS_ALLOW_VOLATILE: 'true',
        AUREN_LOG_LEVEL: 'warn',
        ...env,
      },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      child.assertRunning();
      return (await fetch(`${url}/health/ready`).catch(() => undefined))?.status === 200;
    },
    { timeoutMs: 60_000, intervalMs: 200, what: 'the AUREN history service to be ready' },
  );
  let values = new Map<string, number>();
  try {
    await waitFor(
      async () => {
        child.assertRunning();
        values = await metricValues(url);
        return (
          values.get('auren_alert_leader') === 1 && values.get('auren_alert_rules_loaded') === rules
        );
      },
      {
        timeoutMs: 30_000,
        intervalMs: 200,
        what: `the history service to lead with ${rules} rules`,
      },
    );
  } catch (error) {
    throw new Error(
      `${(error as Error).message} (leader ${values.get('auren_alert_leader')}, rules ${values.get('auren_alert_rules_loaded')}):\n${child.tail()}`,
    );
  }
  return { process: child, url };
}

function historySettings(): Record<string, string> {
  return {
    NODE_ENV: 'production',
    AUREN_LOG_LEVEL: 'warn',
    AUREN_ALERT_RULES_FILE: '(100 rules, owner bench, written per run)',
    DATABASE_URL: '(PostgreSQL started by the scenario, fsync off)',
    AUREN_ALERT_TICK_MS: '(default 1000)',
  };
}

async function latencyRun(
  context: ScenarioContext,
  settings: LatencySettings,
  definitions: Record<string, unknown>[],
): Promise<LatencyOutcome> {
  const stamp = Date.now();
  const streamKey = `bench:a1:${stamp}:events`;
  const alertsKey = `bench:a1:${stamp}:alerts`;
  const dir = mkdtempSync(join(tmpdir(), 'auren-a1-'));
  const rulesFile = join(dir, 'alert-rules.json');
  writeFileSync(rulesFile, JSON.stringify({ rules: definitions }, null, 1));
  const started: Array<{ stop(): Promise<void> }> = [];
  const loads: ManagedProcess[] = [];
  let server: PostgresServer | undefined;
  try {
    server = await scratchServer();
    const databaseUrl = await freshDatabase(server, 'a1');
    await withStatementStats(server, databaseUrl);
    const options = {
      redisUrl: context.redisUrl,
      streamKey,
      jwtSecret: context.jwtSecret,
      apiKey: `bench-${randomBytes(16).toString('hex')}`,
    };
    const ingest = await startAurenIngest(options);
    started.push(ingest);
    const gateway = await startAuren(options);
    started.push(gateway);
    const history = await startHistory(
      context,
      {
        REDIS_URL: context.redisUrl,
        AUREN_STREAM_KEY: streamKey,
        DATABASE_URL: databaseUrl,
        AUREN_ALERT_RULES_FILE: rulesFile,
      },
      definitions.length,
    );
    started.push({ stop: () => history.process.stop() });
    await sql(databaseUrl, 'SELECT pg_stat_statements_reset()');

    const clientConfig: ClientConfig = {
      url: gateway.url,
      jwtSecret: context.jwtSecret,
      redisUrl: context.redisUrl,
      alertsKey,
    };
    const client = ManagedProcess.tsx('A1 alert client', 'bench/scenarios/a1-alerts.ts', {
      ipc: true,
      env: { BENCH_A1_ROLE: 'client', BENCH_LOAD_CONFIG: JSON.stringify(clientConfig) },
    });
    loads.push(client);
    await client.message(isLoadMessage('connected'), 60_000);
    const senderConfig: SenderConfig = {
      url: ingest.url,
      authorization: ingest.authorization,
      seed: 5100,
      ...settings,
    };
    const sender = ManagedProcess.tsx('A1 sender', 'bench/scenarios/a1-alerts.ts', {
      ipc: true,
      env: { BENCH_A1_ROLE: 'sender', BENCH_LOAD_CONFIG: JSON.stringify(senderConfig) },
    });
    loads.push(sender);
    await sender.message(isLoadMessage('connected'), 60_000);
    const seconds =
      (settings.leadMs +
        (settings.warmupTriggers + settings.triggers) * settings.triggerEveryMs +
        settings.tailMs) /
      1000;
    context.log(
      `A1 latency: ${settings.rate} events/s through the ingest for ${fmt(seconds, 1)} s, a trigger every ${settings.triggerEveryMs} ms (${settings.warmupTriggers} warm-up, ${settings.triggers} counted); history, gateway, ingest from dist/`,
    );

    // Samples: the lag gauge every 250 ms; CPU at the counted window's edges.
    const pids: Record<string, number> = {
      history: history.process.pid,
      ingest: ingest.process.pid,
      gateway: gateway.process.pid,
      sender: sender.pid,
      client: client.pid,
      ...(context.redisPid ? { redis: context.redisPid } : {}),
    };
    const cpuNow = () => {
      const reading: Record<string, number> = Object.fromEntries(
        Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]),
      );
      if (server?.pid) reading.postgres = treeCpuSeconds(server.pid);
      return reading;
    };
    const lag: number[] = [];
    let sampling = true;
    let cpuA: Record<string, number> | undefined;
    let machineA = 0;
    let timeA = 0;
    const sampler = (async () => {
      const t0 = Date.now();
      const countedFrom = t0 + settings.leadMs + settings.warmupTriggers * settings.triggerEveryMs;
      while (sampling) {
        await sleep(250);
        if (Date.now() >= countedFrom && !cpuA) {
          cpuA = cpuNow();
          machineA = machineBusySeconds();
          timeA = performance.now();
        }
        if (Date.now() < countedFrom) continue;
        const value = (await metricValues(history.url)).get('auren_alert_evaluation_lag_seconds');
        if (value !== undefined && sampling) lag.push(value);
      }
    })();
    sender.send({ cmd: 'start' });
    const sent = await sender.message(
      result<SenderResult>('sender-result'),
      seconds * 1000 + 60_000,
    );
    sampling = false;
    await sampler;
    const elapsed = (performance.now() - timeA) / 1000;
    const cpuB = cpuNow();
    const cpu: Record<string, number> = {};
    if (cpuA) {
      for (const name of Object.keys(cpuB)) cpu[name] = (cpuB[name] - (cpuA[name] ?? 0)) / elapsed;
      const ours = Object.values(cpu).reduce((a, b) => a + b, 0);
      cpu.other = Math.max(0, (machineBusySeconds() - machineA) / elapsed - ours);
    }

    const counted = sent.triggers.filter((t) => t.k >= settings.warmupTriggers);
    client.send({ cmd: 'report', ids: counted.map((t) => t.id) });
    const got = await client.message(result<ClientResult>('client-result'), 30_000);
    await sleep(1500);
    const fired = new Map(got.fired);
    const logged = new Map(got.logged);
    const latency: number[] = [];
    const toLog: number[] = [];
    const logToClient: number[] = [];
    const postMs: number[] = [];
    let missing = 0;
    for (const t of counted) {
      postMs.push((t.acceptedUs - t.sentUs) / 1000);
      const at = fired.get(t.id);
      if (t.status !== 202 || at === undefined) {
        missing += 1;
        continue;
      }
      latency.push((at - t.acceptedUs) / 1000);
      const inLog = logged.get(t.id);
      if (inLog !== undefined) {
        toLog.push((inLog - t.acceptedUs) / 1000);
        logToClient.push((at - inLog) / 1000);
      }
    }
    const historyMetrics = await metricValues(history.url);
    const gatewayMetrics = await metricValues(gateway.url);
    const checkpointRows = await sql<{ bytes: number; chars: number }>(
      databaseUrl,
      'SELECT pg_column_size(snapshot) AS bytes, length(snapshot::text) AS chars FROM auren_alert_checkpoint',
    );
    const storedRows = await sql<{ n: number }>(
      databaseUrl,
      'SELECT count(*)::int AS n FROM auren_alert_transitions',
    );
    const byRule = await sql<{ rule: string; n: number }>(
      databaseUrl,
      'SELECT rule_id AS rule, count(*)::int AS n FROM auren_alert_transitions GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 8',
    );
    const statements = await statementTimings(databaseUrl);
    const { type: _t, triggers: _tr, ...sender_ } = sent;
    const outcome: LatencyOutcome = {
      latencyMs: distribution(latency),
      toLogMs: distribution(toLog),
      logToClientMs: distribution(logToClient),
      postMs: distribution(postMs),
      missing,
      duplicates: got.duplicates,
      resolved: got.resolved,
      sender: sender_,
      lagSeconds: {
        p50: median(lag),
        max: lag.length ? Math.max(...lag) : Number.NaN,
        samples: lag.length,
      },
      cpu,
      history: {
        evaluations: historyMetrics.get('auren_alert_evaluations_total'),
        transitions: historyMetrics.get('auren_alert_transitions_total'),
        published: historyMetrics.get('auren_alert_published_total'),
        storeFailures: historyMetrics.get('auren_alert_store_failures_total'),
      },
      gateway: {
        received: gatewayMetrics.get('auren_gateway_alerts_received_total'),
        delivered: gatewayMetrics.get('auren_gateway_alerts_delivered_total'),
      },
      checkpoint: checkpointRows[0]
        ? { bytes: Number(checkpointRows[0].bytes), jsonChars: Number(checkpointRows[0].chars) }
        : null,
      transitionsStored: storedRows[0]?.n ?? 0,
      byRule: byRule.map((row) => ({ rule: row.rule, transitions: Number(row.n) })),
      otherFired: got.otherFired,
      statements,
      loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
      runSeconds: seconds,
      checked:
        missing === 0 &&
        got.duplicates === 0 &&
        sent.background.errors === 0 &&
        counted.length === settings.triggers,
    };
    return outcome;
  } finally {
    for (const load of loads) await load.exitOrStop(3000);
    for (const s of started.reverse()) await s.stop();
    await server?.dispose();
    await dropStream(context, streamKey);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The notes' account of an alert's time in part 2, from PostgreSQL's statement times. */
function whereTimeGoes(latency: LatencyOutcome, runs: CostRun[]): string {
  const find = (pattern: RegExp) => latency.statements.find((s) => pattern.test(s.statement));
  const timing = (s: StatementTiming | undefined) =>
    s ? `mean ${fmt(s.meanMs, 2)} / max ${fmt(s.maxMs, 1)} ms × ${fmt(s.calls)}` : 'not seen';
  const checkpoint = find(/INSERT INTO auren_alert_checkpoint/);
  const insert = find(/INSERT INTO auren_alert_transitions/);
  const unpublished = find(/^SELECT \* FROM \( SELECT t\.alert_id/);
  const mark = find(/UPDATE auren_alert_transitions SET published/);
  const writer = find(/INSERT INTO auren_events/);
  const state = runs.find((r) => r.mode === 'evaluator-100');
  const every = checkpoint ? (latency.runSeconds * 1000) / checkpoint.calls : Number.NaN;
  return (
    `A1 part 2, where an alert's time goes: the evaluation keeps up (lag p50 ${fmt(latency.lagSeconds.p50 * 1000, 1)} ms); what follows it does not. ` +
    `The engine stores each batch of transitions in a short transaction of its own, and the checkpoint — the evaluator's whole state, here ${latency.checkpoint ? `${fmt(latency.checkpoint.jsonChars / 1024)} KB of JSON (${fmt(latency.checkpoint.bytes / 1024)} KB as stored jsonb)` : 'absent'} — at most every AUREN_ALERT_CHECKPOINT_MS (30 s) while events flow and never while a transition waits; after a transition's commit the dispatcher reads the unpublished rows back and XADDs them to the alerts log. ` +
    `Over the ${fmt(latency.runSeconds, 1)} s run, inside PostgreSQL (pg_stat_statements): checkpoint upserts ${timing(checkpoint)} (one flush per ${fmt(every)} ms); transition INSERTs, one statement each, ${timing(insert)}; the dispatcher's unpublished SELECT ${timing(unpublished)} and markPublished UPDATE ${timing(mark)}; meanwhile the history writer's event inserts ${timing(writer)} on the same server. ` +
    `Taking and serialising the state costs the history process ${state?.snapshotMs !== undefined ? `${fmt(state.snapshotMs)} ms of CPU for ${fmt((state.snapshotBytes ?? 0) / 1024)} KB (part 1, windows full)` : 'n/a'} per flush before pg sends it. ` +
    `Stores run one at a time: a transition that arrives while a checkpoint is written (and while the state is serialised, which blocks the process) waits for it — the tail of the distribution. ${fmt(latency.transitionsStored)} transitions stored (${latency.byRule.map((r) => `${r.rule} ${r.transitions}`).join(', ')}); ${fmt(latency.resolved)} alert_resolved and ${fmt(latency.otherFired)} alert_fired of other rules reached the client.`
  );
}

// ---------------------------------------------------------------------------------------------
// The ingest's full rate: P1's bare baseline, measured with P1's load generator
// ---------------------------------------------------------------------------------------------

/** Fixed ingest target when the bare ingest is not measured (quick runs). */
const FIXED_TARGET = 30_000;

async function bareIngestRate(context: ScenarioContext): Promise<number> {
  const streamKey = `bench:a1:bare:${Date.now()}`;
  const ingest = await startBareIngest({
    redisUrl: context.redisUrl,
    streamKey,
    jwtSecret: context.jwtSecret,
    apiKey: 'unused',
  });
  let load: ManagedProcess | undefined;
  try {
    const config: IngestLoadConfig = {
      url: ingest.url,
      path: '/v1/events',
      eventsPerRequest: 1,
      batch: false,
      connections: 64,
      warmupMs: 2000,
      measureMs: 5000,
      seed: 1001,
      watchPids: { server: ingest.process.pid },
    };
    load = ManagedProcess.tsx('A1 ingest load generator', 'bench/load/ingest-load.ts', {
      ipc: true,
      env: { BENCH_LOAD_CONFIG: JSON.stringify(config) },
    });
    await load.message(isLoadMessage('connected'), 30_000);
    const done = load.message(result<IngestLoadResult>('ingest-result'), 60_000);
    load.send({ cmd: 'start' });
    const measured = await done;
    return measured.events / measured.seconds;
  } finally {
    await load?.exitOrStop(3000);
    await ingest.stop();
    await dropStream(context, streamKey);
  }
}

// ---------------------------------------------------------------------------------------------
// The scenario
// ---------------------------------------------------------------------------------------------

const LATENCY_GOAL_MS = 50;

export const a1Alerts: Scenario = {
  id: 'A1',
  title: 'Alerts: evaluator CPU with 100 rules; alert latency at 500 events/s',
  description:
    "Part 1: CPU per event of the alert evaluator and of the history service's AlertEngine (real stream transport over an in-memory log, PostgreSQL stubbed) with 100 mixed rules over 50 agents, 200,000 events after warm-up, against the same with no rules; goal: events/s on one core ≥ the ingest's full rate (P1's bare baseline measured here; quick runs: a fixed 30,000/s). Part 2: ingest, gateway, one history process (100 rules from AUREN_ALERT_RULES_FILE; own PostgreSQL) at 500 events/s with a triggering event every 100 ms: ingest 202 → alert_fired at a socket.io-client subscribed to alerts, p50/p95/p99/max over ≥ 200 alerts; goal p99 ≤ 50 ms.",
  async run(context) {
    const definitions = ruleDefinitions();
    const rules = validateRules(definitions);
    if (rules.length !== 100) throw new Error(`A1: ${rules.length} rules, expected 100`);

    // Part 1.
    const warmup = 50_000;
    const count = 200_000;
    const rounds = context.quick ? 1 : 2;
    const pool = eventPool(5000);
    const runs: CostRun[] = [];
    const loadAtPart1 = loadavg();
    for (let round = 1; round <= rounds; round += 1) {
      for (const mode of [
        'parse',
        'evaluator-0',
        'evaluator-100',
        'engine-0',
        'engine-100',
      ] as const) {
        const run =
          mode === 'engine-0' || mode === 'engine-100'
            ? await engineRun(mode, round, rules, pool, warmup, count)
            : loopRun(mode, round, rules, pool, warmup, count);
        runs.push(run);
        context.log(
          `A1 cost round ${round}: ${MODE_TEXT[mode]} — ${fmt(run.usPerEvent, 2)} µs CPU per event, ${fmt(run.perCoreSecond)} events/s on one core (${fmt(run.wallMs)} ms wall for ${fmt(count)} events, ${fmt(run.transitions)} transitions${run.checkpoints !== undefined ? `, ${fmt(run.checkpoints)} checkpoints` : ''}${run.snapshotBytes ? `, state ${fmt(run.snapshotBytes / 1024)} KB JSON` : ''}${run.snapshotMs !== undefined ? ` in ${fmt(run.snapshotMs, 1)} ms` : ''})`,
        );
      }
    }
    const us = (mode: CostMode) =>
      median(runs.filter((r) => r.mode === mode).map((r) => r.usPerEvent));
    const rate = (mode: CostMode) => 1e6 / us(mode);
    const engineRate = rate('engine-100');
    const engineBase = rate('engine-0');
    const ratio = engineRate / engineBase;
    const evaluated = runs
      .filter((r) => r.mode.startsWith('engine'))
      .every((r) => r.evaluated === warmup + count);

    // The ingest's full rate.
    let target = FIXED_TARGET;
    let targetText = `fixed ${fmt(FIXED_TARGET)} events/s (quick run: the bare ingest is not measured)`;
    if (!context.quick) {
      target = await bareIngestRate(context);
      targetText = `the bare ingest's ${fmt(target)} events/s (P1's baseline, P1's load generator, 64 connections, 5 s)`;
      context.log(`A1: bare ingest ${fmt(target)} POSTs/s (P1's baseline, measured now)`);
    }

    // Part 2.
    const settings = latencySettingsFor(context.quick);
    const latency = await latencyRun(context, settings, definitions);
    const l = latency.latencyMs;
    const logLatency = (label: string, outcome: LatencyOutcome) => {
      const d = outcome.latencyMs;
      context.log(
        `A1 ${label}: 202 → alert_fired p50 ${fmt(d.p50, 1)} / p95 ${fmt(d.p95, 1)} / p99 ${fmt(d.p99, 1)} / max ${fmt(d.max, 1)} ms over ${d.count} alerts (202 → alerts log p50 ${fmt(outcome.toLogMs.p50, 1)} / p99 ${fmt(outcome.toLogMs.p99, 1)} ms; log → client p50 ${fmt(outcome.logToClientMs.p50, 1)} / p99 ${fmt(outcome.logToClientMs.p99, 1)} ms); lag p50 ${fmt(outcome.lagSeconds.p50 * 1000, 1)} / max ${fmt(outcome.lagSeconds.max * 1000, 1)} ms; CPU history ${pct(outcome.cpu.history ?? 0)}, postgres ${pct(outcome.cpu.postgres ?? 0)}, rest of machine ${pct(outcome.cpu.other ?? 0)}; load average ${outcome.loadAverage.join(' / ')}${outcome.checked ? '' : ' — CHECK FAILED'}`,
      );
    };
    logLatency('latency', latency);
    // Full runs: the same pipeline with the trigger rule alone (a checkpoint of a few KB), which
    // tells the checkpoint's share of the alert path from the rest of it.
    let control: LatencyOutcome | undefined;
    if (!context.quick) {
      control = await latencyRun(
        context,
        { ...settings, warmupTriggers: 20, triggers: 150 },
        definitions.filter((rule) => rule.id === TRIGGER_RULE),
      );
      logLatency('control (trigger rule alone)', control);
    }

    const keepsUp = engineRate >= target;
    const fast = l.p99 <= LATENCY_GOAL_MS;
    const notes: string[] = [
      `A1 part 1 (CPU per event, median of ${rounds} round${rounds > 1 ? 's' : ''} of ${fmt(count)} events after ${fmt(warmup)} of warm-up, 20,000 events per second of stream time, 50 agents): ${(['parse', 'evaluator-0', 'evaluator-100', 'engine-0', 'engine-100'] as const).map((m) => `${MODE_TEXT[m]} ${fmt(us(m), 2)} µs (${fmt(rate(m))}/s)`).join('; ')}. The 100 rules cost the library ${fmt(us('evaluator-100') - us('evaluator-0'), 2)} µs per event and the engine ${fmt(us('engine-100') - us('engine-0'), 2)} µs; the engine with 100 rules keeps up with ${fmt(engineRate)} events/s on one core against a target of ${targetText}: ${keepsUp ? 'met' : 'NOT met'} (${pct(engineRate / target)}). The engine's evaluator state (checkpoint JSON) is ${fmt((runs.find((r) => r.mode === 'evaluator-100')?.snapshotBytes ?? 0) / 1024)} KB after 250,000 events, serialised in ${fmt(runs.find((r) => r.mode === 'evaluator-100')?.snapshotMs ?? Number.NaN, 1)} ms; the engine writes it at most every AUREN_ALERT_CHECKPOINT_MS (30 s) while events flow (${runs
        .filter((r) => r.mode === 'engine-100')
        .map((r) => `${fmt(r.checkpoints ?? 0)} checkpoints over ${fmt(r.wallMs / 1000, 1)} s`)
        .join(
          ', ',
        )} of measured engine runs). Machine load average at part 1: ${loadAtPart1.map((v) => v.toFixed(2)).join(' / ')}.`,
      `A1 part 2 (alert latency, ${latency.latencyMs.count} alerts, one every ${settings.triggerEveryMs} ms over ${settings.rate} events/s of background, 100 rules): 202 → alert_fired p50 ${fmt(l.p50, 1)}, p95 ${fmt(l.p95, 1)}, p99 ${fmt(l.p99, 1)}, max ${fmt(l.max, 1)} ms (goal p99 ≤ ${LATENCY_GOAL_MS} ms: ${fast ? 'met' : 'NOT met'}). Of it, 202 → the firing in the Redis alerts log (ingest → stream → history's reader → evaluator → transition stored in PostgreSQL → dispatcher reads unpublished rows → XADD) p50 ${fmt(latency.toLogMs.p50, 1)} / p99 ${fmt(latency.toLogMs.p99, 1)} / max ${fmt(latency.toLogMs.max, 1)} ms; alerts log → client (gateway's XREAD, emit, socket.io) p50 ${fmt(latency.logToClientMs.p50, 1)} / p99 ${fmt(latency.logToClientMs.p99, 1)} ms. Trigger POST round trip p50 ${fmt(latency.postMs.p50, 1)} / p99 ${fmt(latency.postMs.p99, 1)} ms. auren_alert_evaluation_lag_seconds p50 ${fmt(latency.lagSeconds.p50 * 1000, 1)} ms, max ${fmt(latency.lagSeconds.max * 1000, 1)} ms (${latency.lagSeconds.samples} samples). CPU (share of one core) history ${pct(latency.cpu.history ?? 0)}, PostgreSQL ${pct(latency.cpu.postgres ?? 0)}, ingest ${pct(latency.cpu.ingest ?? 0)}, gateway ${pct(latency.cpu.gateway ?? 0)}, redis ${pct(latency.cpu.redis ?? 0)}, rest of the machine ${pct(latency.cpu.other ?? 0)}; load average at the end ${latency.loadAverage.join(' / ')}.`,
      whereTimeGoes(latency, runs),
    ];
    if (control) {
      const c = control.latencyMs;
      notes.push(
        `A1 control (full runs): the same ingest, gateway, history and load with the trigger rule alone — checkpoint ${control.checkpoint ? `${fmt(control.checkpoint.jsonChars / 1024, 1)} KB of JSON` : 'absent'} — 202 → alert_fired p50 ${fmt(c.p50, 1)} / p95 ${fmt(c.p95, 1)} / p99 ${fmt(c.p99, 1)} / max ${fmt(c.max, 1)} ms over ${c.count} alerts (202 → alerts log p50 ${fmt(control.toLogMs.p50, 1)} / p99 ${fmt(control.toLogMs.p99, 1)} ms); history CPU ${pct(control.cpu.history ?? 0)}, PostgreSQL ${pct(control.cpu.postgres ?? 0)}, rest of the machine ${pct(control.cpu.other ?? 0)}${control.checked ? '' : ' — CHECK FAILED'}. With the 100 rules the alert path takes ${fmt(l.p50 - c.p50, 1)} ms more at p50 and ${fmt(l.p99 - c.p99, 1)} ms more at p99: the evaluation itself keeps up in both, so the difference is mostly the rules' state, serialised and written at each checkpoint.`,
      );
    }
    if (!latency.checked)
      notes.push(
        `A1: CHECK FAILED — ${latency.missing} triggers without alert_fired (or not answered 202), ${latency.duplicates} duplicate alert_fired, ${latency.sender.background.errors} background POSTs not answered 202${latency.sender.errorSamples[0] ? ` (${latency.sender.errorSamples[0]})` : ''}.`,
      );
    if (!evaluated)
      notes.push('A1: CHECK FAILED — the engine did not evaluate every event the transport read.');
    if ((latency.cpu.other ?? 0) > 0.25)
      notes.push(
        `A1: the rest of the machine kept ${pct(latency.cpu.other ?? 0)} of a core busy during the latency window — a disturbed run; tail latency suffers first.`,
      );
    const checked = latency.checked && evaluated;
    return {
      id: 'A1',
      title: a1Alerts.title,
      auren: {
        value: engineRate,
        text: `${fmt(engineRate)} events/s on one core (${fmt(us('engine-100'), 2)} µs/event, 100 rules); alert p50 ${fmt(l.p50, 1)} / p95 ${fmt(l.p95, 1)} / p99 ${fmt(l.p99, 1)} / max ${fmt(l.max, 1)} ms`,
      },
      baseline: {
        value: engineBase,
        text: `${fmt(engineBase)} events/s (${fmt(us('engine-0'), 2)} µs/event); ingest target ${fmt(target)}/s`,
        label: 'same engine, no rules',
      },
      ratio,
      goal: `≥ ingest rate on one core; alert p99 ≤ ${LATENCY_GOAL_MS} ms at 500 events/s`,
      met: checked ? keepsUp && fast : false,
      settings: {
        rules:
          '100: 26 cost_sum, 12 failure_rate, 12 latency_p95, 14 event_count, 9 other thresholds, 12 absence, 14 match, 1 trigger (match, resolveAfter 1s); owner bench; 50 agents',
        part1: { warmup, count, rounds, streamRate: PER_MS * 1000, pool: POOL },
        part2: settings,
        ingest: aurenIngestSettings(),
        gateway: aurenSettings(),
        history: historySettings(),
        target: context.quick ? `fixed ${FIXED_TARGET}` : 'bare ingest, measured',
      },
      details: { costRuns: runs, target, latency, control },
      notes,
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Child process entry (the sender and the client of part 2)
// ---------------------------------------------------------------------------------------------

const role = process.env.BENCH_A1_ROLE;
if (role === 'sender' || role === 'client') {
  const config = JSON.parse(process.env.BENCH_LOAD_CONFIG ?? '{}') as SenderConfig & ClientConfig;
  (role === 'sender' ? senderMain(config) : clientMain(config)).catch((error: Error) => {
    sendToRunner({ type: 'error', message: `A1 ${role}: ${error.message}` });
    setTimeout(() => process.exit(1), 100);
  });
}
