import type { AlertRule } from '@auren/alerts';
import type { SqlSession } from '../store/sql-database';

/** A rule as stored: its validated definition (JSON) and who owns it. */
export interface StoredRule {
  id: string;
  owner: string;
  /** The rule as the alerts library validated it (docs/alerts.md, "Rules"). */
  rule: Record<string, unknown>;
  /** What the owner may see (from the credential that saved it): the rule sees no more. */
  access: RuleAccess;
  /** `api` (GraphQL) or `file` (AUREN_ALERT_RULES_FILE). */
  source: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface RuleAccess {
  seesAllUsers: boolean;
  allowedAgents: string[] | null;
}

/** A transition the evaluator decided, before it has an alert id. */
export interface DecidedTransition {
  rule_id: string;
  key: string;
  seq: number;
  owner: string;
  agent_id: string | null;
  state: 'firing' | 'resolved';
  severity: string;
  at: string;
  /** The whole transition as it is published (without `alert_id`). */
  body: Record<string, unknown>;
}

/** Where a transition's webhook goes. */
export interface WebhookTarget {
  url: string;
  format: 'json' | 'slack';
  secret: string;
}

/** A webhook to send for a transition: where, and the body (rendered when decided). */
export interface WebhookSend extends WebhookTarget {
  payload: string;
}

export interface StoredTransition {
  alertId: string;
  body: Record<string, unknown>;
  published: boolean;
  acknowledged: boolean;
}

export interface WebhookDelivery {
  alertId: string;
  url: string;
  format: 'json' | 'slack';
  secret: string;
  owner: string;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  lastStatus: number | null;
  /** The body to sign and send. */
  payload: string;
  body: Record<string, unknown>;
}

export interface Silence {
  id: string;
  owner: string;
  ruleId: string | null;
  agentId: string | null;
  endsAt: Date;
  reason: string | null;
  createdAt: Date;
}

export interface Checkpoint {
  position: string;
  snapshot: unknown;
}

/** Who asks: an owner sees their own; `null` sees everyone's (the `all` permission). */
export type OwnerScope = string | null;

const asDate = (value: unknown): Date => (value instanceof Date ? value : new Date(String(value)));

function ruleOf(row: Record<string, unknown>): StoredRule {
  return {
    id: String(row.id),
    owner: String(row.owner),
    rule: row.rule as Record<string, unknown>,
    access: {
      seesAllUsers: (row.access as RuleAccess | null)?.seesAllUsers === true,
      allowedAgents: (row.access as RuleAccess | null)?.allowedAgents ?? null,
    },
    source: String(row.source),
    createdAt: asDate(row.created_at),
    updatedAt: asDate(row.updated_at),
  };
}

function transitionOf(row: Record<string, unknown>): StoredTransition {
  const alertId = String(row.alert_id);
  return {
    alertId,
    body: {
      ...(row.body as Record<string, unknown>),
      alert_id: alertId,
      acknowledged: row.acknowledged === true,
    },
    published: row.published === true,
    acknowledged: row.acknowledged === true,
  };
}

function deliveryOf(row: Record<string, unknown>): WebhookDelivery {
  return {
    alertId: String(row.alert_id),
    url: String(row.url),
    format: row.format === 'slack' ? 'slack' : 'json',
    secret: String(row.secret),
    owner: String(row.owner),
    status: row.status as WebhookDelivery['status'],
    attempts: Number(row.attempts),
    nextAttemptAt: asDate(row.next_attempt_at),
    lastError: (row.last_error as string | null) ?? null,
    lastStatus: row.last_status === null ? null : Number(row.last_status),
    payload: String(row.payload),
    body: { ...(row.body as Record<string, unknown>), alert_id: String(row.alert_id) },
  };
}

function silenceOf(row: Record<string, unknown>): Silence {
  return {
    id: String(row.id),
    owner: String(row.owner),
    ruleId: (row.rule_id as string | null) ?? null,
    agentId: (row.agent_id as string | null) ?? null,
    endsAt: asDate(row.ends_at),
    reason: (row.reason as string | null) ?? null,
    createdAt: asDate(row.created_at),
  };
}

/** `owner = $n` when the scope is one owner, else nothing. */
function ownerCondition(scope: OwnerScope, params: unknown[], column = 'owner'): string {
  if (scope === null) return 'true';
  params.push(scope);
  return `${column} = $${params.length}`;
}

/**
 * The alerts' tables (migration 5) as plain SQL over a {@link SqlSession}: the pool for the API,
 * the evaluator's held connection (advisory lock) for what only the leader writes.
 */
export class AlertStore {
  constructor(private readonly db: SqlSession) {}

  // ---- rules ----

  async rules(scope: OwnerScope): Promise<StoredRule[]> {
    const params: unknown[] = [];
    const { rows } = await this.db.query(
      `SELECT * FROM auren_alert_rules WHERE ${ownerCondition(scope, params)} ORDER BY id`,
      params,
    );
    return rows.map(ruleOf);
  }

  async rule(id: string): Promise<StoredRule | null> {
    const { rows } = await this.db.query('SELECT * FROM auren_alert_rules WHERE id = $1', [id]);
    return rows[0] ? ruleOf(rows[0]) : null;
  }

  /**
   * Creates or replaces a rule. `replaceOwner`: the owner allowed to replace an existing rule of
   * that id (null: anyone, for `all` and rule files); a rule of another owner is left alone and
   * null returned.
   */
  async saveRule(
    id: string,
    owner: string,
    rule: Record<string, unknown>,
    source: 'api' | 'file',
    replaceOwner: OwnerScope,
    access: RuleAccess = { seesAllUsers: false, allowedAgents: null },
  ): Promise<StoredRule | null> {
    const params: unknown[] = [id, owner, JSON.stringify(rule), source, JSON.stringify(access)];
    const guard = replaceOwner === null ? '' : `WHERE auren_alert_rules.owner = $6`;
    if (replaceOwner !== null) params.push(replaceOwner);
    const { rows } = await this.db.query(
      `WITH saved AS (
         INSERT INTO auren_alert_rules (id, owner, rule, source, access)
         VALUES ($1, $2, $3::jsonb, $4, $5::jsonb)
         ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, rule = excluded.rule,
           source = excluded.source, access = excluded.access, updated_at = now() ${guard}
         RETURNING *
       ), bumped AS (
         UPDATE auren_alert_meta SET rules_version = rules_version + 1
         WHERE id = 1 AND EXISTS (SELECT 1 FROM saved)
       )
       SELECT * FROM saved`,
      params,
    );
    return rows[0] ? ruleOf(rows[0]) : null;
  }

  async deleteRule(id: string, scope: OwnerScope): Promise<boolean> {
    const params: unknown[] = [id];
    const { rows } = await this.db.query(
      `WITH gone AS (
         DELETE FROM auren_alert_rules WHERE id = $1 AND ${ownerCondition(scope, params)}
         RETURNING id
       ), bumped AS (
         UPDATE auren_alert_meta SET rules_version = rules_version + 1
         WHERE id = 1 AND EXISTS (SELECT 1 FROM gone)
       )
       SELECT count(*)::int AS n FROM gone`,
      params,
    );
    return Number(rows[0]?.n ?? 0) > 0;
  }

  async rulesVersion(): Promise<number> {
    const { rows } = await this.db.query('SELECT rules_version FROM auren_alert_meta WHERE id = 1');
    return Number(rows[0]?.rules_version ?? 0);
  }

  // ---- the evaluator's writes (through the leader's held connection) ----

  async checkpoint(): Promise<Checkpoint | null> {
    const { rows } = await this.db.query(
      'SELECT position, snapshot FROM auren_alert_checkpoint WHERE id = 1',
    );
    return rows[0] ? { position: String(rows[0].position), snapshot: rows[0].snapshot } : null;
  }

  /**
   * Stores transitions (each once: a replayed one is skipped, see below), their webhook
   * deliveries, and (when given) a checkpoint after them, in one transaction of `tx`. Returns
   * the transitions stored by this call, with their alert ids.
   */
  static async record(
    tx: SqlSession,
    transitions: Array<{ decided: DecidedTransition; webhook: WebhookSend | null }>,
    checkpoint: Checkpoint | null = null,
  ): Promise<StoredTransition[]> {
    const stored: StoredTransition[] = [];
    for (const { decided, webhook } of transitions) {
      // Stored only when it changes the key's stored state (a key alternates firing, resolved)
      // and comes after the key's last stored seq: a successor replaying the stream from the
      // checkpoint, or deciding an absence again at its own clock, adds nothing.
      const { rows } = await tx.query(
        `INSERT INTO auren_alert_transitions (rule_id, key, seq, owner, agent_id, state, severity, at, body)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb
         WHERE coalesce((SELECT state FROM auren_alert_transitions WHERE key = $2
                         ORDER BY alert_id DESC LIMIT 1), 'resolved') <> $6
           AND NOT EXISTS (SELECT 1 FROM auren_alert_transitions WHERE key = $2 AND seq >= $3)
         ON CONFLICT (key, seq) DO NOTHING
         RETURNING alert_id, body, published`,
        [
          decided.rule_id,
          decided.key,
          decided.seq,
          decided.owner,
          decided.agent_id,
          decided.state,
          decided.severity,
          decided.at,
          JSON.stringify(decided.body),
        ],
      );
      if (!rows[0]) continue;
      const transition = transitionOf(rows[0]);
      stored.push(transition);
      if (webhook) {
        await tx.query(
          `INSERT INTO auren_alert_webhooks (alert_id, url, format, secret, owner, payload)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
          [
            transition.alertId,
            webhook.url,
            webhook.format,
            webhook.secret,
            decided.owner,
            webhook.payload,
          ],
        );
      }
    }
    if (checkpoint) await AlertStore.saveCheckpoint(tx, checkpoint);
    return stored;
  }

  static async saveCheckpoint(tx: SqlSession, checkpoint: Checkpoint): Promise<void> {
    await tx.query(
      `INSERT INTO auren_alert_checkpoint (id, position, snapshot, saved_at)
       VALUES (1, $1, $2::jsonb, now())
       ON CONFLICT (id) DO UPDATE SET position = excluded.position, snapshot = excluded.snapshot,
         saved_at = now()`,
      [checkpoint.position, JSON.stringify(checkpoint.snapshot)],
    );
  }

  // ---- publication (dashboards) ----

  /**
   * What the alerts log has not got yet, in alert id order: transitions, and updates of stored
   * alerts (`updates` set: the alert id they change).
   */
  async unpublished(limit: number): Promise<Array<StoredTransition & { updates: string | null }>> {
    const { rows } = await this.db.query(
      `SELECT * FROM (
         SELECT t.alert_id, t.body, t.published, (a.alert_id IS NOT NULL) AS acknowledged,
           NULL::bigint AS updates
         FROM auren_alert_transitions t LEFT JOIN auren_alert_acks a USING (alert_id)
         WHERE NOT t.published
         UNION ALL
         SELECT u.alert_id, u.body, u.published, (u.body->>'acknowledged')::boolean, u.of_alert
         FROM auren_alert_updates u WHERE NOT u.published
       ) pending ORDER BY alert_id LIMIT $1`,
      [limit],
    );
    return rows.map((row) => {
      const transition = transitionOf(row);
      const raw = row.updates as string | number | null;
      const updates = raw === null ? null : String(raw);
      if (updates) transition.body = { ...transition.body, updates };
      return { ...transition, updates };
    });
  }

  async markPublished(alertIds: string[]): Promise<void> {
    if (alertIds.length === 0) return;
    await this.db.query(
      'UPDATE auren_alert_transitions SET published = true WHERE alert_id = ANY($1::bigint[])',
      [alertIds],
    );
    await this.db.query(
      'UPDATE auren_alert_updates SET published = true WHERE alert_id = ANY($1::bigint[])',
      [alertIds],
    );
  }

  /**
   * Queues an update of a stored alert for the dashboards (after an acknowledgement or a
   * silence): its body as it now stands, `changes` merged in.
   */
  async addUpdate(alertId: string, changes: Record<string, unknown>): Promise<void> {
    await this.db.query(
      `INSERT INTO auren_alert_updates (of_alert, owner, body)
       SELECT t.alert_id, t.owner, t.body || $2::jsonb FROM auren_alert_transitions t
       WHERE t.alert_id = $1::bigint`,
      [alertId, JSON.stringify(changes)],
    );
  }

  // ---- webhooks ----

  async dueWebhooks(limit: number): Promise<WebhookDelivery[]> {
    const { rows } = await this.db.query(
      `SELECT w.*, t.body FROM auren_alert_webhooks w JOIN auren_alert_transitions t USING (alert_id)
       WHERE w.status = 'pending' AND w.next_attempt_at <= now()
       ORDER BY w.next_attempt_at, w.alert_id LIMIT $1`,
      [limit],
    );
    return rows.map(deliveryOf);
  }

  /** When the next pending delivery is due (null: none pending). */
  async nextWebhookDue(): Promise<Date | null> {
    const { rows } = await this.db.query(
      `SELECT min(next_attempt_at) AS due FROM auren_alert_webhooks WHERE status = 'pending'`,
    );
    return rows[0]?.due ? asDate(rows[0].due) : null;
  }

  async webhookDelivered(alertId: string, url: string, status: number): Promise<void> {
    await this.db.query(
      `UPDATE auren_alert_webhooks SET status = 'delivered', attempts = attempts + 1,
         last_status = $3, last_error = NULL, updated_at = now()
       WHERE alert_id = $1 AND url = $2`,
      [alertId, url, status],
    );
  }

  /** A failed attempt: retried at `retryAt`, or dead-lettered when `retryAt` is null. */
  async webhookFailed(
    alertId: string,
    url: string,
    error: string,
    status: number | null,
    retryAt: Date | null,
  ): Promise<void> {
    await this.db.query(
      `UPDATE auren_alert_webhooks SET attempts = attempts + 1, last_error = $3, last_status = $4,
         status = CASE WHEN $5::timestamptz IS NULL THEN 'dead' ELSE 'pending' END,
         next_attempt_at = coalesce($5::timestamptz, next_attempt_at), updated_at = now()
       WHERE alert_id = $1 AND url = $2`,
      [alertId, url, error.slice(0, 500), status, retryAt?.toISOString() ?? null],
    );
  }

  /** Puts a dead-lettered delivery back in the queue; false when there is none (or not yours). */
  async retryWebhook(alertId: string, url: string, scope: OwnerScope): Promise<boolean> {
    const params: unknown[] = [alertId, url];
    const { rows } = await this.db.query(
      `UPDATE auren_alert_webhooks SET status = 'pending', attempts = 0, next_attempt_at = now(),
         updated_at = now()
       WHERE alert_id = $1 AND url = $2 AND status = 'dead' AND ${ownerCondition(scope, params)}
       RETURNING alert_id`,
      params,
    );
    return rows.length > 0;
  }

  async userWebhook(owner: string): Promise<WebhookTarget | null> {
    const { rows } = await this.db.query(
      'SELECT url, format, secret FROM auren_alert_user_webhooks WHERE owner = $1',
      [owner],
    );
    const row = rows[0];
    return row
      ? {
          url: String(row.url),
          format: row.format === 'slack' ? 'slack' : 'json',
          secret: String(row.secret),
        }
      : null;
  }

  async setUserWebhook(owner: string, target: WebhookTarget | null): Promise<void> {
    if (target === null) {
      await this.db.query('DELETE FROM auren_alert_user_webhooks WHERE owner = $1', [owner]);
      return;
    }
    await this.db.query(
      `INSERT INTO auren_alert_user_webhooks (owner, url, format, secret) VALUES ($1, $2, $3, $4)
       ON CONFLICT (owner) DO UPDATE SET url = excluded.url, format = excluded.format,
         secret = excluded.secret, updated_at = now()`,
      [owner, target.url, target.format, target.secret],
    );
  }

  // ---- transitions read by the API ----

  /** The alerts firing now: each key's latest transition, when it is `firing`. */
  async firing(scope: OwnerScope): Promise<StoredTransition[]> {
    const params: unknown[] = [];
    const { rows } = await this.db.query(
      `SELECT * FROM (
         SELECT DISTINCT ON (t.key) t.alert_id, t.body, t.published, t.state,
           (a.alert_id IS NOT NULL) AS acknowledged
         FROM auren_alert_transitions t LEFT JOIN auren_alert_acks a USING (alert_id)
         WHERE ${ownerCondition(scope, params, 't.owner')}
         ORDER BY t.key, t.alert_id DESC
       ) latest WHERE state = 'firing' ORDER BY alert_id DESC`,
      params,
    );
    return rows.map(transitionOf);
  }

  async transition(alertId: string): Promise<StoredTransition | null> {
    const { rows } = await this.db.query(
      `SELECT t.alert_id, t.body, t.published, (a.alert_id IS NOT NULL) AS acknowledged
       FROM auren_alert_transitions t LEFT JOIN auren_alert_acks a USING (alert_id)
       WHERE t.alert_id = $1::bigint`,
      [alertId],
    );
    return rows[0] ? transitionOf(rows[0]) : null;
  }

  /**
   * Acknowledges a firing alert (its latest transition, `firing`). Returns the transition, or
   * null when it is not yours, not the latest of its key, or not firing.
   */
  async acknowledge(
    alertId: string,
    by: string,
    scope: OwnerScope,
    comment: string | null,
  ): Promise<StoredTransition | null> {
    const params: unknown[] = [alertId, by, comment];
    const { rows } = await this.db.query(
      `WITH target AS (
         SELECT t.alert_id, t.key FROM auren_alert_transitions t
         WHERE t.alert_id = $1::bigint AND t.state = 'firing' AND ${ownerCondition(scope, params, 't.owner')}
           AND NOT EXISTS (SELECT 1 FROM auren_alert_transitions n
                           WHERE n.key = t.key AND n.alert_id > t.alert_id)
       )
       INSERT INTO auren_alert_acks (alert_id, key, by_user, comment)
       SELECT alert_id, key, $2, $3 FROM target
       ON CONFLICT (alert_id) DO UPDATE SET by_user = excluded.by_user, comment = excluded.comment
       RETURNING alert_id`,
      params,
    );
    return rows[0] ? this.transition(String(rows[0].alert_id)) : null;
  }

  // ---- silences ----

  async silences(scope: OwnerScope, activeOnly: boolean): Promise<Silence[]> {
    const params: unknown[] = [];
    const active = activeOnly ? 'AND ends_at > now()' : '';
    const { rows } = await this.db.query(
      `SELECT * FROM auren_alert_silences WHERE ${ownerCondition(scope, params)} ${active}
       ORDER BY id DESC LIMIT 1000`,
      params,
    );
    return rows.map(silenceOf);
  }

  async addSilence(silence: {
    owner: string;
    ruleId: string | null;
    agentId: string | null;
    endsAt: Date;
    reason: string | null;
  }): Promise<Silence> {
    const { rows } = await this.db.query(
      `INSERT INTO auren_alert_silences (owner, rule_id, agent_id, ends_at, reason)
       VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [
        silence.owner,
        silence.ruleId,
        silence.agentId,
        silence.endsAt.toISOString(),
        silence.reason,
      ],
    );
    return silenceOf(rows[0]);
  }

  async deleteSilence(id: string, scope: OwnerScope): Promise<boolean> {
    const params: unknown[] = [id];
    const { rows } = await this.db.query(
      `DELETE FROM auren_alert_silences WHERE id = $1::bigint AND ${ownerCondition(scope, params)}
       RETURNING id`,
      params,
    );
    return rows.length > 0;
  }
}

/**
 * The form a rule is stored in: the validated rule (defaults filled in, durations in ms), which
 * `validateRule` accepts again and turns into the same rule. The one field the library fills in
 * but refuses on input, `resolveAfter` of an absence rule (always 0, never read), is left out.
 */
export function storedRuleForm(rule: AlertRule): Record<string, unknown> {
  const stored: Record<string, unknown> = { ...rule };
  if (rule.condition.kind === 'absence') delete stored.resolveAfter;
  return JSON.parse(JSON.stringify(stored)) as Record<string, unknown>;
}
