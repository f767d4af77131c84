import type { EventType } from '@auren/contracts';
import type { ZodIssue } from 'zod';
import {
  DEFAULT_MATCH_RESOLVE_AFTER_MS,
  RULE_ID_PATTERN,
  ruleSchema,
  show,
  type COMPARISON_OPS,
  type ParsedRule,
  type SEVERITIES,
  type THRESHOLD_METRICS,
  type WEBHOOK_FORMATS,
} from './rule-schema';
import type { WebhookUrlOptions } from './webhook-url';

/** The alert rule model (docs/alerts.md "Rule format"). Durations are milliseconds here. */

export type Severity = (typeof SEVERITIES)[number];
export type ThresholdMetric = (typeof THRESHOLD_METRICS)[number];
export type ComparisonOp = (typeof COMPARISON_OPS)[number];
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export interface RuleScope {
  agents?: string[];
  eventTypes?: EventType[];
  models?: string[];
}

export interface ThresholdCondition {
  kind: 'threshold';
  metric: ThresholdMetric;
  op: ComparisonOp;
  value: number;
  window: number;
  minCount?: number;
  /** Hysteresis: a firing alert resolves once the condition fails against this value. */
  resolveValue: number;
  /** `event_count` only: count just this type. */
  eventType?: EventType;
}

export interface AbsenceCondition {
  kind: 'absence';
  after: number;
}

export interface MatchFilter {
  eventTypes?: EventType[];
  agents?: string[];
  success?: boolean;
  errorType?: string;
  textContains?: string;
}

export interface MatchCondition {
  kind: 'match';
  filter: MatchFilter;
}

export type AlertCondition = ThresholdCondition | AbsenceCondition | MatchCondition;

export interface WebhookTarget {
  url: string;
  format: WebhookFormat;
  secret?: string;
}

export interface AlertRule {
  id: string;
  name: string;
  owner: string;
  severity: Severity;
  scope: RuleScope;
  /** `agent`: one alert per agent (key `<rule id>:<agent id>`); `none`: one for the rule. */
  groupBy: 'agent' | 'none';
  condition: AlertCondition;
  /** How long a threshold condition must hold before firing. */
  for: number;
  /** How long the resolve condition must hold (threshold) or no match come (match). */
  resolveAfter: number;
  webhook?: WebhookTarget;
  enabled: boolean;
}

export interface RuleProblem {
  /** The rule's id when it has a valid one, else its index in the list; `''`: the list itself. */
  rule: string | number;
  /** Dotted path of the field (`condition.window`, `scope.agents[2]`); empty for the whole rule. */
  field: string;
  /** What is wrong, without the rule and field. */
  reason: string;
  /** One line: `rule "cost-runaway": condition.window: must be between 1s and 7d (got 0)`. */
  message: string;
  /** The rules file, when the rule came from one. */
  file?: string;
}

export class RuleValidationError extends Error {
  constructor(readonly problems: readonly RuleProblem[]) {
    super(problems.map((problem) => problem.message).join('\n'));
    this.name = 'RuleValidationError';
  }
}

export interface RuleValidationOptions extends WebhookUrlOptions {
  /** Prefix of every message, and `file` of every problem. */
  file?: string;
}

const PUBLIC_ONLY = ruleSchema({ allowPrivate: false });
const PRIVATE_OK = ruleSchema({ allowPrivate: true });

const REGEX_FIELDS = new Set(['pattern', 'regex', 'regexp']);
const REGEX_REASON =
  'regular expressions are not supported: use textContains (substring), errorType or lists (exact match)';

export function problem(
  rule: string | number,
  field: string,
  reason: string,
  file?: string,
): RuleProblem {
  const label = rule === '' ? '' : typeof rule === 'string' ? `rule "${rule}"` : `rule #${rule}`;
  const message = [file, label, field, reason].filter(Boolean).join(': ');
  return file === undefined
    ? { rule, field, reason, message }
    : { rule, field, reason, message, file };
}

function fieldPath(path: readonly (string | number)[]): string {
  return path.reduce<string>(
    (text, part) =>
      typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${part}` : part,
    '',
  );
}

function issueReasons(issue: ZodIssue): { field: string; reason: string }[] {
  const field = fieldPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        field: fieldPath([...issue.path, key]),
        reason: REGEX_FIELDS.has(key) ? REGEX_REASON : 'unknown field',
      }));
    case 'invalid_type':
      return [
        {
          field,
          reason:
            issue.received === 'undefined'
              ? 'is required'
              : `must be ${issue.expected === 'object' ? 'an' : 'a'} ${issue.expected} (got ${issue.received})`,
        },
      ];
    case 'invalid_union_discriminator':
      return [{ field, reason: `must be one of ${issue.options.map(String).join(', ')}` }];
    case 'invalid_enum_value':
      return [
        {
          field,
          reason: `must be one of ${issue.options.join(', ')} (got ${show(issue.received)})`,
        },
      ];
    default:
      return [{ field, reason: issue.message }];
  }
}

/** Checks that span fields; `rule` already has the schema's shape. */
function crossFieldReasons(rule: ParsedRule): { field: string; reason: string }[] {
  const reasons: { field: string; reason: string }[] = [];
  const add = (field: string, reason: string) => reasons.push({ field, reason });
  const { condition } = rule;
  if (condition.kind !== 'threshold' && rule.for !== 0) {
    add('for', `only threshold conditions take "for" (this is ${condition.kind})`);
  }
  if (condition.kind === 'absence') {
    if (rule.resolveAfter !== undefined) {
      add('resolveAfter', 'absence alerts resolve on the agent’s next event; leave it out');
    }
    if (rule.groupBy !== 'agent') add('groupBy', 'absence is always per agent');
    if (rule.scope.eventTypes) add('scope.eventTypes', 'absence watches every event of an agent');
    if (rule.scope.models) add('scope.models', 'absence watches every event of an agent');
  }
  if (condition.kind === 'match' && rule.resolveAfter !== undefined && rule.resolveAfter < 1000) {
    add('resolveAfter', `must be at least 1s for match conditions (got ${rule.resolveAfter})`);
  }
  if (condition.kind !== 'threshold') return reasons;
  const { metric, op } = condition;
  const below = op === '<' || op === '<=';
  if (metric === 'failure_rate') {
    if (condition.minCount === undefined) {
      add('condition.minCount', 'is required for failure_rate (events reporting success)');
    }
    if (condition.value < 0 || condition.value > 1) {
      add('condition.value', `must be between 0 and 1 for failure_rate (got ${condition.value})`);
    }
  }
  if (metric === 'confidence_min' && !below) {
    add('condition.op', `must be < or <= for confidence_min (got ${op})`);
  }
  if (condition.eventType !== undefined && metric !== 'event_count') {
    add('condition.eventType', 'applies to event_count only');
  }
  const samples = ['failure_rate', 'latency_p95', 'latency_avg', 'confidence_min'];
  if (condition.minCount !== undefined && !samples.includes(metric)) {
    add('condition.minCount', `applies to ${samples.join(', ')} only`);
  }
  const resolveValue = condition.resolveValue;
  if (
    resolveValue !== undefined &&
    (below ? resolveValue < condition.value : resolveValue > condition.value)
  ) {
    add(
      'condition.resolveValue',
      `must be ${below ? 'at least' : 'at most'} value (${condition.value}) for op ${op} (got ${resolveValue})`,
    );
  }
  return reasons;
}

function normalise(rule: ParsedRule): AlertRule {
  const { condition } = rule;
  const resolveAfter =
    rule.resolveAfter ?? (condition.kind === 'match' ? DEFAULT_MATCH_RESOLVE_AFTER_MS : 0);
  const normalised: AlertRule = {
    ...rule,
    name: rule.name ?? rule.id,
    resolveAfter,
    condition:
      condition.kind === 'threshold'
        ? { ...condition, resolveValue: condition.resolveValue ?? condition.value }
        : condition,
  };
  return normalised;
}

function ruleLabel(input: unknown, index: number): string | number {
  if (typeof input === 'object' && input !== null && 'id' in input) {
    const id = input.id;
    if (typeof id === 'string' && RULE_ID_PATTERN.test(id)) return id;
  }
  return index;
}

/** One rule, or the problems that stop it; `index` names a rule without a valid id. */
export function checkRule(
  input: unknown,
  options: RuleValidationOptions = {},
  index = 0,
): { rule: AlertRule; problems: [] } | { rule?: undefined; problems: RuleProblem[] } {
  const label = ruleLabel(input, index);
  const parsed = (options.allowPrivate ? PRIVATE_OK : PUBLIC_ONLY).safeParse(input);
  const reasons = parsed.success
    ? crossFieldReasons(parsed.data)
    : parsed.error.issues.flatMap(issueReasons);
  if (parsed.success && reasons.length === 0) return { rule: normalise(parsed.data), problems: [] };
  return {
    problems: reasons.map(({ field, reason }) => problem(label, field, reason, options.file)),
  };
}

/** A valid, normalised rule; throws {@link RuleValidationError} listing every problem. */
export function validateRule(input: unknown, options: RuleValidationOptions = {}): AlertRule {
  const { rule, problems } = checkRule(input, options);
  if (!rule) throw new RuleValidationError(problems);
  return rule;
}

/** A list of rules with unique ids; throws {@link RuleValidationError} listing every problem. */
export function validateRules(input: unknown, options: RuleValidationOptions = {}): AlertRule[] {
  if (!Array.isArray(input)) {
    throw new RuleValidationError([problem('', 'rules', 'must be a list of rules', options.file)]);
  }
  const rules: AlertRule[] = [];
  const problems: RuleProblem[] = [];
  const seen = new Set<string>();
  input.forEach((item: unknown, index) => {
    const checked = checkRule(item, options, index);
    problems.push(...checked.problems);
    if (!checked.rule) return;
    if (seen.has(checked.rule.id)) {
      problems.push(
        problem(checked.rule.id, 'id', `is used by more than one rule (#${index})`, options.file),
      );
    }
    seen.add(checked.rule.id);
    rules.push(checked.rule);
  });
  if (problems.length > 0) throw new RuleValidationError(problems);
  return rules;
}
