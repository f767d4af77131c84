export * from './duration';
export * from './rule';
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
export * from './rules-file';
export * from './webhook-url';
export type { OwnerAccess } from './rule-runtime';
export * from './transition';
export * from './evaluator';
export * from './silence';
export * from './webhook';
export { describeTransition } from './describe';
