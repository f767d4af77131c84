import { RuleValidationError, validateRule, type AlertRule as ValidRule } from '@auren/alerts';
import type { AlertStore, OwnerScope, StoredRule } from '../alerts/alert-store';
import type { QueryViewer } from '../queries';
import { ruleOf, storedRuleForm, webhookSecretOf } from './alert-records';
import { gqlError } from './graphql-errors';
import type { AlertRule } from './models/alert.model';

/** Whose alert things a viewer manages: their own, or everyone's with the `all` permission. */
export const scopeOf = (viewer: QueryViewer): OwnerScope =>
  viewer.seesAllUsers ? null : viewer.userId;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const label = (input: Record<string, unknown>): string =>
  typeof input.id === 'string' ? `rule "${input.id.slice(0, 64)}"` : 'rule';

/**
 * Rules through the API: each user saves, lists and deletes their own; the `all` permission
 * reaches every user's. Rules are validated by the alerts library exactly as a rules file is.
 */
export class AlertRulesApi {
  constructor(
    private readonly store: AlertStore,
    private readonly options: { webhookAllowPrivate: boolean },
  ) {}

  async list(viewer: QueryViewer): Promise<AlertRule[]> {
    return (await this.store.rules(scopeOf(viewer))).map(ruleOf);
  }

  /** The rule, or null when there is none of that id the viewer may see. */
  async get(viewer: QueryViewer, id: string): Promise<AlertRule | null> {
    const stored = await this.visible(viewer, id);
    return stored && ruleOf(stored);
  }

  async delete(viewer: QueryViewer, id: string): Promise<boolean> {
    return this.store.deleteRule(id, scopeOf(viewer));
  }

  /** The stored rule of that id when the viewer may see it. */
  async visible(viewer: QueryViewer, id: string): Promise<StoredRule | null> {
    const stored = await this.store.rule(id);
    const scope = scopeOf(viewer);
    return stored && (scope === null || stored.owner === scope) ? stored : null;
  }

  /**
   * Creates or replaces the rule `input.id`. Without `all` the owner is the caller (naming
   * another is FORBIDDEN) and a rule of that id owned by someone else is FORBIDDEN; with `all`
   * the owner is `input.owner`, else the existing rule's, else the caller. An invalid rule is
   * BAD_USER_INPUT with every problem in `extensions.problems`.
   */
  async save(viewer: QueryViewer, input: unknown): Promise<AlertRule> {
    if (!isObject(input)) {
      const reason = 'must be a JSON object: one rule, as in a rules file (docs/alerts.md)';
      throw gqlError('BAD_USER_INPUT', `rule: ${reason}`, {
        argument: 'rule',
        problems: [{ rule: 0, field: '', reason, message: `rule: ${reason}` }],
      });
    }
    const scope = scopeOf(viewer);
    const id = typeof input.id === 'string' ? input.id : undefined;
    const existing = id === undefined ? null : await this.store.rule(id);
    if (scope !== null && input.owner !== undefined && input.owner !== scope) {
      throw gqlError(
        'FORBIDDEN',
        `${label(input)}: owner: only a token with the all permission may save a rule for another user; leave owner out (it is you, "${scope}")`,
        { argument: 'rule.owner' },
      );
    }
    const owner = scope ?? input.owner ?? existing?.owner ?? viewer.userId;
    const candidate: Record<string, unknown> = { ...input, owner };
    const secretKept = this.keepSecret(candidate, existing);
    const rule = this.validate(candidate);
    const stored = storedRuleForm(rule);
    if (secretKept !== undefined && isObject(stored.webhook)) stored.webhook.secret = secretKept;
    // The rule sees what its owner's credential sees (CONTRACT §4): the saving token's access when
    // it is the owner's; a rule saved for another user (the `all` permission) gets a user's
    // default (own and unowned events).
    const access =
      rule.owner === viewer.userId
        ? {
            seesAllUsers: viewer.seesAllUsers,
            allowedAgents: viewer.allowedAgents ? [...viewer.allowedAgents] : null,
          }
        : { seesAllUsers: false, allowedAgents: null };
    const saved = await this.store.saveRule(rule.id, rule.owner, stored, 'api', scope, access);
    if (!saved) {
      throw gqlError(
        'FORBIDDEN',
        `rule "${rule.id}": id: another user has a rule of this id; choose another id`,
        { argument: 'rule.id' },
      );
    }
    return ruleOf(saved);
  }

  /**
   * Webhook secrets are write-only (answers leave them out), so a rule saved back as it was read
   * keeps its secret: a webhook without `secret`, at the URL of the stored one, keeps the stored
   * secret. `"secret": null` removes it. Returns the secret to keep.
   */
  private keepSecret(
    candidate: Record<string, unknown>,
    existing: StoredRule | null,
  ): string | undefined {
    const webhook = candidate.webhook;
    if (!isObject(webhook)) return undefined;
    if (webhook.secret === null) {
      const { secret: _removed, ...rest } = webhook;
      candidate.webhook = rest;
      return undefined;
    }
    if (webhook.secret !== undefined || !existing || existing.owner !== candidate.owner) {
      return undefined;
    }
    const stored = existing.rule.webhook;
    if (!isObject(stored) || stored.url !== webhook.url) return undefined;
    return webhookSecretOf(existing.rule);
  }

  private validate(input: unknown): ValidRule {
    try {
      return validateRule(input, { allowPrivate: this.options.webhookAllowPrivate });
    } catch (error) {
      if (!(error instanceof RuleValidationError)) throw error;
      const problems = error.problems.map(({ rule, field, reason, message }) => ({
        rule,
        field,
        reason,
        message,
      }));
      const field = problems[0]?.field;
      throw gqlError('BAD_USER_INPUT', problems.map((p) => p.message).join('; '), {
        argument: field ? `rule.${field}` : 'rule',
        problems,
      });
    }
  }
}
