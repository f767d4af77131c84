import type { StreamedEvent } from '@auren/contracts';
import { isTotal, reader, sampler, windowMode, type Reader, type Sampler } from './metrics';
import type { AlertRule, ComparisonOp, ThresholdCondition } from './rule';
import { RuleRuntime, type EvalContext, type KeyState, type OwnerAccess } from './rule-runtime';
import { MAX_EVENT_IDS } from './transition';
import { BucketWindow, type WindowSnapshot } from './window';

/**
 * Threshold rules: a metric over a sliding window compared with `value`.
 *
 *   inactive ──breach──▶ pending ──held for `for`──▶ FIRING ──past resolveValue──▶ resolving
 *      ▲                    │ (no breach)             ▲                                │
 *      └────────────────────┘                         └───────back past it─────────────┤
 *      ◀──────────────────────────────── held for `resolveAfter`: RESOLVED ◀───────────┘
 *
 * With `for` = 0 breach fires at once; with `resolveAfter` = 0 resolving resolves at once.
 */
const INACTIVE = 0;
const PENDING = 1;
const FIRING = 2;
const RESOLVING = 3;
type Phase = typeof INACTIVE | typeof PENDING | typeof FIRING | typeof RESOLVING;

interface ThresholdKey extends KeyState {
  window: BucketWindow;
  phase: Phase;
  /** Start of the pending or resolving phase. */
  since: number;
  firstSeen: number;
  /**
   * Ids of the last {@link MAX_EVENT_IDS} contributing events, a ring. Samples enter and leave
   * the window in time order, so the window holds the last `samples` of them.
   */
  ids: string[];
  next: number;
}

interface ThresholdKeySnapshot {
  phase: Phase;
  since: number;
  firstSeen: number;
  /** Oldest first. */
  ids: string[];
  window: WindowSnapshot;
}

function holds(op: ComparisonOp, value: number, limit: number): boolean {
  switch (op) {
    case '>':
      return value > limit;
    case '>=':
      return value >= limit;
    case '<':
      return value < limit;
    case '<=':
      return value <= limit;
  }
}

export class ThresholdRuntime extends RuleRuntime<ThresholdKey> {
  readonly needsMetrics: boolean;
  private readonly condition: ThresholdCondition;
  private readonly sample: Sampler;
  private readonly read: Reader;
  /** Sums and counts compared with `<`: no verdict until the key has been seen for a window. */
  private readonly warmUp: boolean;
  /**
   * Samples leaving the window can only move the value away from a breach: sums and counts
   * under `>`/`>=` (they only fall), the lowest confidence under `<`/`<=` (it only rises).
   */
  private readonly expiryCannotBreach: boolean;

  constructor(rule: AlertRule, access: OwnerAccess, fingerprint: string, maxGroups: number) {
    const condition = rule.condition as ThresholdCondition;
    super(
      rule,
      access,
      fingerprint,
      maxGroups,
      condition.eventType === undefined ? undefined : [condition.eventType],
    );
    this.condition = condition;
    this.sample = sampler(condition);
    this.read = reader(condition);
    this.needsMetrics = condition.metric !== 'event_count';
    const below = condition.op === '<' || condition.op === '<=';
    this.warmUp = isTotal(condition.metric) && below;
    this.expiryCannotBreach = isTotal(condition.metric)
      ? !below
      : condition.metric === 'confidence_min' && below;
  }

  observe(
    event: StreamedEvent,
    t: number,
    ctx: EvalContext,
    cached?: ThresholdKey,
  ): ThresholdKey | undefined {
    const sample = this.sample(event);
    if (Number.isNaN(sample) || !this.inModelScope(event)) return cached;
    const key = this.keyFor(this.groupOf(event), ctx, cached);
    if (!key) return undefined;
    if (key.firstSeen < 0) key.firstSeen = t;
    key.window.add(t, sample);
    key.ids[key.next] = event.event_id;
    key.next = (key.next + 1) % MAX_EVENT_IDS;
    this.step(key, t, ctx);
    return key.removed ? undefined : key;
  }

  wake(key: ThresholdKey, t: number, ctx: EvalContext): void {
    this.step(key, t, ctx);
  }

  private step(key: ThresholdKey, t: number, ctx: EvalContext): void {
    const { condition, rule } = this;
    key.window.advance(t);
    const value = this.read(key.window);
    const warm = !this.warmUp || t >= key.firstSeen + condition.window;
    const breach = warm && value !== undefined && holds(condition.op, value, condition.value);
    switch (key.phase) {
      case INACTIVE:
        if (!breach) break;
        if (rule.for === 0) this.fire(key, t, value, ctx);
        else {
          key.phase = PENDING;
          key.since = t;
        }
        break;
      case PENDING:
        if (!breach) key.phase = INACTIVE;
        else if (t >= key.since + rule.for) this.fire(key, t, value, ctx);
        break;
      default: {
        // Firing or resolving: the condition is checked against resolveValue (hysteresis).
        const bad =
          warm && value !== undefined && holds(condition.op, value, condition.resolveValue);
        if (bad) key.phase = FIRING;
        else if (key.phase === FIRING && rule.resolveAfter > 0) {
          key.phase = RESOLVING;
          key.since = t;
        } else if (key.phase === FIRING || t >= key.since + rule.resolveAfter) {
          key.phase = INACTIVE;
          const window = { from: key.window.from, to: t };
          ctx.emit(
            this,
            key,
            'resolved',
            'condition',
            t,
            value ?? null,
            condition.resolveValue,
            window,
            [],
          );
        }
      }
    }
    if (key.phase === INACTIVE && key.window.samples === 0) {
      this.forget(key);
      return;
    }
    let wakeAt: number;
    if (key.phase === INACTIVE && this.expiryCannotBreach) {
      // Samples leaving cannot start a breach: wake only to forget the key once it is empty.
      wakeAt = key.window.emptyAt();
    } else {
      wakeAt = key.window.nextExpiry();
      if (key.phase === PENDING) wakeAt = Math.min(wakeAt, key.since + rule.for);
      if (key.phase === RESOLVING) wakeAt = Math.min(wakeAt, key.since + rule.resolveAfter);
      if (!warm) wakeAt = Math.min(wakeAt, key.firstSeen + condition.window);
    }
    // A queued earlier wake-up is kept (waking early changes nothing, it re-plans): one heap entry
    // per key at a time, instead of one per event.
    if (wakeAt < key.wakeAt || key.wakeAt <= t) {
      key.wakeAt = wakeAt;
      ctx.schedule(this, key);
    }
  }

  private fire(key: ThresholdKey, t: number, value: number | undefined, ctx: EvalContext): void {
    key.phase = FIRING;
    const window = { from: key.window.from, to: t };
    const ids = this.lastIds(key, Math.min(MAX_EVENT_IDS, key.window.samples));
    ctx.emit(this, key, 'firing', 'condition', t, value ?? null, this.condition.value, window, ids);
  }

  /** The last `count` remembered ids, oldest first. */
  private lastIds(key: ThresholdKey, count: number): string[] {
    const ids: string[] = [];
    for (let i = MAX_EVENT_IDS - count; i < MAX_EVENT_IDS; i++) {
      const id = key.ids[(key.next + i) % MAX_EVENT_IDS];
      if (id !== undefined) ids.push(id);
    }
    return ids;
  }

  protected createKey(group: string, id: string, serial: number): ThresholdKey {
    return {
      id,
      group,
      serial,
      wakeAt: Infinity,
      removed: false,
      firingSince: -1,
      firingSeq: 0,
      window: new BucketWindow(this.condition.window, windowMode(this.condition.metric)),
      phase: INACTIVE,
      since: 0,
      firstSeen: -1,
      ids: new Array<string>(MAX_EVENT_IDS),
      next: 0,
    };
  }

  protected snapshotKey(key: ThresholdKey): ThresholdKeySnapshot {
    const ids = this.lastIds(key, Math.min(MAX_EVENT_IDS, key.window.samples));
    const { phase, since, firstSeen } = key;
    return { phase, since, firstSeen, ids, window: key.window.snapshot() };
  }

  protected restoreKey(key: ThresholdKey, json: unknown): void {
    const saved = json as ThresholdKeySnapshot;
    key.phase = saved.phase;
    key.since = saved.since;
    key.firstSeen = saved.firstSeen;
    key.window = BucketWindow.restore(
      this.condition.window,
      windowMode(this.condition.metric),
      saved.window,
    );
    saved.ids.forEach((id, i) => {
      key.ids[i] = id;
    });
    key.next = saved.ids.length % MAX_EVENT_IDS;
  }
}
