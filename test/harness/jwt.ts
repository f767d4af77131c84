/** JWTs for tests, signed through @nestjs/jwt like the apps verify them (issue 10 §4). */
import { generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { JwtService, type JwtSignOptions } from '@nestjs/jwt';

export type Claims = Record<string, unknown>;

const jwt = new JwtService({});

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export interface TokenOptions {
  /** `kid` header. */
  kid?: string;
  issuer?: string;
  audience?: string | string[];
  /** `iat`, absolute seconds; default now. */
  iat?: number;
  /** `exp`, absolute seconds; default 10 minutes from now, `null`: no `exp`. */
  exp?: number | null;
}

/** `claims` with the registered claims of `options` filled in (an explicit claim wins). */
function withTimes(claims: Claims, options: TokenOptions): Claims {
  const payload: Claims = { iat: options.iat ?? nowSeconds(), ...claims };
  if (options.exp !== null && !('exp' in claims)) payload.exp = options.exp ?? nowSeconds() + 600;
  return payload;
}

function signOptions(options: TokenOptions): JwtSignOptions {
  const sign: JwtSignOptions = {};
  if (options.kid !== undefined) sign.keyid = options.kid;
  if (options.issuer !== undefined) sign.issuer = options.issuer;
  if (options.audience !== undefined) sign.audience = options.audience;
  return sign;
}

/** An HS256 token signed with `secret` (AUREN_JWT_SECRET). */
export function signHs(claims: Claims, secret: string, options: TokenOptions = {}): string {
  return jwt.sign(withTimes(claims, options), {
    ...signOptions(options),
    secret,
    algorithm: 'HS256',
  });
}

/** A key pair as an identity provider holds it, and its public half as a JWK of its JWKS. */
export interface TestKey {
  kid: string;
  algorithm: 'RS256' | 'ES256' | 'ES384' | 'PS256';
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** PEM of the public key (AUREN_JWT_PUBLIC_KEY). */
  publicPem: string;
  /** The public key as published in a JWKS: kty, n/e or crv/x/y, kid, alg, use. */
  jwk: JsonWebKey;
}

/** A new RSA (RS256, PS256) or EC (ES256 on P-256, ES384 on P-384) key pair. */
export function testKey(kid: string, algorithm: TestKey['algorithm'] = 'RS256'): TestKey {
  const pair = algorithm.startsWith('ES')
    ? generateKeyPairSync('ec', { namedCurve: algorithm === 'ES256' ? 'P-256' : 'P-384' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const jwk = { ...pair.publicKey.export({ format: 'jwk' }), kid, alg: algorithm, use: 'sig' };
  return { kid, algorithm, privateKey: pair.privateKey, publicKey: pair.publicKey, publicPem, jwk };
}

/** A token signed with `key` (its algorithm; its kid unless `options.kid` says otherwise). */
export function signWithKey(claims: Claims, key: TestKey, options: TokenOptions = {}): string {
  return jwt.sign(withTimes(claims, options), {
    ...signOptions({ kid: key.kid, ...options }),
    privateKey: key.privateKey,
    algorithm: key.algorithm,
  });
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** An unsigned `alg: none` token (which must always be refused). */
export function unsignedToken(claims: Claims, options: TokenOptions = {}): string {
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(withTimes(claims, options))}.`;
}

/**
 * An HS256 token whose HMAC key is `key`'s public PEM, with an `alg` the attacker chose: the
 * classic algorithm-confusion forgery against verifiers that trust the header's alg.
 */
export function confusedToken(claims: Claims, key: TestKey): string {
  return jwt.sign(withTimes(claims, {}), {
    secret: key.publicPem,
    algorithm: 'HS256',
    keyid: key.kid,
  });
}
