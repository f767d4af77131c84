import type { AlertStore, StoredTransition } from '../alerts/alert-store';
import type { SqlSession } from '../store/sql-database';
import type { QueryViewer } from '../queries';
import { checkFirst, checkNumericId, checkText, checkWebhook, TEXT_MAX } from './alert-arguments';
import { deadLetters, transitionPage } from './alert-queries';
import { agentVisible, alertOf } from './alert-records';
import { scopeOf } from './alert-rules-api';
import { gqlError } from './graphql-errors';
import type {
  Alert,
  AlertConnection,
  AlertStateEnum,
  AlertWebhook,
  WebhookDeadLetter,
  WebhookFormatEnum,
} from './models/alert.model';

/**
 * Alerts and webhooks through the API, each limited to the viewer's own (everyone's
 * with `all`) and, for alerts naming an agent, to the agents the token may watch.
 */
export class AlertsApi {
  constructor(
    private readonly store: AlertStore,
    private readonly db: SqlSession,
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
