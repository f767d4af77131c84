import type { StreamedEvent } from '@auren/contracts';
import type { AbsenceCondition, AlertRule } from './rule';
import { RuleRuntime, type EvalContext, type KeyState, type OwnerAccess } from './rule-runtime';

/**
 * Absence rules, always per agent: an agent that emitted `agent_execution_started` and then
 * nothing for `after` (no `agent_execution_completed` either) fires; its next event resolves.
 * Only running agents have a key: `agent_execution_completed` forgets the agent.
 */
interface AbsenceKey extends KeyState {
  lastSeen: number;
  lastEventId: string;
}

interface AbsenceKeySnapshot {
  lastSeen: number;
  lastEventId: string;
}

const STARTED = 'agent_execution_started';
const COMPLETED = 'agent_execution_completed';

export class AbsenceRuntime extends RuleRuntime<AbsenceKey> {
  private readonly after: number;

  constructor(rule: AlertRule, access: OwnerAccess, fingerprint: string, maxGroups: number) {
    super(rule, access, fingerprint, maxGroups);
    this.after = (rule.condition as AbsenceCondition).after;
  }

  readonly needsMetrics = false;

  observe(
    event: StreamedEvent,
    t: number,
    ctx: EvalContext,
    cached?: AbsenceKey,
  ): AbsenceKey | undefined {
    const group = event.source_agent.id;
    const type = event.event_type;
    let key = cached ?? this.groups.get(group);
    if (!key) {
      if (type !== STARTED) return undefined;
      key = this.keyFor(group, ctx, undefined);
      if (!key) return undefined;
    }
    if (key.firingSince >= 0) {
      const window = { from: key.lastSeen, to: t };
      ctx.emit(this, key, 'resolved', 'condition', t, t - key.lastSeen, this.after, window, [
        event.event_id,
      ]);
    }
    key.lastSeen = t;
    key.lastEventId = event.event_id;
    if (type === COMPLETED) {
      this.forget(key);
      return undefined;
    }
    // Rescheduled lazily: a wake-up that finds a later deadline moves on to it (one heap entry
    // per `after`, not one per event).
    if (key.wakeAt === Infinity) {
      key.wakeAt = t + this.after;
      ctx.schedule(this, key);
    }
    return key;
  }

  wake(key: AbsenceKey, t: number, ctx: EvalContext): void {
    const deadline = key.lastSeen + this.after;
    if (t < deadline) {
      key.wakeAt = deadline;
      ctx.schedule(this, key);
      return;
    }
    key.wakeAt = Infinity;
    if (key.firingSince >= 0) return;
    const window = { from: key.lastSeen, to: t };
    ctx.emit(this, key, 'firing', 'condition', t, t - key.lastSeen, this.after, window, [
      key.lastEventId,
    ]);
  }

  protected createKey(group: string, id: string, serial: number): AbsenceKey {
    return {
      id,
      group,
      serial,
      wakeAt: Infinity,
      removed: false,
      firingSince: -1,
      firingSeq: 0,
      lastSeen: 0,
      lastEventId: '',
    };
  }

  protected snapshotKey(key: AbsenceKey): AbsenceKeySnapshot {
    return { lastSeen: key.lastSeen, lastEventId: key.lastEventId };
  }

  protected restoreKey(key: AbsenceKey, state: unknown): void {
    const saved = state as AbsenceKeySnapshot;
    key.lastSeen = saved.lastSeen;
    key.lastEventId = saved.lastEventId;
  }
}
