import { createHash, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { JwtService, type JwtVerifyOptions } from '@nestjs/jwt';
import type { AsymmetricJwtAlgorithm, AurenConfig } from '@auren/config';
import type { JwksKey, KeyLookup } from './jwks-key-store';
import {
  checkTimeClaims,
  ClaimPolicy,
  claimPolicy,
  describeVerifyError,
  isAsymmetricAlgorithm,
  JwtAlgorithm,
  jwtVerifyOptions,
} from './jwt-options';
import { ANONYMOUS_USER_ID, AuthFailure, AuthResult, Principal, TEST_USER_ID } from './principal';

const MAX_TOKEN_LENGTH = 8192;

/** Verify options carrying the key JwtService's key provider hands to jsonwebtoken. */
type KeyedVerifyOptions = JwtVerifyOptions & { key: KeyObject };

/** The id of an API key: the first 12 hex digits of its SHA-256 (never the key itself). */
export function keyIdOf(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

function isTestToken(token: string): boolean {
  return token.startsWith('test');
}

/**
 * One place that turns a token into a {@link Principal}, for HTTP ingest and the Socket.IO
 * handshake alike (CONTRACT §2 and §4). Never logs or echoes the token.
 */
export class CredentialVerifier {
  private readonly apiKeys: Map<string, string | undefined>;
  private readonly keyIds = new Map<string, string>();
  private readonly policy: ClaimPolicy;
  private readonly publicKey?: KeyObject;
  private readonly secretKey?: KeyObject;
  private readonly jwt: JwtService;

  /**
   * @param keyStore the identity provider's keys when `AUREN_JWT_JWKS_URL` is set (AuthModule
   *   builds a JwksKeyStore); tokens with a `kid` are verified with them.
   */
  constructor(
    private readonly config: Pick<AurenConfig, 'production' | 'auth'>,
    private readonly keyStore?: KeyLookup,
  ) {
    this.apiKeys = new Map(config.auth.apiKeys.map((k) => [k.key, k.userId]));
    for (const { key } of config.auth.apiKeys) this.keyIds.set(key, keyIdOf(key));
    this.policy = claimPolicy(config);
    if (config.auth.jwtPublicKey) this.publicKey = createPublicKey(config.auth.jwtPublicKey);
    // jsonwebtoken turns a string secret into a KeyObject on every verify (about 1 ms here);
    // made once, an HS256 check costs about 20 µs.
    if (config.auth.jwtSecret) this.secretKey = createSecretKey(Buffer.from(config.auth.jwtSecret));
    // The key of each verification comes with its options: a parsed KeyObject (JWKS, public
    // key) is used as it is instead of being parsed again from PEM for every token.
    this.jwt = new JwtService({
      secretOrKeyProvider: (_type, _token, options) => (options as KeyedVerifyOptions).key,
    });
  }

  /**
   * `Authorization` header of an ingest request. Development mode lets a missing one through.
   * Synchronous (a plain value) unless the token needs a key that must be fetched (JWKS): callers
   * `await` the result, or check `instanceof Promise` on a hot path.
   */
  verifyIngest(authorization: string | undefined): AuthResult | Promise<AuthResult> {
    if (!authorization) {
      if (this.config.production)
        return new AuthFailure(
          'AUTH_REQUIRED',
          'an Authorization: Bearer <api key or JWT> header is required',
        );
      return {
        userId: ANONYMOUS_USER_ID,
        kind: 'anonymous',
        boundToUser: false,
        seesAllUsers: true,
        allowedAgents: null,
      };
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match)
      return new AuthFailure(
        'AUTH_FAILED',
        'the Authorization header must be "Bearer <api key or JWT>"',
      );
    const token = match[1];
    if (this.apiKeys.has(token)) {
      const userId = this.apiKeys.get(token);
      return {
        userId: userId ?? 'service',
        kind: 'api_key',
        keyId: this.keyIds.get(token),
        boundToUser: userId !== undefined,
        seesAllUsers: userId === undefined,
        allowedAgents: null,
      };
    }
    if (isTestToken(token)) return this.testPrincipal(token);
    return this.verifyJwt(token);
  }

  /**
   * The `auth.token` of a Socket.IO handshake. A token is always required there. Like
   * {@link verifyIngest}, a plain value unless a key has to be fetched.
   */
  verifyHandshake(token: unknown): AuthResult | Promise<AuthResult> {
    if (token === undefined || token === null || token === '') {
      return new AuthFailure('AUTH_REQUIRED', 'auth.token is required in the handshake');
    }
    if (typeof token !== 'string')
      return new AuthFailure('AUTH_FAILED', 'auth.token must be a string');
    if (isTestToken(token)) return this.testPrincipal();
    return this.verifyJwt(token);
  }

  private testPrincipal(token?: string): AuthResult {
    if (this.config.production) {
      return new AuthFailure('AUTH_FAILED', 'test tokens are refused in production mode');
    }
    return {
      userId: TEST_USER_ID,
      kind: 'test',
      keyId: token === undefined ? undefined : keyIdOf(token),
      // Test keys do not pin ingest events to test_user: that lets a developer try user isolation.
      boundToUser: false,
      seesAllUsers: true,
      allowedAgents: null,
    };
  }

  private verifyJwt(token: string): AuthResult | Promise<AuthResult> {
    if (token.length > MAX_TOKEN_LENGTH) return new AuthFailure('AUTH_FAILED', 'token too long');
    let decoded: unknown;
    try {
      decoded = this.jwt.decode(token, { complete: true });
    } catch {
      decoded = null;
    }
    const header = (decoded as { header?: { alg?: unknown; kid?: unknown } } | null)?.header;
    const payload = (decoded as { payload?: unknown } | null)?.payload;
    if (!header || typeof payload !== 'object' || payload === null) {
      return new AuthFailure(
        'AUTH_FAILED',
        'the token is not a valid JWT (nor, at ingest, a configured API key)',
      );
    }
    const alg = header.alg;
    if (alg === 'HS256' && this.secretKey) {
      return this.checkSignedToken(token, this.secretKey, 'HS256');
    }
    if (!isAsymmetricAlgorithm(alg)) return this.algorithmRefused(alg);
    if (this.keyStore && typeof header.kid === 'string' && header.kid) {
      const kid = header.kid;
      const found = this.keyStore.key(kid);
      if (found instanceof Promise) {
        return found.then((key) => this.checkWithJwksKey(token, alg, kid, key));
      }
      return this.checkWithJwksKey(token, alg, kid, found);
    }
    if (this.publicKey && alg === this.config.auth.jwtPublicAlgorithm) {
      return this.checkSignedToken(token, this.publicKey, alg);
    }
    if (this.keyStore) {
      return new AuthFailure(
        'AUTH_FAILED',
        'the token has no kid header, which names the key of the JWKS (AUREN_JWT_JWKS_URL) to verify it with',
      );
    }
    return this.algorithmRefused(alg);
  }

  private checkWithJwksKey(
    token: string,
    alg: AsymmetricJwtAlgorithm,
    kid: string,
    found: JwksKey | undefined,
  ): AuthResult {
    if (!found) {
      return new AuthFailure(
        'AUTH_FAILED',
        `the token kid "${kid.slice(0, 64)}" names no key of the JWKS (AUREN_JWT_JWKS_URL)`,
      );
    }
    if (!found.algorithms.includes(alg)) {
      return new AuthFailure(
        'AUTH_FAILED',
        `the token alg ${alg} does not fit its key ${kid.slice(0, 64)} (accepted: ${found.algorithms.join(', ')})`,
      );
    }
    return this.checkSignedToken(token, found.key, alg);
  }

  private algorithmRefused(alg: unknown): AuthFailure {
    const accepted = [
      this.config.auth.jwtSecret ? 'HS256' : undefined,
      this.publicKey ? this.config.auth.jwtPublicAlgorithm : undefined,
      this.keyStore ? 'RS*/PS*/ES* with a kid of the JWKS' : undefined,
    ].filter(Boolean);
    return new AuthFailure(
      'AUTH_FAILED',
      `JWT algorithm ${String(alg).slice(0, 16)} is not accepted (accepted: ${accepted.join(', ') || 'none configured'})`,
    );
  }

  /** Signature, iss, aud, exp, nbf (JwtService), then iat and the claims AUREN reads. */
  private checkSignedToken(token: string, key: KeyObject, alg: JwtAlgorithm): AuthResult {
    let claims: Record<string, unknown>;
    try {
      const options: KeyedVerifyOptions = { ...jwtVerifyOptions(this.policy, alg), key };
      claims = this.jwt.verify<Record<string, unknown>>(token, options);
    } catch (error) {
      return describeVerifyError(error, this.policy);
    }
    const timeProblem = checkTimeClaims(claims, this.policy);
    if (timeProblem) return timeProblem;
    const userId: unknown =
      typeof claims.sub === 'string' && claims.sub ? claims.sub : claims.user_id;
    if (typeof userId !== 'string' || userId.length === 0 || userId.length > 128) {
      return new AuthFailure(
        'AUTH_FAILED',
        'the token needs a sub or user_id claim (1..128 characters)',
      );
    }
    const permissions: unknown = claims.permissions;
    const list = Array.isArray(permissions)
      ? permissions.filter((p): p is string => typeof p === 'string')
      : [];
    const seesAllUsers = list.includes('all');
    const principal: Principal = {
      userId,
      kind: 'jwt',
      boundToUser: true,
      seesAllUsers,
      allowedAgents: seesAllUsers || list.length === 0 ? null : list,
    };
    return principal;
  }
}
