import type { AlertStore, Silence } from '../alerts/alert-store';
import type { QueryViewer } from '../queries';
import { checkNumericId, checkText, ID_MAX, silenceEnd, TEXT_MAX } from './alert-arguments';
import { alertOf, coveredBy, silenceOf } from './alert-records';
import { scopeOf, type AlertRulesApi } from './alert-rules-api';
import { gqlError } from './graphql-errors';
import type { AlertSilence } from './models/alert.model';

export interface SilenceRequest {
  ruleId?: string | null;
  agentId?: string | null;
  duration?: string | null;
  until?: Date | null;
  reason?: string | null;
}

/**
 * Silences through the API: of a rule, an agent or both, each belonging to one owner (whose
 * alerts it covers). Changes of what a silence covers are queued for the dashboards.
 */
export class AlertSilencesApi {
  constructor(
    private readonly store: AlertStore,
    private readonly rules: AlertRulesApi,
  ) {}

  async silences(viewer: QueryViewer, activeOnly: boolean): Promise<AlertSilence[]> {
    const now = Date.now();
    return (await this.store.silences(scopeOf(viewer), activeOnly)).map((s) => silenceOf(s, now));
  }

  /**
   * A silence of a rule (the viewer's, or anyone's with `all`: it then belongs to the rule's
   * owner), an agent (the viewer's own rules), or both. Firing alerts it newly covers are queued
   * for the dashboards with `silenced: true`.
   */
  async silence(viewer: QueryViewer, request: SilenceRequest): Promise<AlertSilence> {
    const ruleId = checkText(request.ruleId, 'ruleId', ID_MAX);
    const agentId = checkText(request.agentId, 'agentId', ID_MAX);
    const reason = checkText(request.reason, 'reason', TEXT_MAX);
    if (ruleId === null && agentId === null) {
      throw gqlError('BAD_USER_INPUT', 'ruleId: give ruleId, agentId or both', {
        argument: 'ruleId',
      });
    }
    const endsAt = silenceEnd(request.duration, request.until);
    let owner = viewer.userId;
    if (ruleId !== null) {
      const rule = await this.rules.visible(viewer, ruleId);
      if (!rule) {
        throw gqlError('NOT_FOUND', `ruleId: no rule "${ruleId}" of yours`, { argument: 'ruleId' });
      }
      owner = rule.owner;
    }
    const active = await this.store.silences(owner, true);
    const silence = await this.store.addSilence({ owner, ruleId, agentId, endsAt, reason });
    await this.queueSilenced(owner, [silence], active, true);
    return silenceOf(silence);
  }

  /** Removes a silence; firing alerts no other silence covers are queued `silenced: false`. */
  async deleteSilence(viewer: QueryViewer, id: string): Promise<boolean> {
    checkNumericId(id, 'id');
    const scope = scopeOf(viewer);
    const active = await this.store.silences(scope, true);
    const gone = active.find((s) => s.id === id);
    const deleted = await this.store.deleteSilence(id, scope);
    if (deleted && gone) {
      const others = active.filter((s) => s.id !== id && s.owner === gone.owner);
      await this.queueSilenced(gone.owner, [gone], others, false);
    }
    return deleted;
  }

  /**
   * Queues `silenced` for the firing alerts of `owner` that `changed` covers and `unchanged`
   * does not (their shown state changes), unless their stored body already says silenced.
   */
  private async queueSilenced(
    owner: string,
    changed: Silence[],
    unchanged: Silence[],
    silenced: boolean,
  ): Promise<void> {
    for (const transition of await this.store.firing(owner)) {
      const alert = alertOf(transition);
      if (alert.silenced || !coveredBy(changed, alert) || coveredBy(unchanged, alert)) continue;
      await this.store.addUpdate(alert.alertId, { silenced, acknowledged: alert.acknowledged });
    }
  }
}
