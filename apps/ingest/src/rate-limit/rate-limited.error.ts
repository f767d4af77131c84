import { ApiError } from '@auren/platform';
import type { Gcra } from './gcra';

/** The name of the one quota policy in the `RateLimit` and `RateLimit-Policy` headers. */
export const RATE_LIMIT_POLICY = 'events';

/**
 * 429: the credential is over its limit; nothing of the request was written. Carries
 * `Retry-After` and the IETF `RateLimit-Policy` / `RateLimit` fields
 * (draft-ietf-httpapi-ratelimit-headers-10, structured-field lists): the policy is the
 * credential's bucket, `q` events (its burst) refilled over `w` seconds; `r` is what is left of
 * it now and `t` when the request would fit.
 */
export class RateLimitedError extends ApiError {
  constructor(
    readonly identity: string,
    readonly gcra: Gcra,
    readonly retryAfterSeconds: number,
    remaining: number,
  ) {
    const { eventsPerSecond, burst } = gcra.rule;
    super(
      429,
      `rate limit of ${identity} exceeded (${eventsPerSecond} events/s, burst ${burst}); nothing was accepted, retry after ${retryAfterSeconds} s`,
      'rate_limited',
      undefined,
      {
        'Retry-After': String(retryAfterSeconds),
        'RateLimit-Policy': `"${RATE_LIMIT_POLICY}";q=${burst};w=${Math.max(Math.ceil(burst / eventsPerSecond), 1)}`,
        RateLimit: `"${RATE_LIMIT_POLICY}";r=${Math.max(Math.floor(remaining), 0)};t=${retryAfterSeconds}`,
      },
    );
  }
}
