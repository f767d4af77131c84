import {
  JsonWebTokenError,
  type JwtVerifyOptions,
  NotBeforeError,
  TokenExpiredError,
} from '@nestjs/jwt';
import type { AsymmetricJwtAlgorithm, AurenConfig } from '@auren/config';
import { AuthFailure } from './principal';

/** Algorithms a JWT may be signed with: HS256 with `AUREN_JWT_SECRET`, the rest with public keys. */
export type JwtAlgorithm = 'HS256' | AsymmetricJwtAlgorithm;

export const ASYMMETRIC_ALGORITHMS: readonly AsymmetricJwtAlgorithm[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
];

export function isAsymmetricAlgorithm(alg: unknown): alg is AsymmetricJwtAlgorithm {
  return ASYMMETRIC_ALGORITHMS.includes(alg as AsymmetricJwtAlgorithm);
}

/** What every accepted JWT must satisfy besides its signature, from `AUREN_JWT_*`. */
export interface ClaimPolicy {
  issuer: string[];
  audience: string[];
  clockToleranceSeconds: number;
  /** Production mode: a token without `exp` never expires, so it is refused. */
  requireExp: boolean;
}

export function claimPolicy(config: Pick<AurenConfig, 'production' | 'auth'>): ClaimPolicy {
  return {
    issuer: config.auth.jwtIssuer,
    audience: config.auth.jwtAudience,
    clockToleranceSeconds: config.auth.jwtClockToleranceSeconds,
    requireExp: config.production,
  };
}

/**
 * Options for `JwtService.verify`: exactly the one algorithm the key was chosen for (never the
 * token's own choice among several: no algorithm confusion), issuer, audience and clock tolerance.
 */
export function jwtVerifyOptions(policy: ClaimPolicy, algorithm: JwtAlgorithm): JwtVerifyOptions {
  const options: JwtVerifyOptions = {
    algorithms: [algorithm],
    clockTolerance: policy.clockToleranceSeconds,
  };
  if (policy.issuer.length > 0) options.issuer = policy.issuer as [string, ...string[]];
  if (policy.audience.length > 0) options.audience = policy.audience as [string, ...string[]];
  return options;
}

/**
 * The checks jsonwebtoken leaves out: `iat` must be a number and not in the future (beyond the
 * tolerance: a token "issued" later than now comes from a wrong clock or is forged ahead), and
 * production mode requires `exp`. Undefined when the claims pass.
 */
export function checkTimeClaims(
  claims: Record<string, unknown>,
  policy: ClaimPolicy,
  nowSeconds = Math.floor(Date.now() / 1000),
): AuthFailure | undefined {
  const { iat, exp } = claims;
  if (iat !== undefined) {
    if (typeof iat !== 'number' || !Number.isFinite(iat)) {
      return new AuthFailure(
        'AUTH_FAILED',
        'the token iat (issued at) claim must be a number of seconds since 1970',
      );
    }
    if (iat > nowSeconds + policy.clockToleranceSeconds) {
      return new AuthFailure(
        'AUTH_FAILED',
        `the token iat (issued at) claim is ${Math.round(iat - nowSeconds)} s in the future, beyond the ${policy.clockToleranceSeconds} s clock tolerance (check the issuer's clock)`,
      );
    }
  }
  if (policy.requireExp && typeof exp !== 'number') {
    return new AuthFailure(
      'AUTH_FAILED',
      'the token has no exp claim, which production mode requires',
    );
  }
  return undefined;
}

/**
 * A refusal that says which claim failed and why, from what `JwtService.verify` threw. Never
 * includes the token; the configured issuer and audience are named by their variables only.
 */
export function describeVerifyError(error: unknown, policy: ClaimPolicy): AuthFailure {
  const tolerance = `${policy.clockToleranceSeconds} s clock tolerance`;
  if (error instanceof TokenExpiredError) {
    return new AuthFailure(
      'TOKEN_EXPIRED',
      `the token has expired (exp ${error.expiredAt.toISOString()}, beyond the ${tolerance})`,
    );
  }
  if (error instanceof NotBeforeError) {
    return new AuthFailure(
      'AUTH_FAILED',
      `the token is not valid yet: its nbf claim is in the future, beyond the ${tolerance}`,
    );
  }
  if (!(error instanceof JsonWebTokenError)) {
    return new AuthFailure('AUTH_FAILED', 'the token signature or claims are invalid');
  }
  const message = error.message;
  if (message.startsWith('jwt issuer invalid')) {
    return new AuthFailure(
      'AUTH_FAILED',
      'the token iss (issuer) claim is missing or not an accepted issuer (AUREN_JWT_ISSUER)',
    );
  }
  if (message.startsWith('jwt audience invalid')) {
    return new AuthFailure(
      'AUTH_FAILED',
      'the token aud (audience) claim is missing or does not name this service (AUREN_JWT_AUDIENCE)',
    );
  }
  if (message === 'invalid signature') {
    return new AuthFailure(
      'AUTH_FAILED',
      'the token signature is invalid (signed with another key or changed after signing)',
    );
  }
  if (message === 'invalid exp value' || message === 'invalid nbf value') {
    return new AuthFailure(
      'AUTH_FAILED',
      `the token ${message.split(' ')[1]} claim must be a number of seconds since 1970`,
    );
  }
  if (message === 'invalid algorithm') {
    return new AuthFailure('AUTH_FAILED', 'the token alg is not accepted for its key');
  }
  if (message.startsWith('jwt malformed') || message === 'invalid token') {
    return new AuthFailure('AUTH_FAILED', 'the token is not a well-formed JWT');
  }
  return new AuthFailure('AUTH_FAILED', 'the token signature or claims are invalid');
}
