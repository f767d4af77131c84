export interface BackoffPolicy {
  /** Delay before the first retry, before jitter. */
  baseMs: number;
  /** Upper bound of any delay, Retry-After included. */
  maxMs: number;
}

/**
 * Capped exponential backoff with "full jitter": a random delay in [0, min(max, base·2^(n-1))].
 * `attempt` is 1 for the first retry. Full jitter spreads many clients that failed together.
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  return Math.round(ceiling * random());
}

/**
 * Retry-After in ms: delta-seconds (`"2"`) or an HTTP date; undefined when absent or unreadable.
 * A date in the past gives 0.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // An HTTP date names its day and month; anything else ("-1", "soon") is not one.
  if (!/^[A-Za-z]{3}, /.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * The wait before retry `attempt`: the server's Retry-After when it sent one (capped at
 * `maxMs`), otherwise the jittered backoff.
 */
export function retryDelay(
  attempt: number,
  policy: BackoffPolicy,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxMs);
  return backoffDelay(attempt, policy, random);
}
