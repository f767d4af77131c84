import { Registry } from 'prom-client';
import type { Principal } from '@auren/auth';
import { loadConfig } from '@auren/config';
import { identityOf, RateLimiter } from './rate-limiter';
import { RateLimitedError } from './rate-limited.error';

const principal = (over: Partial<Principal>): Principal => ({
  userId: 'someone',
  kind: 'api_key',
  boundToUser: false,
  seesAllUsers: true,
  allowedAgents: null,
  ...over,
});
const key = (keyId: string) => principal({ kind: 'api_key', keyId });

describe(RateLimiter.name, () => {
  const limiters: RateLimiter[] = [];
  // No REDIS_URL: the per-process limiter (the all-in-one's, and every pod's while Redis is away).
  const make = (env: Record<string, string>) => {
    const sut = new RateLimiter(loadConfig(env), new Registry());
    limiters.push(sut);
    return sut;
  };
  afterAll(() => limiters.forEach((l) => l.onModuleDestroy()));

  it('names credentials by key id, JWT subject, or the address of anonymous traffic', () => {
    expect(identityOf(key('3f9a0c1b2d4e'), '10.0.0.1')).toBe('key:3f9a0c1b2d4e');
    expect(identityOf(principal({ kind: 'jwt', userId: 'alice' }), '10.0.0.1')).toBe('sub:alice');
    expect(identityOf(principal({ kind: 'anonymous' }), '10.0.0.1')).toBe('ip:10.0.0.1');
    expect(identityOf(principal({ kind: 'anonymous' }), undefined)).toBe('ip:unknown');
  });

  it('decides synchronously and lets everything through when limits are off', () => {
    const sut = make({ AUREN_RATE_LIMIT_EVENTS_PER_SECOND: '0' });
    for (let i = 0; i < 100; i += 1) expect(sut.take(key('a'), undefined, 1000)).toBeUndefined();
    expect(sut.describe()).toMatch(/off/);
  });

  it('admits the burst, then refuses with Retry-After and the RateLimit fields', () => {
    const sut = make({ AUREN_RATE_LIMIT_EVENTS_PER_SECOND: '0.5', AUREN_RATE_LIMIT_BURST: '1000' });
    expect(sut.take(key('a'), undefined, 999)).toBeUndefined();
    expect(sut.take(key('a'), undefined, 1)).toBeUndefined();
    let refusal: unknown;
    try {
      void sut.take(key('a'), undefined, 3);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(RateLimitedError);
    const error = refusal as RateLimitedError;
    expect(error.getStatus()).toBe(429);
    expect(error.reason).toBe('rate_limited');
    // Three events at one every 2 s: about 6 s.
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(5);
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(6);
    expect(error.headers).toEqual({
      'Retry-After': String(error.retryAfterSeconds),
      'RateLimit-Policy': '"events";q=1000;w=2000',
      RateLimit: `"events";r=0;t=${error.retryAfterSeconds}`,
    });
    // Another credential has its own bucket.
    expect(sut.take(key('b'), undefined, 1000)).toBeUndefined();
  });

  it('applies per-credential overrides: another rule, or none', () => {
    const sut = make({
      AUREN_RATE_LIMIT_EVENTS_PER_SECOND: '0.5',
      AUREN_RATE_LIMIT_BURST: '1000',
      AUREN_RATE_LIMIT_KEYS: 'key:big=0.5:3000,sub:free=0',
    });
    for (let i = 0; i < 3; i += 1) expect(sut.take(key('big'), undefined, 1000)).toBeUndefined();
    expect(() => sut.take(key('big'), undefined, 1)).toThrow(RateLimitedError);
    const free = principal({ kind: 'jwt', userId: 'free' });
    for (let i = 0; i < 10; i += 1) expect(sut.take(free, undefined, 1000)).toBeUndefined();
    expect(sut.describe()).toBe(
      'ingest rate limits: 0.5 events/s, burst 1000, per credential (2 per-key overrides), per process (no Redis configured)',
    );
  });
});
