import { createPublicKey } from 'node:crypto';
import { ZodError } from 'zod';
import { envSchema } from './config.schema';
import { parseRateLimits, RateLimitConfig } from './rate-limit-config';
import { hashTag, parseRedisTarget, type RedisTarget } from './redis-target';

export type StreamBackend = 'redis' | 'kafka' | 'hybrid' | 'memory';
export type LogLevel = 'error' | 'warn' | 'log' | 'debug' | 'verbose';

/** An API key from `AUREN_API_KEYS` (`key` or `key:user_id`). */
export interface ApiKey {
  key: string;
  userId?: string;
}

export type AsymmetricJwtAlgorithm =
  'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512';

export interface JwksConfig {
  url: string;
  /** A fetch that takes longer is abandoned (the cached keys stay in use). */
  timeoutMs: number;
  /** Cached keys are refreshed in the background after this long. */
  cacheSeconds: number;
  /** At most one fetch per this many seconds, however many unknown `kid`s arrive. */
  cooldownSeconds: number;
}

export interface AurenConfig {
  production: boolean;
  host: string;
  ingestPort: number;
  /** gRPC ingest port; 0 picks a free one (logged at start). */
  grpcPort: number;
  /** `AUREN_GRPC_ENABLED=false` leaves gRPC ingest off. */
  grpcEnabled: boolean;
  gatewayPort: number;
  stream: {
    backend: StreamBackend;
    redisUrl?: string;
    /** `REDIS_URL` with the cluster settings (`AUREN_REDIS_CLUSTER`): what clients connect to. */
    redis?: RedisTarget;
    kafkaBrokers: string[];
    key: string;
    maxLen: number;
    memoryMaxLen: number;
    dedupeWindowSeconds: number;
    kafkaTopic: string;
    /** Partitions of the topic when ingest creates it. */
    kafkaPartitions: number;
    /** Records each gateway pod keeps for resume and history in Kafka mode. */
    kafkaHistoryEvents: number;
    /** event_ids remembered to drop second copies (gateways) and repeats (Kafka ingest). */
    kafkaDedupeEvents: number;
    hybridAck: 'any' | 'all';
    /** Hybrid `all`: how long a gateway waits for an event's second copy. */
    hybridPairWaitMs: number;
    /** Production mode starts on a Redis without AOF (acknowledged events lost on a restart). */
    redisAllowVolatile: boolean;
    /** Redis replicas that must confirm a write (`WAIT`) before ingest answers 202; 0: none. */
    redisMinReplicas: number;
    /** How long ingest waits for those replicas before taking the write back and answering 503. */
    redisReplicaTimeoutMs: number;
    /** Gateways: how often the Redis stream is checked for a reset or loss (besides after outages). */
    resetCheckMs: number;
  };
  auth: {
    jwtSecret?: string;
    jwtPublicKey?: string;
    jwtPublicAlgorithm: AsymmetricJwtAlgorithm;
    apiKeys: ApiKey[];
    /** Accepted `iss` values; empty: `iss` not checked. */
    jwtIssuer: string[];
    /** Accepted `aud` values (the token must name one); empty: `aud` not checked. */
    jwtAudience: string[];
    /** Leeway for `exp`, `nbf` and a future `iat`, in seconds. */
    jwtClockToleranceSeconds: number;
    /** RS/ES keys from an identity provider's JSON Web Key Set, looked up by `kid`. */
    jwks?: JwksConfig;
  };
  corsOrigins: string[];
  summaryIntervalMs: number;
  /** Stream records read at start to rebuild the summaries (the newest ones, up to the live start). */
  summaryWarmupEvents: number;
  /** (owner, agent) and (owner, agent, collaboration key) entries kept in the summary cache, in total. */
  summaryMaxEntries: number;
  maxConnections: number;
  maxConnectionsPerUser: number;
  clientMessagesPerMinute: number;
  /** Packets queued for one connection before it is left out of live emits (stream_gap). */
  clientQueueLimit: number;
  /** Most events one resume replays; past it the resume answers `recovered: false`. */
  resumeMaxEvents: number;
  /** A client that answers no ping is dropped after interval + timeout (45 s by default). */
  pingIntervalMs: number;
  pingTimeoutMs: number;
  retryAfterSeconds: number;
  /** Ingest rate limits per credential (`AUREN_RATE_LIMIT_*`). */
  rateLimit: RateLimitConfig;
  /** The history's GraphQL API (docs/graphql.md, "Limits"). */
  graphql: {
    maxDepth: number;
    maxComplexity: number;
    /** Largest `first` of `events`. */
    maxPageSize: number;
    /** PostgreSQL statement timeout of each GraphQL query, in ms; 0: none. */
    statementTimeoutMs: number;
    /** Allow-list file of operations (JSON); unset: none. */
    persistedQueriesFile?: string;
    /** Run only the operations of that file. */
    onlyPersisted: boolean;
  };
  /** The dashboard the gateway serves at `/` (docs/dashboard.md). */
  dashboard: {
    /**
     * The history GraphQL URL the dashboard's look-back views call (`AUREN_DASHBOARD_HISTORY_URL`);
     * unset: none, unless the all-in-one process tells its gateway where its history listens.
     */
    historyUrl?: string;
  };
  /** The history service (docs/history.md). */
  history: {
    port: number;
    /** PostgreSQL; unset: the embedded engine (PGlite) in `dataDir`. */
    databaseUrl?: string;
    dataDir: string;
    retentionDays: number;
    /** `AUREN_HISTORY_ENABLED=false` leaves history out of the all-in-one process. */
    enabled: boolean;
    /** Consumer group the writers share (Redis group name; Kafka group id). */
    group: string;
    /** Most events written in one transaction. */
    batchSize: number;
    /** A writer's pending entries idle this long are claimed by another writer. */
    claimIdleMs: number;
    /** Readiness fails while more events than this wait to be written. */
    maxLag: number;
  };
  /** Alert rules and their evaluation, in the history service (docs/alerts.md). */
  alerts: {
    /** `AUREN_ALERTS_ENABLED=false`: the history service evaluates no rules. */
    enabled: boolean;
    /** Rules loaded at start (YAML or JSON). */
    rulesFile?: string;
    /** Webhooks may target loopback and private addresses (default: outside production only). */
    webhookAllowPrivate: boolean;
    webhookTimeoutMs: number;
    /** Attempts of one webhook delivery before it is dead-lettered. */
    webhookMaxAttempts: number;
    /** Ceiling of the first retry's delay (doubling, full jitter). */
    webhookRetryBaseMs: number;
    /** The last attempt is made no earlier than this after the first. */
    webhookRetrySpanMs: number;
    /** How often absence rules and emptying windows are looked at. */
    tickMs: number;
    /** How often the evaluator's state is saved while events flow (a successor re-reads the rest). */
    checkpointMs: number;
  };
  logLevel: LogLevel;
  /** Who may read `/metrics`, and where it is served (docs/configuration.md, "Metrics"). */
  metrics: {
    /** When set, `/metrics` answers 401 without `Authorization: Bearer <token>`. Never logged. */
    token?: string;
    /** When set, `/metrics` is served only on this port (0 picks one) and 404 on the app's port. */
    port?: number;
    /** Host of the metrics port; the app's host unless AUREN_METRICS_HOST is set. */
    host: string;
  };
}

/** Records the stream transport reads at once; a client's queue limit must stay above it. */
export const STREAM_READ_BATCH = 500;

/** The HS256 secret development mode falls back to. Production refuses to start without its own. */
export const DEVELOPMENT_JWT_SECRET = 'auren-development-secret-do-not-use-in-production';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function isHttpsOrLoopback(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return (
    protocol === 'https:' ||
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    /^127\.\d+\.\d+\.\d+$/.test(hostname)
  );
}

function describe(error: ZodError): string[] {
  return error.issues.map((issue) => {
    const name = issue.path.join('.');
    return `${name}: ${issue.message}`;
  });
}

/**
 * Reads and validates the environment once. Throws {@link ConfigError} naming each bad variable
 * and what it accepts; entry points print it and exit.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AurenConfig {
  // An empty variable (`INGEST_PORT=`) means "not set", not "0".
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) throw new ConfigError(describe(parsed.error));
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const problems: string[] = [];

  const backend: StreamBackend = e.AUREN_STREAM_BACKEND ?? (e.REDIS_URL ? 'redis' : 'memory');
  if ((backend === 'redis' || backend === 'hybrid') && !e.REDIS_URL) {
    problems.push(
      `REDIS_URL: required when AUREN_STREAM_BACKEND=${backend} (for example redis://127.0.0.1:6379)`,
    );
  }
  if ((backend === 'kafka' || backend === 'hybrid') && e.KAFKA_BROKERS.length === 0) {
    problems.push(
      `KAFKA_BROKERS: required when AUREN_STREAM_BACKEND=${backend} (for example 127.0.0.1:9092)`,
    );
  }

  if (e.AUREN_REDIS_MIN_REPLICAS > 0 && backend !== 'redis' && backend !== 'hybrid') {
    problems.push(
      `AUREN_REDIS_MIN_REPLICAS: only applies to the redis and hybrid backends (the backend is ${backend})`,
    );
  }

  if (e.AUREN_STREAM_KEY.includes('}') && hashTag(e.AUREN_STREAM_KEY) === null) {
    problems.push(
      `AUREN_STREAM_KEY: "${e.AUREN_STREAM_KEY}" has a "}" but no hash tag; use a key without braces (auren:events) or with a non-empty {tag} (auren:{eu}:events), see docs/scaling.md#redis-cluster`,
    );
  }
  const clusterSettings = { enabled: e.AUREN_REDIS_CLUSTER, nodes: e.AUREN_REDIS_CLUSTER_NODES };
  const rateLimitRedisUrl = e.AUREN_RATE_LIMIT_REDIS_URL ?? e.REDIS_URL;
  if (e.AUREN_REDIS_CLUSTER && !e.REDIS_URL && !e.AUREN_RATE_LIMIT_REDIS_URL) {
    problems.push(
      'AUREN_REDIS_CLUSTER: needs REDIS_URL (one node of the cluster, for example redis://10.0.0.5:6379)',
    );
  }
  if (!e.AUREN_REDIS_CLUSTER && e.AUREN_REDIS_CLUSTER_NODES.length > 0) {
    problems.push(
      'AUREN_REDIS_CLUSTER_NODES: only used with AUREN_REDIS_CLUSTER=true (set it, or remove the node list)',
    );
  }
  const redisTarget = e.REDIS_URL
    ? parseRedisTarget(e.REDIS_URL, 'REDIS_URL', clusterSettings, problems)
    : undefined;
  const rateLimitTarget =
    rateLimitRedisUrl === undefined
      ? undefined
      : rateLimitRedisUrl === e.REDIS_URL
        ? redisTarget
        : parseRedisTarget(
            rateLimitRedisUrl,
            'AUREN_RATE_LIMIT_REDIS_URL',
            clusterSettings,
            problems,
          );

  const apiKeys: ApiKey[] = e.AUREN_API_KEYS.map((entry) => {
    const colon = entry.indexOf(':');
    if (colon < 0) return { key: entry };
    return { key: entry.slice(0, colon), userId: entry.slice(colon + 1) };
  });
  // A PEM put in one line of an env file often carries its line breaks as "\n".
  const jwtPublicKey = e.AUREN_JWT_PUBLIC_KEY?.replace(/\\n/g, '\n');
  if (jwtPublicKey) {
    try {
      createPublicKey(jwtPublicKey);
    } catch {
      problems.push(
        'AUREN_JWT_PUBLIC_KEY: not a PEM public key (-----BEGIN PUBLIC KEY----- ...; a certificate or private key does not fit)',
      );
    }
  }
  if (production) {
    if (!e.AUREN_JWT_SECRET && !e.AUREN_JWT_PUBLIC_KEY && !e.AUREN_JWT_JWKS_URL) {
      problems.push(
        'AUREN_JWT_SECRET: required in production (or set AUREN_JWT_PUBLIC_KEY or AUREN_JWT_JWKS_URL); there is no default',
      );
    }
    if (e.AUREN_JWT_JWKS_URL) {
      // An identity provider signs tokens for every application it serves with the same keys.
      if (e.AUREN_JWT_ISSUER.length === 0) {
        problems.push(
          'AUREN_JWT_ISSUER: required in production with AUREN_JWT_JWKS_URL (the iss your identity provider puts in its tokens)',
        );
      }
      if (e.AUREN_JWT_AUDIENCE.length === 0) {
        problems.push(
          'AUREN_JWT_AUDIENCE: required in production with AUREN_JWT_JWKS_URL, or tokens the identity provider issued for other applications would be accepted',
        );
      }
      if (!isHttpsOrLoopback(e.AUREN_JWT_JWKS_URL)) {
        problems.push(
          'AUREN_JWT_JWKS_URL: must be https:// in production (http:// only on a loopback address)',
        );
      }
    }
    if (
      e.AUREN_JWT_SECRET === DEVELOPMENT_JWT_SECRET ||
      (e.AUREN_JWT_SECRET && e.AUREN_JWT_SECRET.length < 32)
    ) {
      problems.push(
        'AUREN_JWT_SECRET: in production it must be your own secret of at least 32 characters',
      );
    }
    if (apiKeys.some((k) => k.key.startsWith('test'))) {
      problems.push('AUREN_API_KEYS: keys starting with "test" are refused in production');
    }
  }
  if (apiKeys.some((k) => k.key.length < 16 && !k.key.startsWith('test'))) {
    problems.push('AUREN_API_KEYS: each key must be at least 16 characters');
  }
  if (e.AUREN_PING_INTERVAL_MS + e.AUREN_PING_TIMEOUT_MS > 60_000) {
    problems.push(
      'AUREN_PING_INTERVAL_MS + AUREN_PING_TIMEOUT_MS: must add up to at most 60000 (a silent client is dropped within 60 s)',
    );
  }
  if (e.AUREN_CLIENT_QUEUE_LIMIT <= STREAM_READ_BATCH) {
    problems.push(
      `AUREN_CLIENT_QUEUE_LIMIT: must be above ${STREAM_READ_BATCH}, the stream read batch, or healthy clients would be cut off during bursts`,
    );
  }
  if (e.AUREN_GRAPHQL_ONLY_PERSISTED && !e.AUREN_GRAPHQL_PERSISTED_QUERIES) {
    problems.push(
      'AUREN_GRAPHQL_ONLY_PERSISTED: needs AUREN_GRAPHQL_PERSISTED_QUERIES, the allow-list file',
    );
  }
  const rateLimit = parseRateLimits(
    {
      rate: e.AUREN_RATE_LIMIT_EVENTS_PER_SECOND,
      burst: e.AUREN_RATE_LIMIT_BURST,
      keys: e.AUREN_RATE_LIMIT_KEYS,
      redisUrl: rateLimitRedisUrl,
    },
    problems,
  );
  rateLimit.redis = rateLimitTarget;
  if (problems.length > 0) throw new ConfigError(problems);
  const host = e.AUREN_HOST ?? (production ? '0.0.0.0' : '127.0.0.1');

  return {
    production,
    host,
    ingestPort: e.INGEST_PORT,
    grpcPort: e.GRPC_PORT,
    grpcEnabled: e.AUREN_GRPC_ENABLED,
    gatewayPort: e.GATEWAY_PORT,
    stream: {
      backend,
      redisUrl: e.REDIS_URL,
      redis: redisTarget,
      kafkaBrokers: e.KAFKA_BROKERS,
      key: e.AUREN_STREAM_KEY,
      maxLen: e.AUREN_STREAM_MAXLEN,
      memoryMaxLen: e.AUREN_MEMORY_MAXLEN,
      dedupeWindowSeconds: e.AUREN_DEDUPE_WINDOW_SECONDS,
      kafkaTopic: e.AUREN_KAFKA_TOPIC,
      kafkaPartitions: e.AUREN_KAFKA_PARTITIONS,
      kafkaHistoryEvents: e.AUREN_KAFKA_HISTORY_EVENTS,
      kafkaDedupeEvents: e.AUREN_KAFKA_DEDUPE_EVENTS,
      hybridAck: e.AUREN_HYBRID_ACK,
      hybridPairWaitMs: e.AUREN_HYBRID_PAIR_WAIT_MS,
      redisAllowVolatile: e.AUREN_REDIS_ALLOW_VOLATILE,
      redisMinReplicas: e.AUREN_REDIS_MIN_REPLICAS,
      redisReplicaTimeoutMs: e.AUREN_REDIS_REPLICA_TIMEOUT_MS,
      resetCheckMs: e.AUREN_STREAM_RESET_CHECK_MS,
    },
    auth: {
      jwtSecret: e.AUREN_JWT_SECRET ?? (production ? undefined : DEVELOPMENT_JWT_SECRET),
      jwtPublicKey,
      jwtPublicAlgorithm: e.AUREN_JWT_ALGORITHM,
      apiKeys,
      jwtIssuer: e.AUREN_JWT_ISSUER,
      jwtAudience: e.AUREN_JWT_AUDIENCE,
      jwtClockToleranceSeconds: e.AUREN_JWT_CLOCK_TOLERANCE_SECONDS,
      jwks: e.AUREN_JWT_JWKS_URL
        ? {
            url: e.AUREN_JWT_JWKS_URL,
            timeoutMs: e.AUREN_JWT_JWKS_TIMEOUT_MS,
            cacheSeconds: e.AUREN_JWT_JWKS_CACHE_SECONDS,
            cooldownSeconds: e.AUREN_JWT_JWKS_COOLDOWN_SECONDS,
          }
        : undefined,
    },
    corsOrigins: e.AUREN_CORS_ORIGINS,
    summaryIntervalMs: e.AUREN_SUMMARY_INTERVAL_MS,
    summaryWarmupEvents: e.AUREN_SUMMARY_WARMUP_EVENTS,
    summaryMaxEntries: e.AUREN_SUMMARY_MAX_ENTRIES,
    maxConnections: e.AUREN_MAX_CONNECTIONS,
    maxConnectionsPerUser: e.AUREN_MAX_CONNECTIONS_PER_USER,
    clientMessagesPerMinute: e.AUREN_CLIENT_MESSAGES_PER_MINUTE,
    clientQueueLimit: e.AUREN_CLIENT_QUEUE_LIMIT,
    resumeMaxEvents: e.AUREN_RESUME_MAX_EVENTS,
    pingIntervalMs: e.AUREN_PING_INTERVAL_MS,
    pingTimeoutMs: e.AUREN_PING_TIMEOUT_MS,
    retryAfterSeconds: e.AUREN_RETRY_AFTER_SECONDS,
    rateLimit,
    graphql: {
      maxDepth: e.AUREN_GRAPHQL_MAX_DEPTH,
      maxComplexity: e.AUREN_GRAPHQL_MAX_COMPLEXITY,
      maxPageSize: e.AUREN_GRAPHQL_MAX_PAGE_SIZE,
      statementTimeoutMs: e.AUREN_GRAPHQL_STATEMENT_TIMEOUT_MS,
      persistedQueriesFile: e.AUREN_GRAPHQL_PERSISTED_QUERIES,
      onlyPersisted: e.AUREN_GRAPHQL_ONLY_PERSISTED,
    },
    dashboard: { historyUrl: e.AUREN_DASHBOARD_HISTORY_URL },
    history: {
      port: e.HISTORY_PORT,
      databaseUrl: e.DATABASE_URL,
      dataDir: e.AUREN_HISTORY_DATA_DIR,
      retentionDays: e.AUREN_HISTORY_RETENTION_DAYS,
      enabled: e.AUREN_HISTORY_ENABLED,
      group: e.AUREN_HISTORY_GROUP,
      batchSize: e.AUREN_HISTORY_BATCH,
      claimIdleMs: e.AUREN_HISTORY_CLAIM_IDLE_MS,
      maxLag: e.AUREN_HISTORY_MAX_LAG,
    },
    alerts: {
      enabled: e.AUREN_ALERTS_ENABLED,
      rulesFile: e.AUREN_ALERT_RULES_FILE,
      webhookAllowPrivate: e.AUREN_ALERT_WEBHOOK_ALLOW_PRIVATE ?? !production,
      webhookTimeoutMs: e.AUREN_ALERT_WEBHOOK_TIMEOUT_MS,
      webhookMaxAttempts: e.AUREN_ALERT_WEBHOOK_MAX_ATTEMPTS,
      webhookRetryBaseMs: e.AUREN_ALERT_WEBHOOK_RETRY_BASE_MS,
      webhookRetrySpanMs: e.AUREN_ALERT_WEBHOOK_RETRY_SPAN_MS,
      tickMs: e.AUREN_ALERT_TICK_MS,
      checkpointMs: e.AUREN_ALERT_CHECKPOINT_MS,
    },
    logLevel: e.AUREN_LOG_LEVEL,
    metrics: {
      token: e.AUREN_METRICS_TOKEN,
      port: e.AUREN_METRICS_PORT,
      host: e.AUREN_METRICS_HOST ?? host,
    },
  };
}

const LEVELS: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];
/** Nest logger levels up to and including `level`. */
export function logLevels(level: LogLevel): LogLevel[] {
  return LEVELS.slice(0, LEVELS.indexOf(level) + 1);
}
