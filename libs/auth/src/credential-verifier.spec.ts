import { createHmac, generateKeyPairSync } from 'node:crypto';
import * as jwt from 'jsonwebtoken';
import type { ApiKey, AurenConfig } from '@auren/config';
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
  } = {},
): CredentialVerifier {
  const config: Pick<AurenConfig, 'production' | 'auth'> = {
    production: options.production ?? false,
    auth: {
      jwtSecret: 'jwtSecret' in options ? options.jwtSecret : SECRET,
      jwtPublicKey: options.jwtPublicKey,
      jwtPublicAlgorithm: options.jwtPublicAlgorithm ?? 'RS256',
      apiKeys: options.apiKeys ?? API_KEYS,
    },
  };
  return new CredentialVerifier(config);
}

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

function hsToken(claims: Record<string, unknown>, secret = SECRET): string {
  return jwt.sign(claims, secret, { algorithm: 'HS256' });
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
      const rsa = () =>
        generateKeyPairSync('rsa', {
          modulusLength: 2048,
          publicKeyEncoding: { type: 'spki', format: 'pem' },
          privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        });
      let keys: { publicKey: string; privateKey: string };
      let otherKeys: { publicKey: string; privateKey: string };

      beforeAll(() => {
        keys = rsa();
        otherKeys = rsa();
      });

      const rsToken = (privateKey: string) =>
        jwt.sign({ sub: 'erin', exp: inAnHour() }, privateKey, { algorithm: 'RS256' });

      it('accepts an RS256 token when the public key is configured', () => {
        const sut = verifier({
          production: true,
          jwtSecret: undefined,
          jwtPublicKey: keys.publicKey,
        });

        expect(principal(sut.verifyHandshake(rsToken(keys.privateKey))).userId).toBe('erin');
      });

      it('refuses an RS256 token signed by another key', () => {
        const sut = verifier({
          production: true,
          jwtSecret: undefined,
          jwtPublicKey: keys.publicKey,
        });

        expect(failure(sut.verifyHandshake(rsToken(otherKeys.privateKey)))).toBe('AUTH_FAILED');
      });

      it('refuses an RS256 token when only an HS secret is configured', () => {
        expect(failure(verifier().verifyHandshake(rsToken(keys.privateKey)))).toBe('AUTH_FAILED');
      });

      it('refuses an HS256 token signed with the public key (algorithm confusion)', () => {
        const sut = verifier({
          production: true,
          jwtSecret: undefined,
          jwtPublicKey: keys.publicKey,
        });
        const header = base64url({ alg: 'HS256', typ: 'JWT' });
        const payload = base64url({ sub: 'admin', permissions: ['all'], exp: inAnHour() });
        const signature = createHmac('sha256', keys.publicKey)
          .update(`${header}.${payload}`)
          .digest('base64url');

        expect(failure(sut.verifyHandshake(`${header}.${payload}.${signature}`))).toBe(
          'AUTH_FAILED',
        );
      });
    });
  });
});
