import { Field, Float, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { DateTimeScalar, JsonScalar } from '../scalars';
import { PageInfo } from './event.model';

/** GraphQL names in capitals; the values are what the store and the contract hold. */
export enum AlertStateEnum {
  FIRING = 'firing',
  RESOLVED = 'resolved',
}
registerEnumType(AlertStateEnum, { name: 'AlertState' });

export enum AlertSeverityEnum {
  INFO = 'info',
  WARNING = 'warning',
  CRITICAL = 'critical',
}
registerEnumType(AlertSeverityEnum, { name: 'AlertSeverity' });

export enum WebhookFormatEnum {
  JSON = 'json',
  SLACK = 'slack',
}
registerEnumType(WebhookFormatEnum, {
  name: 'WebhookFormat',
  description: 'JSON: the alert transition as JSON, signed; SLACK: a Slack incoming-webhook text.',
});

@ObjectType({ description: 'A stored alert rule (docs/alerts.md).' })
export class AlertRule {
  @Field(() => String) id!: string;
  @Field(() => String, { description: 'The user the rule belongs to (its alerts are theirs).' })
  owner!: string;
  @Field(() => String) name!: string;
  @Field(() => AlertSeverityEnum) severity!: AlertSeverityEnum;
  @Field(() => Boolean) enabled!: boolean;
  @Field(() => Boolean, {
    description:
      'The rule has a webhook with a signing secret (write-only: `rule.webhook` never shows it).',
  })
  webhookSecretSet!: boolean;
  @Field(() => String, {
    description: '`api` (saved through GraphQL) or `file` (AUREN_ALERT_RULES_FILE).',
  })
  source!: string;
  @Field(() => JsonScalar, {
    description:
      'The rule as validated and stored: every default filled in, durations in milliseconds, without the webhook secret. Valid input of saveAlertRule as it is (the stored secret is kept).',
  })
  rule!: Record<string, unknown>;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar) updatedAt!: Date;
}

@ObjectType({ description: 'The stream-time span an alert decision looked at.' })
export class AlertWindow {
  @Field(() => DateTimeScalar) from!: string;
  @Field(() => DateTimeScalar) to!: string;
}

@ObjectType({
  description:
    'One alert transition (firing or resolved), as published to dashboards (CONTRACT §7, alert_fired/alert_resolved).',
})
export class Alert {
  @Field(() => String, { description: 'Increasing in publication order; the `alerts` cursor.' })
  alertId!: string;
  @Field(() => String) ruleId!: string;
  @Field(() => String) ruleName!: string;
  @Field(() => AlertSeverityEnum) severity!: AlertSeverityEnum;
  @Field(() => String) owner!: string;
  @Field(() => String, { description: 'The rule id, plus `:<agent id>` for per-agent rules.' })
  key!: string;
  @Field(() => String, { nullable: true }) agentId!: string | null;
  @Field(() => AlertStateEnum) state!: AlertStateEnum;
  @Field(() => Float, {
    nullable: true,
    description: 'threshold: the metric; absence: ms without events; match: matching events.',
  })
  value!: number | null;
  @Field(() => Float, { nullable: true }) threshold!: number | null;
  @Field(() => AlertWindow, { nullable: true }) window!: AlertWindow | null;
  @Field(() => [String], { description: 'The events that caused it (oldest first).' })
  eventIds!: string[];
  @Field(() => DateTimeScalar, { description: 'When it was decided (stream time).' })
  at!: string;
  @Field(() => Float, { description: 'Per key, increasing with each transition.' })
  seq!: number;
  @Field(() => String, {
    nullable: true,
    description: 'Why, when not the condition: rule_removed, rule_changed, rule_disabled.',
  })
  reason!: string | null;
  @Field(() => Boolean, {
    description:
      'A silence covered it when it was decided, or (firing alerts) an active silence covers it now.',
  })
  silenced!: boolean;
  @Field(() => Boolean) acknowledged!: boolean;
}

@ObjectType()
export class AlertEdge {
  @Field(() => String, { description: 'The alert id; pass it as `after` to continue.' })
  cursor!: string;
  @Field(() => Alert) node!: Alert;
}

@ObjectType()
export class AlertConnection {
  @Field(() => [AlertEdge]) edges!: AlertEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType({ description: 'Alerts of a rule, an agent or both are not notified until endsAt.' })
export class AlertSilence {
  @Field(() => String) id!: string;
  @Field(() => String, { description: 'Whose alerts it covers (the rule owner, or its creator).' })
  owner!: string;
  @Field(() => String, { nullable: true }) ruleId!: string | null;
  @Field(() => String, { nullable: true }) agentId!: string | null;
  @Field(() => DateTimeScalar) endsAt!: Date;
  @Field(() => Boolean, { description: 'endsAt is still ahead.' }) active!: boolean;
  @Field(() => String, { nullable: true }) reason!: string | null;
  @Field(() => DateTimeScalar) createdAt!: Date;
}

@ObjectType({ description: "A user's own webhook for their alerts (the secret is never shown)." })
export class AlertWebhook {
  @Field(() => String) url!: string;
  @Field(() => WebhookFormatEnum) format!: WebhookFormatEnum;
}

@ObjectType({
  description: 'A webhook delivery that failed every attempt (the signing secret is never shown).',
})
export class WebhookDeadLetter {
  @Field(() => String) alertId!: string;
  @Field(() => String) url!: string;
  @Field(() => WebhookFormatEnum) format!: WebhookFormatEnum;
  @Field(() => String) owner!: string;
  @Field(() => Int) attempts!: number;
  @Field(() => String, { nullable: true }) lastError!: string | null;
  @Field(() => Int, { nullable: true, description: 'HTTP status of the last attempt.' })
  lastStatus!: number | null;
  @Field(() => DateTimeScalar, { description: 'The last attempt.' }) failedAt!: Date;
  @Field(() => Alert) alert!: Alert;
}
