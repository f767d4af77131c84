import { classifyConfig, classifyInfo, judgeDurability, RedisDurability } from './redis-durability';

describe('Redis durability classification', () => {
  it.each([
    [{ appendonly: 'yes', appendfsync: 'always', save: '' }, 'aof-always', false],
    [{ appendonly: 'yes', appendfsync: 'everysec', save: '3600 1' }, 'aof-everysec', false],
    [{ appendonly: 'yes', appendfsync: 'no', save: '' }, 'aof-no', false],
    [{ appendonly: 'yes' }, 'aof', false],
    [{ appendonly: 'no', appendfsync: 'always', save: '3600 1 300 100' }, 'rdb-only', true],
    [{ appendonly: 'no', appendfsync: 'everysec', save: '' }, 'none', true],
  ])('CONFIG %j is %s (volatile: %s)', (settings, mode, volatile) => {
    const result = classifyConfig(settings);

    expect(result.mode).toBe(mode);
    expect(result.volatile).toBe(volatile);
  });

  it('reads aof_enabled from INFO persistence when CONFIG is refused', () => {
    expect(classifyInfo('# Persistence\r\nloading:0\r\naof_enabled:1\r\n')?.mode).toBe('aof');
    expect(classifyInfo('# Persistence\r\naof_enabled:0\r\n')).toMatchObject({
      mode: 'no-aof',
      volatile: true,
    });
    expect(classifyInfo('# Persistence\r\nloading:0\r\n')).toBeUndefined();
  });
});

describe('What ingest does with the classification', () => {
  const none = classifyConfig({ appendonly: 'no', save: '' });
  const always = classifyConfig({ appendonly: 'yes', appendfsync: 'always' });
  const unknown: RedisDurability = {
    mode: 'unknown',
    volatile: false,
    summary: 'could not inspect',
  };
  const production = { production: true, allowVolatile: false, minReplicas: 0 };

  it('production refuses a volatile Redis unless accepted explicitly', () => {
    expect(judgeDurability(none, production).refuse).toBe(true);
    const accepted = judgeDurability(none, { ...production, allowVolatile: true });
    expect(accepted).toMatchObject({ refuse: false, level: 'warn' });
    expect(accepted.message).toContain('AUREN_REDIS_ALLOW_VOLATILE=true');
  });

  it('development warns about a volatile Redis and starts', () => {
    const verdict = judgeDurability(none, { ...production, production: false });
    expect(verdict).toMatchObject({ refuse: false, level: 'warn' });
    expect(verdict.message).toContain('Production mode would refuse');
  });

  it('a durable Redis is one plain log line; an unknown one a warning, never a refusal', () => {
    expect(judgeDurability(always, production)).toMatchObject({ refuse: false, level: 'log' });
    expect(judgeDurability(unknown, production)).toMatchObject({ refuse: false, level: 'warn' });
  });

  it('names the replicas writes wait for', () => {
    const verdict = judgeDurability(
      { ...always, connectedReplicas: 1 },
      { ...production, minReplicas: 2 },
    );
    expect(verdict.message).toContain('2 replica(s) (AUREN_REDIS_MIN_REPLICAS), 1 connected now');
  });
});
