import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Comma-separated list; blank entries ignored. */
const list = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  );

/** The values NODE_ENV accepts; anything else stops the start (exit 78). */
export const NODE_ENVS = ['production', 'development', 'test'] as const;

/** `https://dash.example.com`, `http://localhost:5173`: exactly what a browser sends as `Origin`. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

/**
 * Every environment variable AUREN reads (CONTRACT §6 and docs/configuration.md). Only this lib
 * touches `process.env`.
 */
export const envSchema = z.object({
  // Exactly one of three: `prod` or `Production` must not quietly mean development with auth off.
  NODE_ENV: z
    .string()
    .optional()
    .refine(
      (value) => value === undefined || (NODE_ENVS as readonly string[]).includes(value),
      (value) => ({
        message: `must be production, development or test (lower case), not "${value}"; unset means development`,
      }),
    ),
  AUREN_HOST: z.string().min(1).optional(),
  INGEST_PORT: port(3000),
  GRPC_PORT: port(50051),
  AUREN_GRPC_ENABLED: z
    .enum(['true', 'false', '1', '0'], {
      errorMap: () => ({ message: 'must be true or false' }),
    })
    .default('true')
    .transform((value) => value === 'true' || value === '1'),
  GATEWAY_PORT: port(8765),
  AUREN_STREAM_BACKEND: z.enum(['redis', 'kafka', 'hybrid', 'memory']).optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must look like redis://host:port or rediss://...')
    .optional(),
  AUREN_REDIS_CLUSTER: z
    .enum(['true', 'false', '1', '0'], {
      errorMap: () => ({ message: 'must be true or false' }),
    })
    .default('false')
    .transform((value) => value === 'true' || value === '1'),
  AUREN_REDIS_CLUSTER_NODES: list,
  KAFKA_BROKERS: list,
  AUREN_STREAM_KEY: z.string().min(1).default('auren:events'),
  AUREN_STREAM_MAXLEN: positiveInt(1_000_000),
  AUREN_MEMORY_MAXLEN: positiveInt(100_000),
  AUREN_DEDUPE_WINDOW_SECONDS: positiveInt(86_400),
  AUREN_KAFKA_TOPIC: z.string().min(1).default('auren.events'),
  AUREN_HYBRID_ACK: z.enum(['any', 'all']).default('any'),
  AUREN_KAFKA_PARTITIONS: positiveInt(3),
  AUREN_KAFKA_HISTORY_EVENTS: z.coerce.number().int().min(0).default(50_000),
  AUREN_KAFKA_DEDUPE_EVENTS: positiveInt(100_000),
  AUREN_HYBRID_PAIR_WAIT_MS: positiveInt(5000),
  AUREN_REDIS_ALLOW_VOLATILE: z
    .enum(['true', 'false', '1', '0'], {
      errorMap: () => ({ message: 'must be true or false' }),
    })
    .default('false')
    .transform((value) => value === 'true' || value === '1'),
  AUREN_REDIS_MIN_REPLICAS: z.coerce.number().int().min(0).max(16).default(0),
  AUREN_REDIS_REPLICA_TIMEOUT_MS: positiveInt(1000),
  AUREN_STREAM_RESET_CHECK_MS: positiveInt(1000),
  AUREN_JWT_SECRET: z.string().min(1).optional(),
  AUREN_JWT_PUBLIC_KEY: z.string().min(1).optional(),
  AUREN_JWT_ALGORITHM: z
    .enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'])
    .default('RS256'),
  AUREN_JWT_ISSUER: list,
  AUREN_JWT_AUDIENCE: list,
  AUREN_JWT_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(600).default(30),
  AUREN_JWT_JWKS_URL: z
    .string()
    .url(
      'must be the URL of a JSON Web Key Set, for example https://idp.example.com/.well-known/jwks.json',
    )
    .regex(/^https?:\/\//i, 'must be an http:// or https:// URL')
    .optional(),
  AUREN_JWT_JWKS_TIMEOUT_MS: positiveInt(5000),
  AUREN_JWT_JWKS_CACHE_SECONDS: positiveInt(600),
  AUREN_JWT_JWKS_COOLDOWN_SECONDS: positiveInt(30),
  AUREN_API_KEYS: list,
  AUREN_CORS_ORIGINS: list.superRefine((origins, ctx) => {
    for (const origin of origins) {
      if (!isOrigin(origin))
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `"${origin}" is not an origin: scheme://host[:port] in lower case, no path or trailing slash (e.g. https://dash.example.com)`,
        });
    }
  }),
  AUREN_SUMMARY_INTERVAL_MS: positiveInt(30_000),
  AUREN_SUMMARY_WARMUP_EVENTS: z.coerce.number().int().min(0).default(100_000),
  AUREN_SUMMARY_MAX_ENTRIES: positiveInt(10_000),
  AUREN_MAX_CONNECTIONS: positiveInt(10_000),
  AUREN_MAX_CONNECTIONS_PER_USER: positiveInt(50),
  AUREN_CLIENT_MESSAGES_PER_MINUTE: positiveInt(100),
  AUREN_CLIENT_QUEUE_LIMIT: positiveInt(1000),
  AUREN_RESUME_MAX_EVENTS: positiveInt(100_000),
  AUREN_PING_INTERVAL_MS: positiveInt(25_000),
  AUREN_PING_TIMEOUT_MS: positiveInt(20_000),
  AUREN_RETRY_AFTER_SECONDS: positiveInt(1),
  AUREN_RATE_LIMIT_EVENTS_PER_SECOND: z.coerce
    .number({ invalid_type_error: 'must be a number of events per second (0 turns limits off)' })
    .min(0)
    .default(1000),
  AUREN_RATE_LIMIT_BURST: positiveInt(20_000),
  AUREN_RATE_LIMIT_KEYS: list,
  AUREN_RATE_LIMIT_REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must look like redis://host:port or rediss://...')
    .optional(),
  AUREN_METRICS_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters (a random string: openssl rand -hex 32)')
    .optional(),
  AUREN_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  AUREN_METRICS_HOST: z.string().min(1).optional(),
  AUREN_GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(2).max(64).default(8),
  AUREN_GRAPHQL_MAX_COMPLEXITY: z.coerce.number().int().min(100).default(5000),
  AUREN_GRAPHQL_MAX_PAGE_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  AUREN_GRAPHQL_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).default(15_000),
  AUREN_GRAPHQL_PERSISTED_QUERIES: z.string().min(1).optional(),
  AUREN_GRAPHQL_ONLY_PERSISTED: z
    .enum(['true', 'false', '1', '0'], {
      errorMap: () => ({ message: 'must be true or false' }),
    })
    .default('false')
    .transform((value) => value === 'true' || value === '1'),
  HISTORY_PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  AUREN_DASHBOARD_HISTORY_URL: z
    .string()
    .url(
      'must be the URL of the history GraphQL API, for example https://history.example.com/graphql',
    )
    .regex(/^https?:\/\//i, 'must be an http:// or https:// URL')
    .optional(),
  DATABASE_URL: z
    .string()
    .regex(
      /^postgres(ql)?:\/\//,
      'must be a PostgreSQL URL such as postgres://user:password@host:5432/auren (unset: the embedded engine)',
    )
    .optional(),
  AUREN_HISTORY_RETENTION_DAYS: positiveInt(30),
  AUREN_HISTORY_DATA_DIR: z.string().min(1).default('data/history'),
  AUREN_HISTORY_ENABLED: z
    .enum(['true', 'false', '1', '0'], {
      errorMap: () => ({ message: 'must be true or false' }),
    })
    .default('true')
    .transform((value) => value === 'true' || value === '1'),
  AUREN_HISTORY_GROUP: z.string().min(1).default('auren-history'),
  AUREN_HISTORY_BATCH: positiveInt(2000),
  AUREN_HISTORY_CLAIM_IDLE_MS: positiveInt(30_000),
  AUREN_HISTORY_MAX_LAG: positiveInt(100_000),
  AUREN_ALERTS_ENABLED: z
    .enum(['true', 'false', '1', '0'], {
      errorMap: () => ({ message: 'must be true or false' }),
    })
    .default('true')
    .transform((value) => value === 'true' || value === '1'),
  AUREN_ALERT_RULES_FILE: z.string().min(1).optional(),
  AUREN_ALERT_WEBHOOK_ALLOW_PRIVATE: z
    .enum(['true', 'false', '1', '0'], {
      errorMap: () => ({ message: 'must be true or false' }),
    })
    .optional()
    .transform((value) => (value === undefined ? undefined : value === 'true' || value === '1')),
  AUREN_ALERT_WEBHOOK_TIMEOUT_MS: positiveInt(5000),
  AUREN_ALERT_WEBHOOK_MAX_ATTEMPTS: positiveInt(8),
  AUREN_ALERT_WEBHOOK_RETRY_BASE_MS: positiveInt(5000),
  AUREN_ALERT_WEBHOOK_RETRY_SPAN_MS: positiveInt(600_000),
  AUREN_ALERT_TICK_MS: positiveInt(1000),
  AUREN_ALERT_CHECKPOINT_MS: positiveInt(30_000),
  AUREN_LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
});

export type RawEnv = z.input<typeof envSchema>;
