import type { StreamedEvent } from '@auren/contracts';
import { AbsenceRuntime } from './absence';
import { DeadlineHeap } from './deadline-heap';
import { ruleFingerprint } from './fingerprint';
import { MatchRuntime } from './match';
import type { AlertRule, Severity } from './rule';
import {
  DEFAULT_ACCESS,
  type EvalContext,
  type KeySnapshot,
  type KeyState,
  type OwnerAccess,
  type RuleRuntime,
} from './rule-runtime';
import { ThresholdRuntime } from './threshold';
import type { ActiveAlert, AlertState, AlertTransition, TransitionReason } from './transition';

export interface AlertEvaluatorOptions {
  /**
   * What each rule owner may see (CONTRACT §4), from the owner's permissions. Default: own and
   * unowned events, every agent. Asked when rules are set; call `setRules` again when it changes.
   */
  access?: (owner: string) => OwnerAccess;
  /**
   * The clock: `stream_id` (Redis entry IDs, `<ms>-<seq>`: their ms part; default) or
   * `received_at` (Kafka, whose `partition-offset` IDs carry no time).
   */
  clock?: 'stream_id' | 'received_at';
  /** `tick(now)` moves the clock to `now − tickLagMs`, leaving late events room. Default 2000. */
  tickLagMs?: number;
  /** Keys (agents) one rule tracks at most; events of further agents are ignored. Default 1000. */
  maxGroupsPerRule?: number;
}

export interface EvaluatorStats {
  rules: number;
  keys: number;
  firing: number;
  /** Events at or before the last processed stream ID (a replay), ignored. */
  duplicatesSkipped: number;
  /** Events whose time was before the clock: counted at the clock's time. */
  lateEvents: number;
  /** New keys refused because a rule was at `maxGroupsPerRule`. */
  groupsRefused: number;
}

/** JSON-serialisable state; see `AlertEvaluator.snapshot()`. */
export interface EvaluatorSnapshot {
  version: 1;
  clock: number;
  lastStreamId: string | null;
  lastSeq: number;
  /** Serial of the next key. */
  keySerial: number;
  rules: {
    id: string;
    fingerprint: string;
    owner: string;
    severity: Severity;
    groupBy: 'agent' | 'none';
    keys: KeySnapshot[];
  }[];
}

const PARSED: [number, number] = [0, 0];

/**
 * `[ms, seq]` of a Redis stream ID `<ms>-<seq>`, `undefined` for anything else. Digits are read
 * in place (no substrings: this runs for every event); the returned pair is reused.
 */
function parseStreamId(id: string): [number, number] | undefined {
  let ms = 0;
  let seq = 0;
  let dash = -1;
  for (let i = 0; i < id.length; i++) {
    const code = id.charCodeAt(i);
    if (code === 45 && dash < 0 && i > 0) dash = i;
    else if (code >= 48 && code <= 57) {
      if (dash < 0) ms = ms * 10 + (code - 48);
      else seq = seq * 10 + (code - 48);
    } else return undefined;
  }
  if (
    dash < 0 ||
    dash === id.length - 1 ||
    !Number.isSafeInteger(ms) ||
    !Number.isSafeInteger(seq)
  ) {
    return undefined;
  }
  PARSED[0] = ms;
  PARSED[1] = seq;
  return PARSED;
}

/** The rules one kind of event can concern, with the keys they last used for it. */
interface IndexEntry {
  rules: RuleRuntime[];
  keys: (KeyState | undefined)[];
}

const NO_TRANSITIONS: readonly AlertTransition[] = Object.freeze([]);
const INDEX_MAX_ENTRIES = 20_000;

/**
 * Decides alert transitions from the event stream (docs/alerts.md "Library"). Deterministic:
 * time is the events' stream time, so the same events from the same snapshot give the same
 * transitions, whenever and however often `tick` runs in between (as long as no event arrives
 * more than `tickLagMs` late).
 */
export class AlertEvaluator {
  private runtimes: RuleRuntime[] = [];
  private byId = new Map<string, RuleRuntime>();
  /** event type → agent → user → [rules for events without metrics, rules for events with]. */
  private index = new Map<string, Map<string, Map<string | undefined, IndexEntry[]>>>();
  private indexEntries = 0;
  private readonly heap = new DeadlineHeap();
  private clockMs = 0;
  private lastStreamId: string | null = null;
  private lastStreamMs = -1;
  private lastStreamSeq = -1;
  private lastSeq = 0;
  private keySerial = 0;
  private out: AlertTransition[] | undefined;
  private readonly counters = { duplicatesSkipped: 0, lateEvents: 0, groupsRefused: 0 };
  private readonly access: (owner: string) => OwnerAccess;
  private readonly useStreamId: boolean;
  private readonly tickLagMs: number;
  private readonly maxGroups: number;
  private readonly ctx: EvalContext = {
    emit: (runtime, key, state, reason, at, value, threshold, window, eventIds) => {
      const seq = this.record(
        runtime.rule,
        key.id,
        key.group,
        state,
        reason,
        at,
        value,
        threshold,
        window,
        eventIds,
      );
      key.firingSince = state === 'firing' ? at : -1;
      key.firingSeq = state === 'firing' ? seq : key.firingSeq;
    },
    schedule: (runtime, key) => {
      if (key.wakeAt !== Infinity) this.heap.push(key.wakeAt, key, runtime);
    },
    groupRefused: () => {
      this.counters.groupsRefused += 1;
    },
    nextSerial: () => this.keySerial++,
  };

  constructor(rules: readonly AlertRule[] = [], options: AlertEvaluatorOptions = {}) {
    this.access = options.access ?? (() => DEFAULT_ACCESS);
    this.useStreamId = (options.clock ?? 'stream_id') === 'stream_id';
    this.tickLagMs = options.tickLagMs ?? 2000;
    this.maxGroups = options.maxGroupsPerRule ?? 1000;
    this.setRules(rules);
  }

  /** Stream time (ms) the evaluator has reached. */
  get clock(): number {
    return this.clockMs;
  }

  /**
   * Feeds one event, in stream order. Returns the transitions it caused, preceded by those of any
   * deadline (absence, `for`, window expiry) that fell due up to the event's time.
   */
  observe(event: StreamedEvent): readonly AlertTransition[] {
    const time = this.timeOf(event);
    if (time === undefined) {
      this.counters.duplicatesSkipped += 1;
      return this.flush();
    }
    if (time < this.clockMs) this.counters.lateEvents += 1;
    const t = Math.max(time, this.clockMs);
    this.runDeadlines(t);
    this.clockMs = t;
    this.lastStreamId = event.stream_id;
    const { rules, keys } = this.entryFor(event);
    for (let i = 0; i < rules.length; i++) {
      const cached = keys[i];
      keys[i] = rules[i].observe(event, t, this.ctx, cached?.removed ? undefined : cached);
    }
    return this.flush();
  }

  /** Moves the clock to `nowMs − tickLagMs` (never back) and returns what fell due. */
  tick(nowMs: number): readonly AlertTransition[] {
    const limit = nowMs - this.tickLagMs;
    if (limit > this.clockMs) {
      this.runDeadlines(limit);
      this.clockMs = limit;
    }
    return this.flush();
  }

  /**
   * Replaces the rule set. Unchanged rules (same content and owner access) keep their state; a
   * removed, changed or disabled rule's firing alerts resolve now with reason `rule_removed`,
   * `rule_changed` or `rule_disabled` (returned).
   */
  setRules(rules: readonly AlertRule[]): readonly AlertTransition[] {
    const next = new Map<string, RuleRuntime>();
    for (const rule of rules) {
      if (next.has(rule.id)) throw new Error(`setRules: rule id "${rule.id}" is used twice`);
      const existing = this.byId.get(rule.id);
      const access = this.access(rule.owner);
      const fingerprint = ruleFingerprint(rule, access);
      if (!rule.enabled) {
        existing?.release('rule_disabled', this.clockMs, this.ctx);
        continue;
      }
      if (existing && existing.fingerprint === fingerprint) {
        next.set(rule.id, existing);
        continue;
      }
      existing?.release('rule_changed', this.clockMs, this.ctx);
      next.set(rule.id, this.createRuntime(rule, access, fingerprint));
    }
    const listed = new Set(rules.map((rule) => rule.id));
    for (const [id, runtime] of this.byId) {
      if (!listed.has(id)) {
        runtime.release('rule_removed', this.clockMs, this.ctx);
      }
    }
    this.byId = next;
    this.runtimes = [...next.values()];
    this.index.clear();
    this.indexEntries = 0;
    return this.flush();
  }

  /** Alerts firing now. */
  active(): ActiveAlert[] {
    const alerts: ActiveAlert[] = [];
    for (const runtime of this.runtimes) {
      const { id: ruleId, owner, severity, groupBy } = runtime.rule;
      for (const key of runtime.groups.values()) {
        if (key.firingSince < 0) continue;
        const agent = groupBy === 'agent' ? key.group : null;
        alerts.push({
          ruleId,
          key: key.id,
          agent,
          owner,
          severity,
          since: key.firingSince,
          seq: key.firingSeq,
        });
      }
    }
    return alerts;
  }

  stats(): EvaluatorStats {
    let keys = 0;
    let firing = 0;
    for (const runtime of this.runtimes) {
      keys += runtime.groups.size;
      for (const key of runtime.groups.values()) if (key.firingSince >= 0) firing += 1;
    }
    return { rules: this.runtimes.length, keys, firing, ...this.counters };
  }

  /**
   * The state as JSON, for a successor to continue from with {@link AlertEvaluator.restore}. Its
   * size is bounded by rules × maxGroupsPerRule × (≤ 120 buckets + 20 event ids). Store it with
   * `lastStreamId` and resume reading the stream after that position.
   */
  snapshot(): EvaluatorSnapshot {
    return {
      version: 1,
      clock: this.clockMs,
      lastStreamId: this.lastStreamId,
      lastSeq: this.lastSeq,
      keySerial: this.keySerial,
      rules: this.runtimes.map((runtime) => ({
        id: runtime.rule.id,
        fingerprint: runtime.fingerprint,
        owner: runtime.rule.owner,
        severity: runtime.rule.severity,
        groupBy: runtime.rule.groupBy,
        keys: runtime.snapshotKeys(),
      })),
    };
  }

  /**
   * An evaluator that continues from `snapshot` with `rules`. Rules whose content or owner access
   * differ from the snapshot's start empty; their firing alerts (and those of rules no longer
   * present) are resolved by transitions that the first `observe`/`tick`/`setRules` returns.
   */
  static restore(
    rules: readonly AlertRule[],
    snapshot: EvaluatorSnapshot,
    options: AlertEvaluatorOptions = {},
  ): AlertEvaluator {
    if (snapshot?.version !== 1)
      throw new Error('AlertEvaluator.restore: unknown snapshot version');
    const evaluator = new AlertEvaluator(rules, options);
    evaluator.clockMs = snapshot.clock;
    evaluator.lastSeq = snapshot.lastSeq;
    evaluator.keySerial = snapshot.keySerial;
    evaluator.rememberStreamId(snapshot.lastStreamId);
    for (const saved of snapshot.rules) {
      const runtime = evaluator.byId.get(saved.id);
      if (runtime && runtime.fingerprint === saved.fingerprint) {
        runtime.restoreKeys(saved.keys);
        for (const key of runtime.groups.values()) evaluator.ctx.schedule(runtime, key);
        continue;
      }
      const rule = rules.find((candidate) => candidate.id === saved.id);
      const reason: TransitionReason = !rule
        ? 'rule_removed'
        : rule.enabled
          ? 'rule_changed'
          : 'rule_disabled';
      for (const key of saved.keys) {
        if (key.firingSince < 0) continue;
        const id = saved.groupBy === 'agent' ? `${saved.id}:${key.group}` : saved.id;
        evaluator.record(
          saved,
          id,
          key.group,
          'resolved',
          reason,
          snapshot.clock,
          null,
          null,
          null,
          [],
        );
      }
    }
    return evaluator;
  }

  private createRuntime(rule: AlertRule, access: OwnerAccess, fingerprint: string): RuleRuntime {
    switch (rule.condition.kind) {
      case 'threshold':
        return new ThresholdRuntime(rule, access, fingerprint, this.maxGroups);
      case 'absence':
        return new AbsenceRuntime(rule, access, fingerprint, this.maxGroups);
      case 'match':
        return new MatchRuntime(rule, access, fingerprint, this.maxGroups);
    }
  }

  private record(
    rule: { id: string; owner: string; severity: Severity; groupBy: 'agent' | 'none' },
    key: string,
    group: string,
    state: AlertState,
    reason: TransitionReason,
    at: number,
    value: number | null,
    threshold: number | null,
    window: { from: number; to: number } | null,
    eventIds: string[],
  ): number {
    const seq = Math.max(this.lastSeq + 1, at * 1000);
    this.lastSeq = seq;
    (this.out ??= []).push({
      ruleId: rule.id,
      key,
      agent: rule.groupBy === 'agent' ? group : null,
      owner: rule.owner,
      severity: rule.severity,
      state,
      reason,
      value,
      threshold,
      window,
      eventIds,
      at,
      seq,
    });
    return seq;
  }

  private flush(): readonly AlertTransition[] {
    const out = this.out;
    this.out = undefined;
    return out ?? NO_TRANSITIONS;
  }

  private runDeadlines(limit: number): void {
    const heap = this.heap;
    while (heap.peekAt() <= limit) {
      const at = heap.peekAt();
      const key = heap.peekKey();
      const runtime = heap.peekRuntime();
      heap.pop();
      if (key.removed || key.wakeAt !== at) continue;
      if (at > this.clockMs) this.clockMs = at;
      runtime.wake(key, at, this.ctx);
    }
  }

  /** The event's time, or `undefined` when its stream ID is not after the last one (a replay). */
  private timeOf(event: StreamedEvent): number | undefined {
    if (this.useStreamId) {
      const parsed = parseStreamId(event.stream_id);
      if (parsed !== undefined) {
        const [ms, seq] = parsed;
        if (ms < this.lastStreamMs || (ms === this.lastStreamMs && seq <= this.lastStreamSeq)) {
          return undefined;
        }
        this.lastStreamMs = ms;
        this.lastStreamSeq = seq;
        return ms;
      }
    }
    const received = Date.parse(event.received_at);
    return Number.isFinite(received) ? received : this.clockMs;
  }

  private rememberStreamId(id: string | null): void {
    this.lastStreamId = id;
    const parsed = id === null || !this.useStreamId ? undefined : parseStreamId(id);
    if (parsed !== undefined) [this.lastStreamMs, this.lastStreamSeq] = parsed;
  }

  /**
   * The rules that admit events of this type, agent and user (scope and owner visibility), split
   * by whether the event carries performance_metrics. Cached; the cache is bounded.
   */
  private entryFor(event: StreamedEvent): IndexEntry {
    const agent = event.source_agent.id;
    const user = event.user_id;
    let byAgent = this.index.get(event.event_type);
    let byUser = byAgent?.get(agent);
    let pair = byUser?.get(user);
    if (!pair) {
      if (this.indexEntries >= INDEX_MAX_ENTRIES) {
        this.index.clear();
        this.indexEntries = 0;
        byAgent = undefined;
        byUser = undefined;
      }
      if (!byAgent) {
        byAgent = new Map<string, Map<string | undefined, IndexEntry[]>>();
        this.index.set(event.event_type, byAgent);
      }
      if (!byUser) {
        byUser = new Map<string | undefined, IndexEntry[]>();
        byAgent.set(agent, byUser);
      }
      const admitted = this.runtimes.filter((runtime) => runtime.admits(event));
      const withoutMetrics = admitted.filter((runtime) => !runtime.needsMetrics);
      pair = [
        { rules: withoutMetrics, keys: new Array<KeyState | undefined>(withoutMetrics.length) },
        { rules: admitted, keys: new Array<KeyState | undefined>(admitted.length) },
      ];
      byUser.set(user, pair);
      this.indexEntries += 1;
    }
    return pair[event.performance_metrics === undefined ? 0 : 1];
  }
}
