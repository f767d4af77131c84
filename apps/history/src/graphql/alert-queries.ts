import type { OwnerScope } from '../alerts/alert-store';
import type { SqlSession } from '../store/sql-database';
import { SqlParams } from '../queries';
import type { TransitionRow } from './alert-records';

/**
 * The two listings of the alerts API that AlertStore has no method for: both also hold to the
 * token's agent permissions in SQL (an alert naming an agent the token may not watch is left
 * out, as the gateway leaves it out), so a page is never short of what it could show.
 */

/** `owner = $n` unless the scope is everyone; agent conditions when the token lists agents. */
function scopeConditions(
  params: SqlParams,
  scope: OwnerScope,
  agents: readonly string[] | null,
  alias: string,
): string[] {
  const where: string[] = [];
  if (scope !== null) where.push(`${alias}.owner = ${params.add(scope)}`);
  if (agents !== null) {
    where.push(`(t.agent_id IS NULL OR t.agent_id = ANY(${params.add([...agents])}::text[]))`);
  }
  return where;
}

const asDate = (value: unknown): Date => (value instanceof Date ? value : new Date(String(value)));

export interface AlertFilter {
  ruleId?: string | null;
  state?: string | null;
  /** Only alerts with a smaller id (the last one of the previous page). */
  after?: string | null;
}

/** Transitions, newest (highest alert id) first. */
export async function transitionPage(
  db: SqlSession,
  scope: OwnerScope,
  agents: readonly string[] | null,
  filter: AlertFilter,
  limit: number,
): Promise<TransitionRow[]> {
  const params = new SqlParams();
  const where = scopeConditions(params, scope, agents, 't');
  if (filter.ruleId) where.push(`t.rule_id = ${params.add(filter.ruleId)}`);
  if (filter.state) where.push(`t.state = ${params.add(filter.state)}`);
  if (filter.after) where.push(`t.alert_id < ${params.add(filter.after)}::bigint`);
  const { rows } = await db.query(
    `SELECT t.alert_id, t.body, (a.alert_id IS NOT NULL) AS acknowledged
     FROM auren_alert_transitions t LEFT JOIN auren_alert_acks a USING (alert_id)
     WHERE ${where.length ? where.join(' AND ') : 'true'}
     ORDER BY t.alert_id DESC LIMIT ${params.add(limit)}`,
    params.values,
  );
  return rows.map((row) => ({
    alertId: String(row.alert_id),
    body: { ...(row.body as Record<string, unknown>), alert_id: String(row.alert_id) },
    acknowledged: row.acknowledged === true,
  }));
}

/** A dead-lettered webhook delivery, without its secret and signed body (never selected). */
export interface DeadLetterRow {
  alertId: string;
  url: string;
  format: 'json' | 'slack';
  owner: string;
  attempts: number;
  lastError: string | null;
  lastStatus: number | null;
  failedAt: Date;
  transition: TransitionRow;
}

/** Dead-lettered deliveries, newest alert first. */
export async function deadLetters(
  db: SqlSession,
  scope: OwnerScope,
  agents: readonly string[] | null,
  limit: number,
): Promise<DeadLetterRow[]> {
  const params = new SqlParams();
  const where = ["w.status = 'dead'", ...scopeConditions(params, scope, agents, 'w')];
  const { rows } = await db.query(
    `SELECT w.alert_id, w.url, w.format, w.owner, w.attempts, w.last_error, w.last_status,
       w.updated_at, t.body, (a.alert_id IS NOT NULL) AS acknowledged
     FROM auren_alert_webhooks w JOIN auren_alert_transitions t USING (alert_id)
       LEFT JOIN auren_alert_acks a USING (alert_id)
     WHERE ${where.join(' AND ')}
     ORDER BY w.alert_id DESC, w.url LIMIT ${params.add(limit)}`,
    params.values,
  );
  return rows.map((row) => {
    const alertId = String(row.alert_id);
    return {
      alertId,
      url: String(row.url),
      format: row.format === 'slack' ? 'slack' : 'json',
      owner: String(row.owner),
      attempts: Number(row.attempts),
      lastError: (row.last_error as string | null) ?? null,
      lastStatus: row.last_status === null ? null : Number(row.last_status),
      failedAt: asDate(row.updated_at),
      transition: {
        alertId,
        body: { ...(row.body as Record<string, unknown>), alert_id: alertId },
        acknowledged: row.acknowledged === true,
      },
    };
  });
}
