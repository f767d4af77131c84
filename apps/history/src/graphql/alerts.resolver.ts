import { Inject } from '@nestjs/common';
import { Args, Context, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { AlertRulesApi } from './alert-rules-api';
import { AlertSilencesApi } from './alert-silences-api';
import { AlertsApi } from './alerts-api';
import {
  Alert,
  AlertConnection,
  AlertRule,
  AlertSilence,
  AlertStateEnum,
  AlertWebhook,
  WebhookDeadLetter,
  WebhookFormatEnum,
} from './models/alert.model';
import { DateTimeScalar, JsonScalar } from './scalars';
import { GraphqlContext, viewerOf } from './viewer';

const FIRST = {
  type: () => Int,
  nullable: true,
  description: 'Page size: 1..500 (AUREN_GRAPHQL_MAX_PAGE_SIZE), default 50.',
};
const OPTIONAL_TEXT = { type: () => String, nullable: true };

/**
 * Alert management (docs/graphql.md, "Alerts"): rules, alerts, silences, acknowledgements and
 * webhooks. Every field asks the credential first, as the history's queries do; a user reaches
 * their own, the `all` permission everyone's.
 */
@Resolver()
export class AlertsResolver {
  constructor(
    @Inject(AlertRulesApi) private readonly rules: AlertRulesApi,
    @Inject(AlertsApi) private readonly api: AlertsApi,
    @Inject(AlertSilencesApi) private readonly silences: AlertSilencesApi,
  ) {}

  @Query(() => [AlertRule], { description: 'Your alert rules (everyone’s with `all`), by id.' })
  alertRules(@Context() context: GraphqlContext) {
    return this.rules.list(viewerOf(context));
  }

  @Query(() => AlertRule, { nullable: true, description: 'null when it is not yours or absent.' })
  alertRule(@Context() context: GraphqlContext, @Args('id', { type: () => String }) id: string) {
    return this.rules.get(viewerOf(context), id);
  }

  @Query(() => [Alert], { description: 'Alerts firing now (the latest transition of each key).' })
  firingAlerts(@Context() context: GraphqlContext) {
    return this.api.firing(viewerOf(context));
  }

  @Query(() => AlertConnection, {
    nullable: true,
    description: 'Alert transitions, newest first; the cursor is the alert id.',
  })
  alerts(
    @Context() context: GraphqlContext,
    @Args('ruleId', OPTIONAL_TEXT) ruleId?: string,
    @Args('state', { type: () => AlertStateEnum, nullable: true }) state?: AlertStateEnum,
    @Args('first', FIRST) first?: number,
    @Args('after', { ...OPTIONAL_TEXT, description: 'A pageInfo.endCursor.' }) after?: string,
  ) {
    return this.api.page(viewerOf(context), { ruleId, state, first, after });
  }

  @Query(() => [AlertSilence], { description: 'Your silences, newest first (at most 1,000).' })
  alertSilences(
    @Context() context: GraphqlContext,
    @Args('activeOnly', { type: () => Boolean, defaultValue: true }) activeOnly: boolean,
  ) {
    return this.silences.silences(viewerOf(context), activeOnly);
  }

  @Query(() => [WebhookDeadLetter], {
    description: 'Webhook deliveries that failed every attempt, newest alert first.',
  })
  webhookDeadLetters(@Context() context: GraphqlContext, @Args('first', FIRST) first?: number) {
    return this.api.deadLetters(viewerOf(context), first);
  }

  @Query(() => AlertWebhook, { nullable: true, description: 'Your webhook for your alerts.' })
  myAlertWebhook(@Context() context: GraphqlContext) {
    return this.api.webhook(viewerOf(context));
  }

  @Mutation(() => AlertRule, {
    nullable: true,
    description: 'Creates or replaces the rule of `rule.id` (docs/alerts.md); answers it stored.',
  })
  saveAlertRule(
    @Context() context: GraphqlContext,
    @Args('rule', { type: () => JsonScalar }) rule: unknown,
  ) {
    return this.rules.save(viewerOf(context), rule);
  }

  @Mutation(() => Boolean, { description: 'false when there is no such rule of yours.' })
  deleteAlertRule(
    @Context() context: GraphqlContext,
    @Args('id', { type: () => String }) id: string,
  ) {
    return this.rules.delete(viewerOf(context), id);
  }

  @Mutation(() => AlertSilence, {
    nullable: true,
    description:
      'Silences a rule, an agent or both for `duration` (1m..30d) or `until` (at most 30 days ahead).',
  })
  silenceAlerts(
    @Context() context: GraphqlContext,
    @Args('ruleId', OPTIONAL_TEXT) ruleId?: string,
    @Args('agentId', OPTIONAL_TEXT) agentId?: string,
    @Args('duration', { ...OPTIONAL_TEXT, description: 'For example "30m", "2h", "7d".' })
    duration?: string,
    @Args('until', { type: () => DateTimeScalar, nullable: true }) until?: Date,
    @Args('reason', OPTIONAL_TEXT) reason?: string,
  ) {
    return this.silences.silence(viewerOf(context), { ruleId, agentId, duration, until, reason });
  }

  @Mutation(() => Boolean, { description: 'false when there is no such silence of yours.' })
  deleteSilence(
    @Context() context: GraphqlContext,
    @Args('id', { type: () => String }) id: string,
  ) {
    return this.silences.deleteSilence(viewerOf(context), id);
  }

  @Mutation(() => Alert, {
    nullable: true,
    description: 'Marks a firing alert of yours as seen (it keeps firing); NOT_FOUND otherwise.',
  })
  acknowledgeAlert(
    @Context() context: GraphqlContext,
    @Args('alertId', { type: () => String }) alertId: string,
    @Args('comment', OPTIONAL_TEXT) comment?: string,
  ) {
    return this.api.acknowledge(viewerOf(context), alertId, comment);
  }

  @Mutation(() => AlertWebhook, {
    nullable: true,
    description:
      'Sets your own webhook for your alerts (docs/alerts.md); replaces the one you had.',
  })
  setAlertWebhook(
    @Context() context: GraphqlContext,
    @Args('url', { type: () => String }) url: string,
    @Args('format', { type: () => WebhookFormatEnum, defaultValue: WebhookFormatEnum.JSON })
    format: WebhookFormatEnum,
    @Args('secret', { type: () => String, description: '16..512 characters; never shown again.' })
    secret: string,
  ) {
    return this.api.setWebhook(viewerOf(context), url, format, secret);
  }

  @Mutation(() => Boolean, { description: 'false when you had none.' })
  deleteAlertWebhook(@Context() context: GraphqlContext) {
    return this.api.deleteWebhook(viewerOf(context));
  }

  @Mutation(() => Boolean, {
    description: 'Queues a dead-lettered delivery again; false when there is none of yours.',
  })
  retryDeadLetter(
    @Context() context: GraphqlContext,
    @Args('alertId', { type: () => String }) alertId: string,
    @Args('url', { type: () => String }) url: string,
  ) {
    return this.api.retryDeadLetter(viewerOf(context), alertId, url);
  }
}
