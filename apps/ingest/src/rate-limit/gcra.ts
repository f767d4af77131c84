import type { RateLimitRule } from '@auren/config';

/**
 * The generic cell rate algorithm (GCRA), in microseconds. A credential's whole state is one
 * number, its theoretical arrival time (TAT): when its bucket would be empty again if it sent
 * nothing more. `n` events fit at `now` when `max(TAT, now) + n × interval − now ≤ tolerance`,
 * with `interval = 1 s / rate` and `tolerance = burst × interval`: a credential that has been
 * quiet sends `burst` events at once, then `rate` a second. The Lua script in
 * shared-limits.ts does the same sums inside Redis; these are what the unit tests check and what
 * a pod uses on its own (no Redis configured, or Redis unreachable).
 */
export interface Gcra {
  intervalUs: number;
  toleranceUs: number;
  rule: RateLimitRule;
}

export function gcraOf(rule: RateLimitRule): Gcra {
  const intervalUs = 1e6 / rule.eventsPerSecond;
  return { intervalUs, toleranceUs: rule.burst * intervalUs, rule };
}

// Sums of many intervals are not exact in floating point; a hair of slack keeps "exactly full" in.
const EPSILON = 1e-6;

/** Events that fit now (0 when none does). */
export function room(gcra: Gcra, tatUs: number, nowUs: number): number {
  const backlog = Math.max(tatUs - nowUs, 0);
  return Math.max(Math.floor((gcra.toleranceUs - backlog) / gcra.intervalUs + EPSILON), 0);
}

/** Microseconds until `count` events fit (0: they fit now). */
export function waitUs(gcra: Gcra, tatUs: number, nowUs: number, count: number): number {
  const backlog = Math.max(tatUs - nowUs, 0);
  return Math.max(backlog + count * gcra.intervalUs - gcra.toleranceUs, 0);
}

/**
 * Takes up to `want` events: as many as fit (`partial`), or `want` or nothing. Returns how many
 * were taken and the new TAT.
 */
export function take(
  gcra: Gcra,
  tatUs: number,
  nowUs: number,
  want: number,
  partial: boolean,
): { granted: number; tatUs: number } {
  const fits = room(gcra, tatUs, nowUs);
  const granted = partial ? Math.min(want, fits) : want <= fits ? want : 0;
  if (granted === 0) return { granted, tatUs };
  return { granted, tatUs: Math.max(tatUs, nowUs) + granted * gcra.intervalUs };
}

/** Whole seconds a client waits before `count` events fit (at least 1: `Retry-After` of a 429). */
export function retryAfterSeconds(gcra: Gcra, tatUs: number, nowUs: number, count: number): number {
  return Math.max(Math.ceil(waitUs(gcra, tatUs, nowUs, count) / 1e6), 1);
}
