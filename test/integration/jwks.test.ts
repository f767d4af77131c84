import { Registry } from 'prom-client';
import { JwksKeyStore, type JwksKeyStoreOptions } from '@auren/auth';
import { JwksServer } from '../harness/jwks';
import { testKey, type TestKey } from '../harness/jwt';

/**
 * The JWKS key store (libs/auth/src/jwks-key-store.ts) against a real local HTTP JWKS server.
 * Time moves through the store's injected clock, never by sleeping.
 */
describe('JWKS key store', () => {
  let server: JwksServer;
  let rsa1: TestKey;
  let rsa2: TestKey;
  let ec1: TestKey;
  let clock: number;
  let registry: Registry;

  beforeAll(async () => {
    rsa1 = testKey('rsa-1');
    rsa2 = testKey('rsa-2');
    ec1 = testKey('ec-1', 'ES256');
    server = await JwksServer.start([rsa1, ec1]);
  });

  afterAll(() => server.close());

  beforeEach(() => {
    server.rotate([rsa1, ec1]);
    server.mode = 'serve';
    clock = 1_000_000;
    registry = new Registry();
  });

  const store = (options: Partial<JwksKeyStoreOptions> = {}) =>
    new JwksKeyStore({
      url: server.url,
      timeoutMs: 2000,
      cacheSeconds: 600,
      cooldownSeconds: 30,
      registry,
      now: () => clock,
      ...options,
    });

  const fetches = async (result: string) =>
    (await registry.getSingleMetric('auren_jwks_fetches_total')!.get()).values.find(
      (v) => v.labels.result === result,
    )?.value ?? 0;

  it('fetches the set on the first lookup, then answers known kids from the cache synchronously', async () => {
    const sut = store();
    const before = server.requests;

    const first = await sut.key('rsa-1');
    expect(first?.algorithms).toEqual(['RS256']);
    expect(first?.key.asymmetricKeyType).toBe('rsa');
    const cached = sut.key('ec-1');
    expect(cached).not.toBeInstanceOf(Promise);
    expect((cached as { algorithms: string[] }).algorithms).toEqual(['ES256']);

    expect(server.requests - before).toBe(1);
    expect(await fetches('ok')).toBe(1);
    expect((await registry.getSingleMetric('auren_jwks_keys')!.get()).values[0].value).toBe(2);
  });

  it('finds a rotated key after the cooldown, and drops the retired one', async () => {
    const sut = store();
    await sut.key('rsa-1');
    server.rotate([rsa2, ec1]);

    clock += 29_000;
    expect(await sut.key('rsa-2')).toBeUndefined(); // within the cooldown: refused from memory
    clock += 1_000;
    expect((await sut.key('rsa-2'))?.kid).toBe('rsa-2');
    expect(sut.key('rsa-1')).toBeUndefined();
    expect(sut.size).toBe(2);
  });

  it('refreshes an expired cache in the background while answering from it', async () => {
    const sut = store({ cacheSeconds: 60 });
    await sut.key('rsa-1');
    const before = server.requests;
    server.rotate([rsa2]);

    clock += 61_000;
    expect(sut.key('rsa-1')).not.toBeInstanceOf(Promise); // stale, still served
    await sut.refresh(); // the background refresh under way (single flight)
    expect(server.requests - before).toBe(1);
    expect(sut.key('rsa-2')).not.toBeInstanceOf(Promise);
  });

  it('answers a flood of 1,000 unknown kids with at most a handful of fetches a minute', async () => {
    const sut = store();
    await sut.key('rsa-1');
    const before = server.requests;

    // 1,000 tokens with made-up kids at once: they share one fetch.
    clock += 30_000;
    const burst = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => Promise.resolve(sut.key(`forged-${i}`))),
    );
    expect(burst.every((key) => key === undefined)).toBe(true);
    expect(server.requests - before).toBe(1);
    // Then 1,000 more over the following minute: one fetch per cooldown at most.
    for (let second = 1; second <= 60; second += 1) {
      clock += 1000;
      const wave = await Promise.all(
        Array.from({ length: 17 }, (_, i) => Promise.resolve(sut.key(`forged-${second}-${i}`))),
      );
      expect(wave.every((key) => key === undefined)).toBe(true);
    }
    expect(server.requests - before).toBeLessThanOrEqual(3);
    expect(sut.key('rsa-1')).not.toBeInstanceOf(Promise); // real tokens unaffected
  });

  it('keeps serving the cached keys while the identity provider is down, and counts the errors', async () => {
    const sut = store({ cacheSeconds: 60 });
    await sut.key('rsa-1');
    server.mode = 'down';

    clock += 61_000;
    expect(sut.key('rsa-1')).not.toBeInstanceOf(Promise);
    await sut.refresh();
    clock += 31_000;
    expect(await sut.key('rsa-2')).toBeUndefined();

    expect(await fetches('error')).toBe(2);
    expect((sut.key('rsa-1') as { kid: string }).kid).toBe('rsa-1');
    expect(sut.size).toBe(2);
    server.mode = 'serve';
    clock += 31_000;
    expect(await sut.key('ec-1')).toBeDefined();
  });

  it('gives up on a JWKS that does not answer within the timeout, and refuses a non-JWKS answer', async () => {
    const sut = store({ timeoutMs: 300 });
    server.mode = 'hang';

    expect(await sut.key('rsa-1')).toBeUndefined();
    expect(await fetches('timeout')).toBe(1);

    server.mode = 'garbage';
    clock += 30_000;
    expect(await sut.key('rsa-1')).toBeUndefined();
    expect(await fetches('invalid')).toBe(1);

    server.mode = 'serve';
    clock += 30_000;
    expect((await sut.key('rsa-1'))?.kid).toBe('rsa-1');
  });

  it('leaves out keys that cannot verify: private, encryption, symmetric, no kid, wrong alg', async () => {
    const { d: _d, ...publicJwk } = rsa1.privateKey.export({ format: 'jwk' });
    void _d;
    const odd = (kid: string, jwk: Record<string, unknown>) =>
      ({ ...rsa1, kid, jwk: { ...publicJwk, kid, ...jwk } }) as TestKey;
    server.rotate([
      { ...rsa1, kid: 'private', jwk: { ...rsa1.privateKey.export({ format: 'jwk' }), kid: 'p' } },
      odd('enc', { use: 'enc' }),
      odd('oct', { kty: 'oct', k: 'c2VjcmV0', n: undefined, e: undefined }),
      odd('wrong-alg', { alg: 'ES256' }),
      odd('hs', { alg: 'HS256' }),
      { ...rsa1, jwk: { ...rsa1.jwk, kid: undefined } },
      ec1,
    ]);
    const sut = store();

    expect((await sut.key('ec-1'))?.kid).toBe('ec-1');
    expect(sut.size).toBe(1);
  });
});
