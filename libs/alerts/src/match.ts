import type { StreamedEvent } from '@auren/contracts';
import type { AlertRule, MatchCondition, MatchFilter } from './rule';
import { RuleRuntime, type EvalContext, type KeyState, type OwnerAccess } from './rule-runtime';
import { containsText } from './text-search';
import { MAX_EVENT_IDS } from './transition';

/**
 * Match rules: any single event that passes the filter fires (per agent, or once for the rule
 * with `groupBy: none`); the alert resolves `resolveAfter` after the last match.
 */
interface MatchKey extends KeyState {
  lastMatch: number;
  count: number;
  ids: string[];
}

interface MatchKeySnapshot {
  lastMatch: number;
  count: number;
  ids: string[];
}

export class MatchRuntime extends RuleRuntime<MatchKey> {
  readonly needsMetrics: boolean;
  private readonly filter: MatchFilter;
  private readonly needle: string | undefined;

  constructor(rule: AlertRule, access: OwnerAccess, fingerprint: string, maxGroups: number) {
    const { filter } = rule.condition as MatchCondition;
    super(rule, access, fingerprint, maxGroups, filter.eventTypes, filter.agents);
    this.filter = filter;
    this.needsMetrics = filter.success !== undefined || filter.errorType !== undefined;
    this.needle = filter.textContains?.toLowerCase();
  }

  private matches(event: StreamedEvent): boolean {
    const { filter } = this;
    const metrics = event.performance_metrics;
    if (filter.success !== undefined && metrics?.success !== filter.success) return false;
    if (filter.errorType !== undefined && metrics?.error_type !== filter.errorType) return false;
    if (this.needle !== undefined) {
      return (
        (metrics?.error_type !== undefined &&
          metrics.error_type.toLowerCase().includes(this.needle)) ||
        containsText(event.payload, this.needle) ||
        containsText(event.metadata, this.needle)
      );
    }
    return true;
  }

  observe(
    event: StreamedEvent,
    t: number,
    ctx: EvalContext,
    cached?: MatchKey,
  ): MatchKey | undefined {
    if (!this.inModelScope(event) || !this.matches(event)) return cached;
    const key = this.keyFor(this.groupOf(event), ctx, cached);
    if (!key) return undefined;
    key.lastMatch = t;
    if (key.firingSince < 0) {
      key.count = 1;
      key.ids = [event.event_id];
      const window = { from: t, to: t };
      ctx.emit(this, key, 'firing', 'condition', t, 1, null, window, [event.event_id]);
    } else {
      key.count += 1;
      if (key.ids.length < MAX_EVENT_IDS) key.ids.push(event.event_id);
    }
    if (key.wakeAt === Infinity) {
      key.wakeAt = t + this.rule.resolveAfter;
      ctx.schedule(this, key);
    }
    return key;
  }

  wake(key: MatchKey, t: number, ctx: EvalContext): void {
    const deadline = key.lastMatch + this.rule.resolveAfter;
    if (t < deadline) {
      key.wakeAt = deadline;
      ctx.schedule(this, key);
      return;
    }
    const window = { from: key.firingSince, to: t };
    ctx.emit(this, key, 'resolved', 'condition', t, key.count, null, window, []);
    this.forget(key);
  }

  protected createKey(group: string, id: string, serial: number): MatchKey {
    return {
      id,
      group,
      serial,
      wakeAt: Infinity,
      removed: false,
      firingSince: -1,
      firingSeq: 0,
      lastMatch: 0,
      count: 0,
      ids: [],
    };
  }

  protected snapshotKey(key: MatchKey): MatchKeySnapshot {
    return { lastMatch: key.lastMatch, count: key.count, ids: [...key.ids] };
  }

  protected restoreKey(key: MatchKey, state: unknown): void {
    const saved = state as MatchKeySnapshot;
    key.lastMatch = saved.lastMatch;
    key.count = saved.count;
    key.ids = [...saved.ids];
  }
}
