// Rules: model, validation, files.
export { DAY_MS, formatDuration, MINUTE_MS, parseDuration } from './duration';
export {
  checkRule,
  RuleValidationError,
  validateRule,
  validateRules,
  type AbsenceCondition,
  type AlertCondition,
  type AlertRule,
  type ComparisonOp,
  type MatchCondition,
  type MatchFilter,
  type RuleProblem,
  type RuleScope,
  type RuleValidationOptions,
  type Severity,
  type ThresholdCondition,
  type ThresholdMetric,
  type WebhookFormat,
  type WebhookTarget,
} from './rule';
export {
  COMPARISON_OPS,
  DEFAULT_MATCH_RESOLVE_AFTER_MS,
  RULE_ID_PATTERN,
  SEVERITIES,
  THRESHOLD_METRICS,
  WEBHOOK_FORMATS,
  WINDOW_MAX_MS,
  WINDOW_MIN_MS,
} from './rule-schema';
export { loadRulesFile, parseRulesText, RULES_FILE_MAX_BYTES } from './rules-file';
export {
  classifyAddress,
  webhookAddressProblem,
  webhookUrlProblem,
  type AddressClass,
  type WebhookUrlOptions,
} from './webhook-url';

// Evaluation.
export {
  AlertEvaluator,
  type AlertEvaluatorOptions,
  type EvaluatorSnapshot,
  type EvaluatorStats,
} from './evaluator';
export type { KeySnapshot, OwnerAccess } from './rule-runtime';
export {
  MAX_EVENT_IDS,
  type ActiveAlert,
  type AlertState,
  type AlertTransition,
  type TransitionReason,
} from './transition';
export { SilenceBook, type Acknowledgement, type Silence } from './silence';

// Notification.
export { describeTransition } from './describe';
export {
  alertPayload,
  retryDelay,
  signWebhook,
  verifyWebhook,
  WEBHOOK_DELIVERY_HEADER,
  WEBHOOK_RETRY,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TOLERANCE_SEC,
  webhookBody,
  webhookDeliveryId,
  type AlertPayload,
  type WebhookRetryPolicy,
  type WebhookVerification,
} from './webhook';
