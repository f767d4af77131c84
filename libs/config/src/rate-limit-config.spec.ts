import { ConfigError, loadConfig } from './config';

describe('rate limit configuration', () => {
  const load = (env: Record<string, string>) => loadConfig(env);
  const problems = (env: Record<string, string>): string[] => {
    try {
      load(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };

  it('defaults to 1,000 events/s with a burst of 20,000 per credential', () => {
    const sut = load({}).rateLimit;
    expect(sut.default).toEqual({ eventsPerSecond: 1000, burst: 20_000 });
    expect(sut.overrides.size).toBe(0);
    expect(sut.redisUrl).toBeUndefined();
  });

  it('turns limits off with a rate of 0', () => {
    expect(load({ AUREN_RATE_LIMIT_EVENTS_PER_SECOND: '0' }).rateLimit.default).toBeNull();
  });

  it('shares limits through REDIS_URL, or its own AUREN_RATE_LIMIT_REDIS_URL', () => {
    expect(load({ REDIS_URL: 'redis://a:1' }).rateLimit.redisUrl).toBe('redis://a:1');
    expect(
      load({ REDIS_URL: 'redis://a:1', AUREN_RATE_LIMIT_REDIS_URL: 'redis://b:2' }).rateLimit
        .redisUrl,
    ).toBe('redis://b:2');
  });

  it('reads per-credential overrides, with the default burst when none is given', () => {
    const sut = load({
      AUREN_RATE_LIMIT_KEYS: 'key:3f9a0c1b2d4e=200:4000, sub:alice=50, ip:10.0.0.7=0,ip:::1=2.5',
    }).rateLimit;
    expect(sut.overrides.get('key:3f9a0c1b2d4e')).toEqual({ eventsPerSecond: 200, burst: 4000 });
    expect(sut.overrides.get('sub:alice')).toEqual({ eventsPerSecond: 50, burst: 20_000 });
    expect(sut.overrides.get('ip:10.0.0.7')).toBeNull();
    expect(sut.overrides.get('ip:::1')).toEqual({ eventsPerSecond: 2.5, burst: 20_000 });
  });

  it('refuses bad entries, naming the entry and the accepted form', () => {
    const found = problems({
      AUREN_RATE_LIMIT_KEYS: 'alice=5,key:x=fast,sub:y=5:0,sub:z=5:10,key:x2=1,key:x2=2',
    });
    expect(found).toEqual([
      expect.stringMatching(
        /^AUREN_RATE_LIMIT_KEYS: "alice=5" does not name a credential; each entry is <credential>=<events per second>\[:<burst>\], the credential being key:<key id>, sub:<JWT subject> or ip:<address>$/,
      ),
      expect.stringContaining('"key:x=fast" has no valid rate'),
      expect.stringContaining('"sub:y=5:0" has a burst that is not a positive integer'),
      expect.stringContaining('"sub:z=5:10" has a burst that must be at least 1000'),
      expect.stringContaining('"key:x2=2" names a credential a second time'),
    ]);
  });

  it('refuses a burst smaller than the largest batch, and a negative or non-numeric rate', () => {
    expect(problems({ AUREN_RATE_LIMIT_BURST: '999' })).toEqual([
      'AUREN_RATE_LIMIT_BURST: must be at least 1000 (the largest batch), so that every valid batch can pass',
    ]);
    expect(problems({ AUREN_RATE_LIMIT_EVENTS_PER_SECOND: '-1' })[0]).toMatch(
      /^AUREN_RATE_LIMIT_EVENTS_PER_SECOND: /,
    );
    expect(problems({ AUREN_RATE_LIMIT_EVENTS_PER_SECOND: 'many' })).toEqual([
      'AUREN_RATE_LIMIT_EVENTS_PER_SECOND: must be a number of events per second (0 turns limits off)',
    ]);
  });
});
