import type { RedisTarget } from './redis-target';

/** The largest batch the contract accepts; every limit's burst must let one through. */
const MAX_BATCH_EVENTS = 1000;

/** A rate limit: `eventsPerSecond` sustained, up to `burst` events at once. */
export interface RateLimitRule {
  eventsPerSecond: number;
  burst: number;
}

/**
 * Ingest rate limits per credential (docs/ingest.md#rate-limits). `default` is null when limits
 * are off (`AUREN_RATE_LIMIT_EVENTS_PER_SECOND=0`); an override with rate 0 leaves that
 * credential unlimited.
 */
export interface RateLimitConfig {
  default: RateLimitRule | null;
  /** Per credential: `key:<key id>`, `sub:<JWT subject>` or `ip:<address>` → its rule (null: unlimited). */
  overrides: Map<string, RateLimitRule | null>;
  /** Where pods share the limits: `AUREN_RATE_LIMIT_REDIS_URL`, else `REDIS_URL`; unset: per pod. */
  redisUrl?: string;
  /** That Redis with the cluster settings (`AUREN_REDIS_CLUSTER`). */
  redis?: RedisTarget;
}

const IDENTITY = /^(key|sub|ip):.+$/;
const NUMBER = /^\d+(\.\d+)?$/;
const INTEGER = /^\d+$/;

/**
 * Reads `AUREN_RATE_LIMIT_*`. Problems are pushed to `problems`, each naming the variable, the
 * entry and what is accepted.
 */
export function parseRateLimits(
  input: { rate: number; burst: number; keys: string[]; redisUrl?: string },
  problems: string[],
): RateLimitConfig {
  const burstProblem = (burst: number) =>
    burst < MAX_BATCH_EVENTS
      ? `must be at least ${MAX_BATCH_EVENTS} (the largest batch), so that every valid batch can pass`
      : undefined;
  const globalBurst = burstProblem(input.burst);
  if (globalBurst) problems.push(`AUREN_RATE_LIMIT_BURST: ${globalBurst}`);
  const overrides = new Map<string, RateLimitRule | null>();
  for (const entry of input.keys) {
    const equals = entry.lastIndexOf('=');
    const identity = equals < 0 ? entry : entry.slice(0, equals).trim();
    const value = equals < 0 ? '' : entry.slice(equals + 1).trim();
    const [rateText, burstText, extra] = value.split(':');
    const bad = (why: string) =>
      problems.push(
        `AUREN_RATE_LIMIT_KEYS: "${entry}" ${why}; each entry is <credential>=<events per second>[:<burst>], the credential being key:<key id>, sub:<JWT subject> or ip:<address>`,
      );
    if (!IDENTITY.test(identity)) {
      bad('does not name a credential');
      continue;
    }
    if (extra !== undefined || !NUMBER.test(rateText ?? '')) {
      bad('has no valid rate');
      continue;
    }
    if (burstText !== undefined && (!INTEGER.test(burstText) || Number(burstText) === 0)) {
      bad('has a burst that is not a positive integer');
      continue;
    }
    const burst = burstText === undefined ? input.burst : Number(burstText);
    const tooSmall = burstProblem(burst);
    if (tooSmall) {
      bad(`has a burst that ${tooSmall}`);
      continue;
    }
    if (overrides.has(identity)) {
      bad('names a credential a second time');
      continue;
    }
    const rate = Number(rateText);
    overrides.set(identity, rate === 0 ? null : { eventsPerSecond: rate, burst });
  }
  return {
    default: input.rate === 0 ? null : { eventsPerSecond: input.rate, burst: input.burst },
    overrides,
    redisUrl: input.redisUrl,
  };
}
