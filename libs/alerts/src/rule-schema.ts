import { ALLOWED_EVENT_TYPES_TEXT, isEventType } from '@auren/contracts';
import { z } from 'zod';
import { DAY_MS, formatDuration, parseDuration, SECOND_MS } from './duration';
import { webhookUrlProblem, type WebhookUrlOptions } from './webhook-url';

/** The zod schemas behind `validateRule`: strict objects, durations normalised to milliseconds. */

export const RULE_ID_PATTERN = /^[a-z0-9_-]{1,64}$/;
export const WINDOW_MIN_MS = SECOND_MS;
export const WINDOW_MAX_MS = 7 * DAY_MS;
export const DEFAULT_MATCH_RESOLVE_AFTER_MS = 5 * 60 * SECOND_MS;
export const LIST_MAX = 1000;

export const THRESHOLD_METRICS = [
  'cost_sum',
  'tokens_sum',
  'failure_count',
  'failure_rate',
  'latency_p95',
  'latency_avg',
  'event_count',
  'confidence_min',
] as const;
export const COMPARISON_OPS = ['>', '>=', '<', '<='] as const;
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export const WEBHOOK_FORMATS = ['json', 'slack'] as const;

export function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function duration(minMs: number, maxMs: number) {
  return z.unknown().transform((value, ctx): number => {
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: 'is required' });
      return z.NEVER;
    }
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a duration such as 30s, 5m, 1h, 2d or whole milliseconds (got ${show(value)})`,
      });
      return z.NEVER;
    }
    if (ms < minMs || ms > maxMs) {
      ctx.addIssue({
        code: 'custom',
        message: `must be between ${formatDuration(minMs)} and ${formatDuration(maxMs)} (got ${show(value)})`,
      });
      return z.NEVER;
    }
    return ms;
  });
}

const text = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((value) => value.trim() === value, 'must not start or end with spaces');

const list = <T extends z.ZodTypeAny>(item: T) =>
  z
    .array(item)
    .min(1, 'must list at least one value (leave the field out to mean all)')
    .max(LIST_MAX, `must list at most ${LIST_MAX} values`);

const eventType = z.string().refine(isEventType, (value) => ({
  message: `must be one of ${ALLOWED_EVENT_TYPES_TEXT} (got ${show(value)})`,
}));

const finite = z.number({ invalid_type_error: 'must be a number' }).finite('must be finite');

export const scopeSchema = z
  .object({
    agents: list(text(128)).optional(),
    eventTypes: list(eventType).optional(),
    models: list(text(256)).optional(),
  })
  .strict();

const thresholdSchema = z
  .object({
    kind: z.literal('threshold'),
    metric: z.enum(THRESHOLD_METRICS),
    op: z.enum(COMPARISON_OPS),
    value: finite,
    window: duration(WINDOW_MIN_MS, WINDOW_MAX_MS),
    minCount: z.number().int('must be a whole number').min(1).max(1_000_000).optional(),
    resolveValue: finite.optional(),
    eventType: eventType.optional(),
  })
  .strict();

const absenceSchema = z
  .object({ kind: z.literal('absence'), after: duration(WINDOW_MIN_MS, WINDOW_MAX_MS) })
  .strict();

const matchSchema = z
  .object({
    kind: z.literal('match'),
    filter: z
      .object({
        eventTypes: list(eventType).optional(),
        agents: list(text(128)).optional(),
        success: z.boolean().optional(),
        errorType: text(256).optional(),
        textContains: z.string().min(1, 'must not be empty').max(256).optional(),
      })
      .strict(),
  })
  .strict();

export const conditionSchema = z.discriminatedUnion('kind', [
  thresholdSchema,
  absenceSchema,
  matchSchema,
]);

function webhookSchema(options: WebhookUrlOptions) {
  return z
    .object({
      url: z.string().superRefine((url, ctx) => {
        const problem = webhookUrlProblem(url, options);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
      format: z.enum(WEBHOOK_FORMATS).default('json'),
      secret: z
        .string()
        .min(16, 'must be at least 16 characters')
        .max(512, 'must be at most 512 characters')
        .optional(),
    })
    .strict();
}

export function ruleSchema(options: WebhookUrlOptions) {
  return z
    .object({
      id: z.string().regex(RULE_ID_PATTERN, 'must be 1..64 characters of a-z, 0-9, _ and -'),
      name: text(200).optional(),
      owner: text(128),
      severity: z.enum(SEVERITIES).default('warning'),
      scope: scopeSchema.default({}),
      groupBy: z.enum(['agent', 'none']).default('agent'),
      condition: conditionSchema,
      for: duration(0, WINDOW_MAX_MS).default(0),
      resolveAfter: duration(0, WINDOW_MAX_MS).optional(),
      webhook: webhookSchema(options).optional(),
      enabled: z.boolean().default(true),
    })
    .strict();
}

export type ParsedRule = z.output<ReturnType<typeof ruleSchema>>;
