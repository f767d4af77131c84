import type { AlertStore, Silence, StoredTransition } from '../alerts/alert-store';
import type { SqlSession } from '../store/sql-database';
import type { QueryViewer } from '../queries';
import {
  checkFirst,
  checkNumericId,
  checkText,
  checkWebhook,
  ID_MAX,
  silenceEnd,
  TEXT_MAX,
} from './alert-arguments';
import { deadLetters, transitionPage } from './alert-queries';
import { agentVisible, alertOf, coveredBy, silenceOf } from './alert-records';
import { scopeOf } from './alert-rules-api';
import { gqlError } from './graphql-errors';
import type {
  Alert,
  AlertConnection,
  AlertSilence,
  AlertStateEnum,
  AlertWebhook,
  WebhookDeadLetter,
  WebhookFormatEnum,
} from './models/alert.model';
import type { AlertRulesApi } from './alert-rules-api';

export interface SilenceRequest {
  ruleId?: string | null;
  agentId?: string | null;
  duration?: string | null;
  until?: Date | null;
  reason?: string | null;
}

/**
 * Alerts, silences and webhooks through the API, each limited to the viewer's own (everyone's
 * with `all`) and, for alerts naming an agent, to the agents the token may watch.
 */
export class AlertsApi {
  constructor(
    private readonly store: AlertStore,
    private readonly db: SqlSession,
    private readonly rules: AlertRulesApi,
    private readonly options: { maxPageSize: number; webhookAllowPrivate: boolean },
  ) {}

  async firing(viewer: QueryViewer): Promise<Alert[]> {
    const scope = scopeOf(viewer);
    const [firing, silences] = await Promise.all([
      this.store.firing(scope),
      this.store.silences(scope, true),
    ]);
    return firing.filter((t) => agentVisible(viewer, agentOf(t))).map((t) => alertOf(t, silences));
  }

  async page(
    viewer: QueryViewer,
    args: {
      ruleId?: string | null;
      state?: AlertStateEnum | null;
      first?: number | null;
      after?: string | null;
    },
  ): Promise<AlertConnection> {
    const first = checkFirst(args.first, this.options.maxPageSize);
    const after = args.after ? checkNumericId(args.after, 'after') : null;
    const scope = scopeOf(viewer);
    const [rows, silences] = await Promise.all([
      transitionPage(
        this.db,
        scope,
        viewer.allowedAgents,
        { ruleId: args.ruleId, state: args.state, after },
        first + 1,
      ),
      this.store.silences(scope, true),
    ]);
    const edges = rows
      .slice(0, first)
      .map((row) => ({ cursor: row.alertId, node: alertOf(row, silences) }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
    };
  }

  /**
   * Acknowledges a firing alert (the latest transition of its key) of the viewer's, and queues
   * the change for the dashboards the first time. Anything else is NOT_FOUND.
   */
  async acknowledge(viewer: QueryViewer, alertId: string, comment?: string | null): Promise<Alert> {
    checkNumericId(alertId, 'alertId');
    const note = checkText(comment, 'comment', TEXT_MAX);
    const scope = scopeOf(viewer);
    const before = await this.store.transition(alertId);
    if (
      !before ||
      (scope !== null && before.body.owner !== scope) ||
      !agentVisible(viewer, agentOf(before))
    ) {
      throw gqlError('NOT_FOUND', `alertId: no alert ${alertId} of yours`, { argument: 'alertId' });
    }
    const acked = await this.store.acknowledge(alertId, viewer.userId, scope, note);
    if (!acked) {
      throw gqlError(
        'NOT_FOUND',
        `alertId: alert ${alertId} is not firing now (only the latest transition of a firing alert can be acknowledged)`,
        { argument: 'alertId' },
      );
    }
    const alert = alertOf(acked, await this.store.silences(String(before.body.owner), true));
    if (!before.acknowledged) {
      await this.store.addUpdate(alertId, { acknowledged: true, silenced: alert.silenced });
    }
    return alert;
  }

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

  async webhook(viewer: QueryViewer): Promise<AlertWebhook | null> {
    const target = await this.store.userWebhook(viewer.userId);
    return target && { url: target.url, format: target.format as WebhookFormatEnum };
  }

  async setWebhook(
    viewer: QueryViewer,
    url: string,
    format: WebhookFormatEnum,
    secret: string,
  ): Promise<AlertWebhook> {
    checkWebhook(url, secret, this.options.webhookAllowPrivate);
    await this.store.setUserWebhook(viewer.userId, { url, format, secret });
    return { url, format };
  }

  async deleteWebhook(viewer: QueryViewer): Promise<boolean> {
    if (!(await this.store.userWebhook(viewer.userId))) return false;
    await this.store.setUserWebhook(viewer.userId, null);
    return true;
  }

  async deadLetters(viewer: QueryViewer, first?: number | null): Promise<WebhookDeadLetter[]> {
    const limit = checkFirst(first, this.options.maxPageSize);
    const scope = scopeOf(viewer);
    const rows = await deadLetters(this.db, scope, viewer.allowedAgents, limit);
    return rows.map(({ transition, format, ...row }) => ({
      ...row,
      format: format as WebhookFormatEnum,
      alert: alertOf(transition),
    }));
  }

  async retryDeadLetter(viewer: QueryViewer, alertId: string, url: string): Promise<boolean> {
    checkNumericId(alertId, 'alertId');
    const transition = await this.store.transition(alertId);
    if (!transition || !agentVisible(viewer, agentOf(transition))) return false;
    return this.store.retryWebhook(alertId, url, scopeOf(viewer));
  }
}

function agentOf(transition: StoredTransition): string | null {
  const agent = transition.body.agent_id;
  return typeof agent === 'string' ? agent : null;
}
