import { createHash } from 'node:crypto';
import * as jwt from 'jsonwebtoken';
import type { AurenConfig } from '@auren/config';
import { ANONYMOUS_USER_ID, AuthFailure, AuthResult, Principal, TEST_USER_ID } from './principal';

const MAX_TOKEN_LENGTH = 8192;

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

  constructor(private readonly config: Pick<AurenConfig, 'production' | 'auth'>) {
    this.apiKeys = new Map(config.auth.apiKeys.map((k) => [k.key, k.userId]));
    for (const { key } of config.auth.apiKeys) this.keyIds.set(key, keyIdOf(key));
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

  private verifyJwt(token: string): AuthResult {
    if (token.length > MAX_TOKEN_LENGTH) return new AuthFailure('AUTH_FAILED', 'token too long');
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded.payload === 'string') {
      return new AuthFailure(
        'AUTH_FAILED',
        'the token is not a valid JWT (nor, at ingest, a configured API key)',
      );
    }
    const { jwtSecret, jwtPublicKey, jwtPublicAlgorithm } = this.config.auth;
    let key: string | undefined;
    let algorithm: jwt.Algorithm;
    if (decoded.header.alg === 'HS256' && jwtSecret) {
      key = jwtSecret;
      algorithm = 'HS256';
    } else if (decoded.header.alg === jwtPublicAlgorithm && jwtPublicKey) {
      key = jwtPublicKey;
      algorithm = jwtPublicAlgorithm;
    } else {
      return new AuthFailure(
        'AUTH_FAILED',
        `JWT algorithm ${String(decoded.header.alg)} is not accepted`,
      );
    }
    let claims: jwt.JwtPayload;
    try {
      claims = jwt.verify(token, key, { algorithms: [algorithm] }) as jwt.JwtPayload;
    } catch (error) {
      if (error instanceof jwt.TokenExpiredError)
        return new AuthFailure('TOKEN_EXPIRED', 'the token has expired');
      return new AuthFailure('AUTH_FAILED', 'the token signature or claims are invalid');
    }
    if (this.config.production && typeof claims.exp !== 'number') {
      return new AuthFailure(
        'AUTH_FAILED',
        'the token has no exp claim, which production mode requires',
      );
    }
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
