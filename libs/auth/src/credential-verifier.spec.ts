import { createHmac } from 'node:crypto';
import type { ApiKey, AurenConfig } from '@auren/config';
import { signHs, signWithKey, testKey, type TestKey } from '../../../test/harness/jwt';
import { CredentialVerifier } from './credential-verifier';
import { AuthFailure, type AuthFailureCode, type AuthResult, type Principal } from './principal';

const SECRET = 'unit-test-secret-of-at-least-32-characters';
const BOUND_KEY = 'key-bound-0123456789abcdef';
const SERVICE_KEY = 'key-service-0123456789abcdef';
const API_KEYS: ApiKey[] = [{ key: BOUND_KEY, userId: 'alice' }, { key: SERVICE_KEY }];

function verifier(
  options: {
    production?: boolean;
    jwtSecret?: string;
    jwtPublicKey?: string;
    jwtPublicAlgorithm?: 'RS256' | 'ES256';
    apiKeys?: ApiKey[];
    issuer?: string[];
    audience?: string[];
  } = {},
): CredentialVerifier {
  const config: Pick<AurenConfig, 'production' | 'auth'> = {
    production: options.production ?? false,
    auth: {
      jwtSecret: 'jwtSecret' in options ? options.jwtSecret : SECRET,
      jwtPublicKey: options.jwtPublicKey,
      jwtPublicAlgorithm: options.jwtPublicAlgorithm ?? 'RS256',
      apiKeys: options.apiKeys ?? API_KEYS,
      jwtIssuer: options.issuer ?? [],
      jwtAudience: options.audience ?? [],
      jwtClockToleranceSeconds: 30,
    },
  };
  return new CredentialVerifier(config);
}

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

function hsToken(claims: Record<string, unknown>, secret = SECRET): string {
  return signHs(claims, secret, { exp: null });
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Every case here needs no key fetch, so the verifier must answer synchronously (hot path). */
function sync(result: AuthResult | Promise<AuthResult>): AuthResult {
  if (result instanceof Promise) throw new Error('expected a synchronous answer, got a promise');
  return result;
}

function principal(answer: AuthResult | Promise<AuthResult>): Principal {
  const result = sync(answer);
  if (result instanceof AuthFailure)
    throw new Error(`expected a principal, got ${result.code}: ${result.message}`);
  return result;
}

function failure(answer: AuthResult | Promise<AuthResult>): AuthFailureCode {
  const result = sync(answer);
  if (!(result instanceof AuthFailure))
    throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
  return result.code;
}

describe(CredentialVerifier.name, () => {
  describe('verifyIngest', () => {
    it('lets a missing credential through as anonymous in development', () => {
      const sut = verifier();

      expect(principal(sut.verifyIngest(undefined))).toMatchObject({
        userId: 'anonymous',
        kind: 'anonymous',
        boundToUser: false,
      });
      expect(principal(sut.verifyIngest(''))).toMatchObject({ kind: 'anonymous' });
    });

    it('requires a credential in production', () => {
      const sut = verifier({ production: true });

      expect(failure(sut.verifyIngest(undefined))).toBe('AUTH_REQUIRED');
    });

    it('accepts test keys in development as test_user, not bound to it', () => {
      const sut = verifier();

      expect(principal(sut.verifyIngest('Bearer test-key-123'))).toMatchObject({
        userId: 'test_user',
        kind: 'test',
        boundToUser: false,
      });
    });

    it('refuses test keys in production', () => {
      const sut = verifier({ production: true });

      expect(failure(sut.verifyIngest('Bearer test-key-123'))).toBe('AUTH_FAILED');
    });

    it('binds events to the user of a user-bound API key, in development and production', () => {
      for (const production of [false, true]) {
        const sut = verifier({ production });

        expect(principal(sut.verifyIngest(`Bearer ${BOUND_KEY}`))).toMatchObject({
          userId: 'alice',
          kind: 'api_key',
          boundToUser: true,
          seesAllUsers: false,
        });
      }
    });

    it('does not bind the events of a service API key', () => {
      const sut = verifier({ production: true });

      expect(principal(sut.verifyIngest(`Bearer ${SERVICE_KEY}`))).toMatchObject({
        kind: 'api_key',
        boundToUser: false,
      });
    });

    it('accepts the bearer scheme in any case', () => {
      expect(principal(verifier().verifyIngest(`bearer ${BOUND_KEY}`)).userId).toBe('alice');
    });

    it.each([['Basic dXNlcjpwYXNz'], ['Bearer'], ['Bearer '], [BOUND_KEY], ['Bearer two tokens']])(
      'refuses the malformed header %p',
      (header) => {
        expect(failure(verifier().verifyIngest(header))).toBe('AUTH_FAILED');
      },
    );

    it('refuses an unknown key that is not a JWT', () => {
      expect(
        failure(verifier({ production: true }).verifyIngest('Bearer not-a-known-key-at-all')),
      ).toBe('AUTH_FAILED');
    });

    it('binds the events of a JWT to its subject', () => {
      const sut = verifier({ production: true });

      expect(
        principal(sut.verifyIngest(`Bearer ${hsToken({ sub: 'carol', exp: inAnHour() })}`)),
      ).toMatchObject({
        userId: 'carol',
        kind: 'jwt',
        boundToUser: true,
      });
    });
  });

  describe('verifyHandshake', () => {
    it.each([[undefined], [null], ['']])('requires a token (%p)', (token) => {
      expect(failure(verifier().verifyHandshake(token))).toBe('AUTH_REQUIRED');
    });

    it('refuses a token that is not a string', () => {
      expect(failure(verifier().verifyHandshake(12345))).toBe('AUTH_FAILED');
    });

    it('accepts a JWT signed with the secret', () => {
      const sut = verifier();

      expect(principal(sut.verifyHandshake(hsToken({ sub: 'alice', exp: inAnHour() })))).toEqual({
        userId: 'alice',
        kind: 'jwt',
        boundToUser: true,
        seesAllUsers: false,
        allowedAgents: null,
      });
    });

    it('reads the user from user_id when there is no sub', () => {
      expect(
        principal(verifier().verifyHandshake(hsToken({ user_id: 'dave', exp: inAnHour() }))).userId,
      ).toBe('dave');
    });

    it('refuses a token without sub or user_id', () => {
      expect(failure(verifier().verifyHandshake(hsToken({ exp: inAnHour() })))).toBe('AUTH_FAILED');
    });

    it('refuses a token signed with another secret', () => {
      const token = hsToken(
        { sub: 'alice', exp: inAnHour() },
        'another-secret-of-at-least-32-characters!',
      );

      expect(failure(verifier().verifyHandshake(token))).toBe('AUTH_FAILED');
    });

    it('refuses a token whose payload was changed after signing', () => {
      const [header, , signature] = hsToken({ sub: 'alice', exp: inAnHour() }).split('.');
      const forged = `${header}.${base64url({ sub: 'admin', exp: inAnHour(), permissions: ['all'] })}.${signature}`;

      expect(failure(verifier().verifyHandshake(forged))).toBe('AUTH_FAILED');
    });

    it('refuses an unsigned alg:none token', () => {
      const token = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: 'admin', permissions: ['all'], exp: inAnHour() })}.`;

      expect(failure(verifier().verifyHandshake(token))).toBe('AUTH_FAILED');
    });

    it('answers TOKEN_EXPIRED for an expired token', () => {
      const token = hsToken({ sub: 'alice', exp: Math.floor(Date.now() / 1000) - 60 });

      expect(failure(verifier().verifyHandshake(token))).toBe('TOKEN_EXPIRED');
    });

    it('refuses a token without exp in production, and accepts it in development', () => {
      const token = hsToken({ sub: 'alice' });

      expect(failure(verifier({ production: true }).verifyHandshake(token))).toBe('AUTH_FAILED');
      expect(principal(verifier().verifyHandshake(token)).userId).toBe('alice');
    });

    it('accepts test tokens as test_user with the all permission in development only', () => {
      expect(principal(verifier().verifyHandshake('test-token-123'))).toMatchObject({
        userId: 'test_user',
        seesAllUsers: true,
        allowedAgents: null,
      });
      expect(failure(verifier({ production: true }).verifyHandshake('test-token-123'))).toBe(
        'AUTH_FAILED',
      );
    });

    it('gives the all permission to permissions ["all"]', () => {
      const result = principal(
        verifier().verifyHandshake(
          hsToken({ sub: 'alice', permissions: ['all'], exp: inAnHour() }),
        ),
      );

      expect(result.seesAllUsers).toBe(true);
      expect(result.allowedAgents).toBeNull();
    });

    it('restricts agents to a permissions list of agent ids', () => {
      const result = principal(
        verifier().verifyHandshake(
          hsToken({ sub: 'alice', permissions: ['a', 'b'], exp: inAnHour() }),
        ),
      );

      expect(result.seesAllUsers).toBe(false);
      expect(result.allowedAgents).toEqual(['a', 'b']);
    });

    it('refuses an over-long token', () => {
      expect(
        failure(verifier().verifyHandshake(hsToken({ sub: 'alice', pad: 'x'.repeat(9000) }))),
      ).toBe('AUTH_FAILED');
    });

    describe('with a public key', () => {
      let keys: TestKey;
      let otherKeys: TestKey;

      beforeAll(() => {
        keys = testKey('k1');
        otherKeys = testKey('k2');
      });

      const rsToken = (key: TestKey) =>
        signWithKey({ sub: 'erin', exp: inAnHour() }, key, { kid: undefined });

      it('accepts an RS256 token when the public key is configured', () => {
        const sut = verifier({
          production: true,
          jwtSecret: undefined,
          jwtPublicKey: keys.publicPem,
        });

        expect(principal(sut.verifyHandshake(rsToken(keys))).userId).toBe('erin');
      });

      it('refuses an RS256 token signed by another key', () => {
        const sut = verifier({
          production: true,
          jwtSecret: undefined,
          jwtPublicKey: keys.publicPem,
        });

        expect(failure(sut.verifyHandshake(rsToken(otherKeys)))).toBe('AUTH_FAILED');
      });

      it('refuses an RS256 token when only an HS secret is configured', () => {
        expect(failure(verifier().verifyHandshake(rsToken(keys)))).toBe('AUTH_FAILED');
      });

      it('refuses an HS256 token signed with the public key (algorithm confusion)', () => {
        const sut = verifier({
          production: true,
          jwtSecret: undefined,
          jwtPublicKey: keys.publicPem,
        });
        const header = base64url({ alg: 'HS256', typ: 'JWT' });
        const payload = base64url({ sub: 'admin', permissions: ['all'], exp: inAnHour() });
        const signature = createHmac('sha256', keys.publicPem)
          .update(`${header}.${payload}`)
          .digest('base64url');

        expect(failure(sut.verifyHandshake(`${header}.${payload}.${signature}`))).toBe(
          'AUTH_FAILED',
        );
      });
    });
  });

  describe('issuer, audience and clock', () => {
    const ISS = 'https://idp.example.com/';
    const strict = () => verifier({ issuer: [ISS], audience: ['auren', 'other-api'] });
    const now = () => Math.floor(Date.now() / 1000);

    it('accepts a token with an accepted iss and one accepted aud', () => {
      const token = signHs({ sub: 'alice' }, SECRET, { issuer: ISS, audience: 'other-api' });

      expect(principal(strict().verifyHandshake(token)).userId).toBe('alice');
    });

    it.each([
      ['a wrong iss', { issuer: 'https://evil.example.com/', audience: 'auren' }, /iss/],
      ['no iss', { audience: 'auren' }, /iss/],
      ['a wrong aud', { issuer: ISS, audience: 'someone-else' }, /aud/],
      ['no aud', { issuer: ISS }, /aud/],
    ])('refuses %s, naming the claim', (_name, options, claim) => {
      const result = strict().verifyHandshake(signHs({ sub: 'alice' }, SECRET, options));

      expect(failure(result)).toBe('AUTH_FAILED');
      expect((sync(result) as AuthFailure).message).toMatch(claim);
    });

    it('accepts exp and iat within the 30 s tolerance, refuses them beyond it', () => {
      const sut = verifier();
      const token = (iat: number, exp: number) => signHs({ sub: 'alice' }, SECRET, { iat, exp });

      expect(principal(sut.verifyHandshake(token(now() - 600, now() - 20))).userId).toBe('alice');
      expect(failure(sut.verifyHandshake(token(now() - 600, now() - 45)))).toBe('TOKEN_EXPIRED');
      expect(principal(sut.verifyHandshake(token(now() + 20, now() + 600))).userId).toBe('alice');
      expect(failure(sut.verifyHandshake(token(now() + 120, now() + 600)))).toBe('AUTH_FAILED');
    });
  });

  describe('with a JWKS', () => {
    let k1: TestKey;
    let ec: TestKey;
    let unknown: TestKey;
    const lookups: string[] = [];
    const keyOf = (key: TestKey) => ({
      kid: key.kid,
      key: key.publicKey,
      algorithms: [key.algorithm],
    });
    const withJwks = (answer: 'sync' | 'async') =>
      new CredentialVerifier(
        {
          production: true,
          auth: {
            apiKeys: [],
            jwtPublicAlgorithm: 'RS256',
            jwtIssuer: [],
            jwtAudience: [],
            jwtClockToleranceSeconds: 30,
          },
        },
        {
          key: (kid) => {
            lookups.push(kid);
            const found = [k1, ec].find((k) => k.kid === kid);
            const entry = found ? keyOf(found) : undefined;
            return answer === 'sync' ? entry : Promise.resolve(entry);
          },
        },
      );

    beforeAll(() => {
      k1 = testKey('rsa-1');
      ec = testKey('ec-1', 'ES256');
      unknown = testKey('rsa-unknown');
    });

    it('verifies RS256 and ES256 tokens with the key their kid names, synchronously when cached', () => {
      const sut = withJwks('sync');

      expect(principal(sut.verifyHandshake(signWithKey({ sub: 'erin' }, k1))).userId).toBe('erin');
      expect(principal(sut.verifyIngest(`Bearer ${signWithKey({ sub: 'ed' }, ec)}`)).userId).toBe(
        'ed',
      );
      expect(lookups.slice(-2)).toEqual(['rsa-1', 'ec-1']);
    });

    it('answers with a promise when the key has to be fetched', async () => {
      const result = withJwks('async').verifyHandshake(signWithKey({ sub: 'erin' }, k1));

      expect(result).toBeInstanceOf(Promise);
      expect(await result).toMatchObject({ userId: 'erin', kind: 'jwt' });
    });

    it('refuses an unknown kid, a missing kid, another key under a known kid and a wrong alg', async () => {
      const sut = withJwks('async');
      const message = async (token: string) => {
        const result = await sut.verifyHandshake(token);
        return result instanceof AuthFailure ? result.message : 'accepted';
      };

      expect(await message(signWithKey({ sub: 'x' }, unknown))).toMatch(/kid "rsa-unknown"/);
      expect(await message(signWithKey({ sub: 'x' }, k1, { kid: undefined }))).toMatch(/no kid/);
      expect(await message(signWithKey({ sub: 'x' }, unknown, { kid: 'rsa-1' }))).toMatch(
        /signature is invalid/,
      );
      expect(await message(signWithKey({ sub: 'x' }, { ...ec, kid: 'rsa-1' }))).toMatch(
        /alg ES256 does not fit/,
      );
    });

    it('refuses HS256 when no secret is configured (only the JWKS keys are accepted)', () => {
      const token = signHs({ sub: 'admin' }, SECRET, { kid: 'rsa-1' });

      expect(failure(withJwks('sync').verifyHandshake(token))).toBe('AUTH_FAILED');
    });
  });
});
