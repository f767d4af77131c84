import { JsonWebTokenError, NotBeforeError, TokenExpiredError } from '@nestjs/jwt';
import {
  checkTimeClaims,
  claimPolicy,
  ClaimPolicy,
  describeVerifyError,
  jwtVerifyOptions,
} from './jwt-options';

const POLICY: ClaimPolicy = {
  issuer: ['https://idp.example.com/'],
  audience: ['auren', 'auren-dashboard'],
  clockToleranceSeconds: 30,
  requireExp: true,
};
const NOW = 1_800_000_000;

describe('jwt options', () => {
  it('builds the policy from config: issuer, audience, tolerance; exp required in production', () => {
    const auth = {
      apiKeys: [],
      jwtPublicAlgorithm: 'RS256' as const,
      jwtIssuer: ['https://idp/'],
      jwtAudience: ['a'],
      jwtClockToleranceSeconds: 5,
    };

    expect(claimPolicy({ production: true, auth })).toEqual({
      issuer: ['https://idp/'],
      audience: ['a'],
      clockToleranceSeconds: 5,
      requireExp: true,
    });
    expect(claimPolicy({ production: false, auth }).requireExp).toBe(false);
  });

  it('verifies with exactly one algorithm, issuer, audience and the tolerance', () => {
    expect(jwtVerifyOptions(POLICY, 'ES256')).toEqual({
      algorithms: ['ES256'],
      clockTolerance: 30,
      issuer: ['https://idp.example.com/'],
      audience: ['auren', 'auren-dashboard'],
    });
  });

  it('leaves iss and aud unchecked when not configured', () => {
    const options = jwtVerifyOptions({ ...POLICY, issuer: [], audience: [] }, 'HS256');

    expect(options).not.toHaveProperty('issuer');
    expect(options).not.toHaveProperty('audience');
  });

  describe('checkTimeClaims', () => {
    it('accepts an iat in the past, now, and within the tolerance ahead', () => {
      for (const iat of [NOW - 3600, NOW, NOW + 30]) {
        expect(checkTimeClaims({ iat, exp: NOW + 60 }, POLICY, NOW)).toBeUndefined();
      }
    });

    it('refuses an iat in the future beyond the tolerance, saying so', () => {
      const failure = checkTimeClaims({ iat: NOW + 31, exp: NOW + 600 }, POLICY, NOW);

      expect(failure?.code).toBe('AUTH_FAILED');
      expect(failure?.message).toMatch(/iat .*31 s in the future.*30 s clock tolerance/);
    });

    it('refuses an iat that is not a number', () => {
      expect(checkTimeClaims({ iat: '1800000000', exp: NOW + 60 }, POLICY, NOW)?.message).toMatch(
        /iat .* must be a number/,
      );
    });

    it('requires exp only when the policy says so', () => {
      expect(checkTimeClaims({ iat: NOW }, POLICY, NOW)?.message).toMatch(/no exp claim/);
      expect(checkTimeClaims({ iat: NOW }, { ...POLICY, requireExp: false }, NOW)).toBeUndefined();
    });
  });

  describe('describeVerifyError', () => {
    it.each([
      [new JsonWebTokenError('jwt issuer invalid. expected: x'), /iss .*AUREN_JWT_ISSUER/],
      [new JsonWebTokenError('jwt audience invalid. expected: x'), /aud .*AUREN_JWT_AUDIENCE/],
      [new JsonWebTokenError('invalid signature'), /signature is invalid/],
      [new JsonWebTokenError('invalid algorithm'), /alg is not accepted/],
      [new JsonWebTokenError('jwt malformed'), /not a well-formed JWT/],
      [new JsonWebTokenError('invalid exp value'), /exp claim must be a number/],
      [new NotBeforeError('jwt not active', new Date()), /nbf claim is in the future/],
      [new Error('something else'), /signature or claims are invalid/],
    ])('names the claim (case %#)', (error, message) => {
      const failure = describeVerifyError(error, POLICY);

      expect(failure.code).toBe('AUTH_FAILED');
      expect(failure.message).toMatch(message);
      expect(failure.message).not.toContain('expected: x');
    });

    it('answers TOKEN_EXPIRED with the expiry and the tolerance', () => {
      const failure = describeVerifyError(
        new TokenExpiredError('jwt expired', new Date(NOW * 1000)),
        POLICY,
      );

      expect(failure.code).toBe('TOKEN_EXPIRED');
      expect(failure.message).toMatch(/expired .*2027-01-15T08:00:00.000Z.*30 s clock tolerance/);
    });
  });
});
