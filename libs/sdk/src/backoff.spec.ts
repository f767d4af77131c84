import { backoffDelay, parseRetryAfter, retryDelay } from './backoff';

const policy = { baseMs: 100, maxMs: 2000 };

describe('backoffDelay', () => {
  it('doubles the ceiling per attempt and caps it at maxMs', () => {
    const top = () => 1;
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => backoffDelay(a, policy, top))).toEqual([
      100, 200, 400, 800, 1600, 2000, 2000,
    ]);
  });

  it('draws the delay uniformly below the ceiling (full jitter)', () => {
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(200);
    for (let i = 0; i < 200; i += 1) {
      const d = backoffDelay(4, policy);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(800);
    }
  });

  it('does not overflow on huge attempt numbers', () => {
    expect(backoffDelay(10_000, policy, () => 1)).toBe(2000);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(' 0 ')).toBe(0);
    expect(parseRetryAfter('1.5')).toBe(1500);
  });

  it('reads an HTTP date relative to now, never negative', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:03 GMT', now)).toBe(3000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
  });

  it('ignores absent or unreadable values', () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('-1')).toBeUndefined();
  });
});

describe('retryDelay', () => {
  it('uses the server Retry-After instead of the backoff', () => {
    expect(retryDelay(1, policy, 1500, () => 0)).toBe(1500);
    expect(retryDelay(6, policy, 0, () => 1)).toBe(0);
  });

  it('caps Retry-After at maxMs', () => {
    expect(retryDelay(1, policy, 60_000)).toBe(2000);
  });

  it('falls back to the backoff without Retry-After', () => {
    expect(retryDelay(2, policy, undefined, () => 1)).toBe(200);
  });
});
