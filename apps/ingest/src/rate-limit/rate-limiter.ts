import { performance } from 'node:perf_hooks';
import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Principal } from '@auren/auth';
import { AUREN_CONFIG, AurenConfig, RateLimitConfig } from '@auren/config';
import { redactUrl } from '@auren/streaming';
import { Gcra, gcraOf, retryAfterSeconds, room, take } from './gcra';
import { RateLimitedError } from './rate-limited.error';
import { SharedLimits } from './shared-limits';

/** Share of a credential's rate (and burst) a pod takes from Redis ahead of need, as a lease. */
export const LEASE_FRACTION = 0.05;
/** A lease not used up within this time is dropped, so a pod never sits on stale allowance. */
export const LEASE_TTL_MS = 1000;

/**
 * Who a rate limit applies to: the API key (by its id, never the secret), the JWT subject, or,
 * for anonymous development traffic, the client address.
 */
export function identityOf(principal: Principal, address: string | undefined): string {
  if (principal.keyId !== undefined) return `key:${principal.keyId}`;
  if (principal.kind === 'jwt') return `sub:${principal.userId}`;
  return `ip:${address ?? 'unknown'}`;
}

interface Demand {
  cost: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Allowance this pod already took from Redis for one credential. */
interface Lease {
  tokens: number;
  expiresAt: number;
}

interface Pending {
  identity: string;
  gcra: Gcra;
  demands: Demand[];
}

/**
 * Per-credential ingest rate limits (docs/ingest.md#rate-limits), shared by every ingest pod
 * through Redis. GCRA (gcra.ts) keeps one number per credential in Redis. A pod takes a lease
 * of {@link LEASE_FRACTION} of the rate on top of what a request needs, so most requests are
 * decided from that lease without a round trip; the requests that do need Redis in one
 * event-loop turn share one script call (shared-limits.ts). Leases are taken out of the shared
 * bucket, so pods together never admit more than the limit; a pod may drop an unused lease
 * (at most 5 % of a second's worth per credential and second).
 *
 * Redis unreachable: each pod limits on its own with the same rule (fail open, locally), logs
 * it once and sets `auren_ingest_rate_limit_local_only`; the shared limit returns with Redis.
 * Without any Redis URL (memory backend, all-in-one) the limit is per process by design.
 *
 * `take` is synchronous (`undefined`) when the lease covers the request or limits are off; it
 * throws {@link RateLimitedError} or returns a promise that rejects with it.
 */
@Injectable()
export class RateLimiter implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('RateLimit');
  private readonly config: RateLimitConfig;
  private readonly defaultGcra: Gcra | null;
  private readonly overrides = new Map<string, Gcra | null>();
  private readonly shared?: SharedLimits;
  private readonly leases = new Map<string, Lease>();
  /** Per-pod GCRA state, used when Redis cannot be (TAT in µs of `performance.now()`). */
  private readonly local = new Map<string, number>();
  private group: Map<string, Pending> | null = null;
  private localOnly = false;
  /**
   * Redis keys are `{<AUREN_STREAM_KEY>:ratelimit}:<credential>`: one hash tag for all, so that
   * the credentials of one script call share a slot on Redis Cluster (a slot of their own, not
   * the stream's).
   */
  private readonly keyPrefix: string;
  private readonly sweeper: NodeJS.Timeout;
  private readonly limitedEvents: Counter;
  private readonly roundTrips: Counter<'outcome'>;
  private readonly localOnlyGauge: Gauge;

  constructor(@Inject(AUREN_CONFIG) config: AurenConfig, registry: Registry) {
    this.config = config.rateLimit;
    this.keyPrefix = `{${config.stream.key}:ratelimit}:`;
    this.defaultGcra = this.config.default ? gcraOf(this.config.default) : null;
    for (const [identity, rule] of this.config.overrides)
      this.overrides.set(identity, rule ? gcraOf(rule) : null);
    if (this.enabled && this.config.redisUrl)
      this.shared = new SharedLimits(this.config.redis ?? this.config.redisUrl);
    this.limitedEvents = new Counter({
      name: 'auren_ingest_rate_limited_events_total',
      help: 'Events refused with 429 / RESOURCE_EXHAUSTED because their credential was over its rate limit',
      registers: [registry],
    });
    this.roundTrips = new Counter({
      name: 'auren_ingest_rate_limit_redis_calls_total',
      help: 'Rate-limit script calls to Redis (one per event-loop turn that needed one), by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.localOnlyGauge = new Gauge({
      name: 'auren_ingest_rate_limit_local_only',
      help: '1 while this pod limits on its own because the rate-limit Redis does not answer',
      registers: [registry],
    });
    this.sweeper = setInterval(() => this.sweep(), 10_000).unref();
  }

  get enabled(): boolean {
    return this.defaultGcra !== null || [...this.overrides.values()].some((g) => g !== null);
  }

  /** What start-up logs: the limits and where they are kept. */
  describe(): string {
    if (!this.enabled) return 'ingest rate limits are off (AUREN_RATE_LIMIT_EVENTS_PER_SECOND=0)';
    const rule = this.config.default;
    const base = rule
      ? `${rule.eventsPerSecond} events/s, burst ${rule.burst}, per credential`
      : 'no default limit';
    const overrides = this.overrides.size > 0 ? ` (${this.overrides.size} per-key overrides)` : '';
    const where = this.shared
      ? `shared through Redis at ${redactUrl(this.config.redisUrl)}`
      : 'per process (no Redis configured)';
    return `ingest rate limits: ${base}${overrides}, ${where}`;
  }

  take(principal: Principal, address: string | undefined, cost: number): Promise<void> | undefined {
    if (this.defaultGcra === null && this.overrides.size === 0) return undefined;
    const identity = identityOf(principal, address);
    const override = this.overrides.get(identity);
    const gcra = override === undefined ? this.defaultGcra : override;
    if (gcra === null) return undefined;
    const lease = this.leases.get(identity);
    if (lease !== undefined && lease.tokens >= cost && lease.expiresAt > performance.now()) {
      lease.tokens -= cost;
      return undefined;
    }
    if (!this.shared || !this.shared.ready) {
      if (this.shared) this.enterLocalOnly('not connected');
      this.decideLocally(identity, gcra, cost);
      return undefined;
    }
    return new Promise<void>((resolve, reject) => {
      let group = this.group;
      if (group === null) {
        group = this.group = new Map();
        setImmediate(this.flush, group);
      }
      let pending = group.get(identity);
      if (pending === undefined) group.set(identity, (pending = { identity, gcra, demands: [] }));
      pending.demands.push({ cost, resolve, reject });
    });
  }

  private readonly flush = (group: Map<string, Pending>): void => {
    if (this.group === group) this.group = null;
    const pendings = [...group.values()];
    const requests = pendings.map(({ identity, gcra, demands }) => {
      const need = demands.reduce((sum, d) => sum + d.cost, 0) - this.tokens(identity);
      const lease = Math.max(
        Math.floor(LEASE_FRACTION * Math.min(gcra.rule.eventsPerSecond, gcra.rule.burst)),
        1,
      );
      return {
        key: `${this.keyPrefix}${identity}`,
        intervalUs: gcra.intervalUs,
        toleranceUs: gcra.toleranceUs,
        want: Math.max(need, 0) + lease,
      };
    });
    (this.shared as SharedLimits).grant(requests).then(
      (grants) => {
        this.roundTrips.inc({ outcome: 'ok' });
        if (this.localOnly) {
          this.localOnly = false;
          this.localOnlyGauge.set(0);
          this.logger.log('rate-limit Redis answers again: limits are shared by all pods again');
        }
        pendings.forEach((pending, i) => this.serve(pending, grants[i]));
      },
      (error: Error) => {
        this.roundTrips.inc({ outcome: 'error' });
        this.enterLocalOnly(error.message);
        for (const { identity, gcra, demands } of pendings) {
          for (const demand of demands) {
            try {
              if (!this.fromLease(identity, demand.cost))
                this.decideLocally(identity, gcra, demand.cost);
              demand.resolve();
            } catch (refusal) {
              demand.reject(refusal as Error);
            }
          }
        }
      },
    );
  };

  /** Adds a grant to the credential's lease and answers its waiting requests from it. */
  private serve(
    { identity, gcra, demands }: Pending,
    grant: { granted: number; backlogUs: number },
  ) {
    const lease = this.lease(identity);
    lease.tokens += grant.granted;
    lease.expiresAt = performance.now() + LEASE_TTL_MS;
    for (const demand of demands) {
      if (lease.tokens >= demand.cost) {
        lease.tokens -= demand.cost;
        demand.resolve();
        continue;
      }
      // Redis's TAT is `backlogUs` ahead; the request also needs what the lease lacks.
      const missing = demand.cost - lease.tokens;
      const wait = Math.max(grant.backlogUs + missing * gcra.intervalUs - gcra.toleranceUs, 0);
      const remaining =
        lease.tokens +
        Math.max(Math.floor((gcra.toleranceUs - grant.backlogUs) / gcra.intervalUs), 0);
      demand.reject(
        this.refuse(identity, gcra, Math.max(Math.ceil(wait / 1e6), 1), remaining, demand.cost),
      );
    }
  }

  /** Per-pod decision (no Redis, or Redis unreachable): throws when over the limit. */
  private decideLocally(identity: string, gcra: Gcra, cost: number): void {
    const nowUs = performance.now() * 1000;
    const tat = this.local.get(identity) ?? 0;
    const taken = take(gcra, tat, nowUs, cost, false);
    if (taken.granted === cost) {
      this.local.set(identity, taken.tatUs);
      return;
    }
    throw this.refuse(
      identity,
      gcra,
      retryAfterSeconds(gcra, tat, nowUs, cost),
      room(gcra, tat, nowUs),
      cost,
    );
  }

  private fromLease(identity: string, cost: number): boolean {
    const lease = this.leases.get(identity);
    if (lease === undefined || lease.tokens < cost || lease.expiresAt <= performance.now())
      return false;
    lease.tokens -= cost;
    return true;
  }

  private refuse(
    identity: string,
    gcra: Gcra,
    retryAfter: number,
    remaining: number,
    cost: number,
  ): RateLimitedError {
    this.limitedEvents.inc(cost);
    return new RateLimitedError(identity, gcra, retryAfter, remaining);
  }

  private enterLocalOnly(why: string): void {
    if (this.localOnly) return;
    this.localOnly = true;
    this.localOnlyGauge.set(1);
    this.logger.warn(
      `rate-limit Redis unreachable (${why}): each pod now limits on its own with the same rule until it answers`,
    );
  }

  private tokens(identity: string): number {
    const lease = this.leases.get(identity);
    return lease !== undefined && lease.expiresAt > performance.now() ? lease.tokens : 0;
  }

  private lease(identity: string): Lease {
    let lease = this.leases.get(identity);
    if (lease === undefined || lease.expiresAt <= performance.now()) {
      lease = { tokens: 0, expiresAt: 0 };
      this.leases.set(identity, lease);
    }
    return lease;
  }

  /** Forgets expired leases and local state that has fully refilled. */
  private sweep(): void {
    const now = performance.now();
    for (const [identity, lease] of this.leases)
      if (lease.expiresAt <= now) this.leases.delete(identity);
    for (const [identity, tat] of this.local) if (tat <= now * 1000) this.local.delete(identity);
  }

  onModuleInit(): void {
    this.logger.log(this.describe());
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
    this.shared?.close();
  }
}
