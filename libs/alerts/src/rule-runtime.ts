import { isVisibleTo, type StreamedEvent, type Viewer } from '@auren/contracts';
import type { AlertRule } from './rule';
import type { AlertState, TransitionReason } from './transition';

/** What a rule's owner may see (CONTRACT §4): the caller derives it from the owner's permissions. */
export interface OwnerAccess {
  /** The `all` permission: every user's events. Otherwise the owner's own and unowned ones. */
  seesAllUsers: boolean;
  /** Agents the owner may watch; `null`: no restriction. */
  allowedAgents: ReadonlySet<string> | null;
}

export const DEFAULT_ACCESS: OwnerAccess = { seesAllUsers: false, allowedAgents: null };

/** State of one alert key (one rule, one agent or the whole rule). */
export interface KeyState {
  readonly id: string;
  readonly group: string;
  /** Creation number within the evaluator: orders wake-ups due at the same time. */
  readonly serial: number;
  /** Next time (stream ms) the key must be looked at without an event; `Infinity`: none. */
  wakeAt: number;
  /** Dropped from its rule: queued wake-ups for it are ignored. */
  removed: boolean;
  /** Stream time it fired, -1 when not firing. */
  firingSince: number;
  /** seq of the firing transition. */
  firingSeq: number;
}

/** One key in a snapshot; `state` is the condition's own. */
export interface KeySnapshot {
  group: string;
  serial: number;
  wakeAt: number | null;
  firingSince: number;
  firingSeq: number;
  state: unknown;
}

export interface EvalContext {
  emit(
    runtime: RuleRuntime,
    key: KeyState,
    state: AlertState,
    reason: TransitionReason,
    at: number,
    value: number | null,
    threshold: number | null,
    window: { from: number; to: number } | null,
    eventIds: string[],
  ): void;
  /** The key's `wakeAt` changed. */
  schedule(runtime: RuleRuntime, key: KeyState): void;
  /** A new group was refused: the rule already tracks its maximum. */
  groupRefused(): void;
  /** The serial of a new key. */
  nextSerial(): number;
}

const NO_AGENTS: ReadonlySet<string> = new Set();

function intersect(
  a: readonly string[] | undefined,
  b: readonly string[] | undefined,
): ReadonlySet<string> | null {
  if (!a && !b) return null;
  if (!a || !b) return new Set(a ?? b);
  const other = new Set(b);
  return new Set(a.filter((item) => other.has(item)));
}

/** The evaluator's view of one rule: scope checks, its keys, and its condition's state machine. */
export abstract class RuleRuntime<K extends KeyState = KeyState> {
  readonly groups = new Map<string, K>();
  /** Event types the rule can use (`null`: any): the evaluator's index. */
  readonly eventTypes: ReadonlySet<string> | null;
  /** Agents the rule can use (`null`: any). */
  readonly agents: ReadonlySet<string> | null;
  private readonly models: ReadonlySet<string> | null;
  private readonly viewer: Viewer;

  constructor(
    readonly rule: AlertRule,
    access: OwnerAccess,
    readonly fingerprint: string,
    private readonly maxGroups: number,
    narrowTypes?: readonly string[],
    narrowAgents?: readonly string[],
  ) {
    this.eventTypes = intersect(rule.scope.eventTypes, narrowTypes);
    this.agents = intersect(rule.scope.agents, narrowAgents);
    this.models = rule.scope.models ? new Set(rule.scope.models) : null;
    this.viewer = {
      userId: rule.owner,
      seesAllUsers: access.seesAllUsers,
      allowedAgents: access.allowedAgents,
      subscriptions: new Set(),
      agentFilter: NO_AGENTS,
      threshold: 0,
    };
  }

  /**
   * Whether the rule may use events like this one: its event-type and agent scope, and what its
   * owner may see (CONTRACT §4, by user and agent). The evaluator asks once per (type, agent,
   * user) and caches the answer; `observe` then only checks the rest.
   */
  admits(event: StreamedEvent): boolean {
    return (
      (this.eventTypes === null || this.eventTypes.has(event.event_type)) &&
      (this.agents === null || this.agents.has(event.source_agent.id)) &&
      isVisibleTo(event, this.viewer)
    );
  }

  /** The model scope. */
  protected inModelScope(event: StreamedEvent): boolean {
    if (this.models === null) return true;
    const model = event.performance_metrics?.model;
    return model !== undefined && this.models.has(model);
  }

  protected groupOf(event: StreamedEvent): string {
    return this.rule.groupBy === 'agent' ? event.source_agent.id : '';
  }

  protected keyId(group: string): string {
    return this.rule.groupBy === 'agent' ? `${this.rule.id}:${group}` : this.rule.id;
  }

  /** The key of a group, created when absent unless the rule is at its maximum. */
  protected keyFor(group: string, ctx: EvalContext, cached: K | undefined): K | undefined {
    if (cached !== undefined) return cached;
    const existing = this.groups.get(group);
    if (existing) return existing;
    if (this.groups.size >= this.maxGroups) {
      ctx.groupRefused();
      return undefined;
    }
    const key = this.createKey(group, this.keyId(group), ctx.nextSerial());
    this.groups.set(group, key);
    return key;
  }

  protected forget(key: K): void {
    key.removed = true;
    this.groups.delete(key.group);
  }

  /** Ends every firing alert of the rule (it was removed, changed or disabled). */
  release(reason: TransitionReason, t: number, ctx: EvalContext): void {
    for (const key of this.groups.values()) {
      if (key.firingSince >= 0) {
        ctx.emit(this, key, 'resolved', reason, t, null, null, null, []);
      }
      key.removed = true;
    }
    this.groups.clear();
  }

  /** The rule's keys as JSON (see {@link restoreKeys}). */
  snapshotKeys(): KeySnapshot[] {
    return [...this.groups.values()].map((key) => ({
      group: key.group,
      serial: key.serial,
      wakeAt: key.wakeAt === Infinity ? null : key.wakeAt,
      firingSince: key.firingSince,
      firingSeq: key.firingSeq,
      state: this.snapshotKey(key),
    }));
  }

  restoreKeys(entries: readonly KeySnapshot[]): void {
    for (const entry of entries) {
      const key = this.createKey(entry.group, this.keyId(entry.group), entry.serial);
      key.wakeAt = entry.wakeAt ?? Infinity;
      key.firingSince = entry.firingSince;
      key.firingSeq = entry.firingSeq;
      this.restoreKey(key, entry.state);
      this.groups.set(key.group, key);
    }
  }

  /**
   * Applies an event the rule {@link admits}. `cached` is this event's group key when the caller
   * remembers it (never a removed key); returns the group's key, if it has one, for next time.
   */
  abstract observe(event: StreamedEvent, t: number, ctx: EvalContext, cached?: K): K | undefined;
  /** Events without `performance_metrics` cannot matter to the rule. */
  abstract readonly needsMetrics: boolean;
  abstract wake(key: K, t: number, ctx: EvalContext): void;
  protected abstract createKey(group: string, id: string, serial: number): K;
  protected abstract snapshotKey(key: K): unknown;
  protected abstract restoreKey(key: K, state: unknown): void;
}
