import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AsymmetricJwtAlgorithm, JwksConfig } from '@auren/config';
import { ASYMMETRIC_ALGORITHMS, isAsymmetricAlgorithm } from './jwt-options';

/** A verification key of the set, and the algorithms it may verify. */
export interface JwksKey {
  kid: string;
  key: KeyObject;
  algorithms: AsymmetricJwtAlgorithm[];
}

/** What the verifier needs of a key set: a key by `kid`, synchronously when it can. */
export interface KeyLookup {
  key(kid: string): JwksKey | undefined | Promise<JwksKey | undefined>;
}

export type JwksFetchResult = 'ok' | 'error' | 'timeout' | 'invalid';

/** Largest JWKS document read (a few keys take a few kilobytes). */
const MAX_JWKS_BYTES = 512 * 1024;

const EC_ALGORITHMS: Record<string, AsymmetricJwtAlgorithm> = {
  'P-256': 'ES256',
  'P-384': 'ES384',
  'P-521': 'ES512',
};
const RSA_ALGORITHMS = ASYMMETRIC_ALGORITHMS.filter((alg) => /^(RS|PS)/.test(alg));

class JwksError extends Error {
  constructor(
    readonly result: Exclude<JwksFetchResult, 'ok'>,
    message: string,
  ) {
    super(message);
  }
}

export interface JwksKeyStoreOptions extends JwksConfig {
  /** Registers `auren_jwks_fetches_total{result}` and `auren_jwks_keys` there. */
  registry?: Registry;
  /** Milliseconds clock; tests move it instead of waiting. */
  now?: () => number;
}

/**
 * The keys of an identity provider's JSON Web Key Set (`AUREN_JWT_JWKS_URL`), by `kid`.
 *
 * - A known `kid` is answered from the cache synchronously (the hot path). After
 *   `cacheSeconds` the set is refreshed in the background while the cached keys keep answering.
 * - An unknown `kid` (the provider rotated its keys) triggers a fetch and waits for it. Every
 *   lookup arriving meanwhile shares that one fetch (single flight), and no fetch starts within
 *   `cooldownSeconds` of the previous one: a flood of made-up `kid`s costs at most one fetch per
 *   cooldown, the rest are refused from memory.
 * - A fetch that fails (provider down, timeout, not a JWKS) keeps the cached keys in service.
 */
export class JwksKeyStore implements KeyLookup {
  private readonly logger = new Logger('Jwks');
  private keys = new Map<string, JwksKey>();
  /** When the last fetch succeeded (ms); 0: never. */
  private loadedAt = 0;
  /** When the last fetch started (ms), successful or not: the cooldown runs from it. */
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private inFlight?: Promise<void>;
  private readonly now: () => number;
  private readonly fetches?: Counter<'result'>;
  private readonly keyCount?: Gauge;

  constructor(private readonly options: JwksKeyStoreOptions) {
    this.now = options.now ?? Date.now;
    if (options.registry) {
      this.fetches = new Counter({
        name: 'auren_jwks_fetches_total',
        help: 'Fetches of the JSON Web Key Set (AUREN_JWT_JWKS_URL), by result',
        labelNames: ['result'],
        registers: [options.registry],
      });
      for (const result of ['ok', 'error', 'timeout', 'invalid']) this.fetches.inc({ result }, 0);
      this.keyCount = new Gauge({
        name: 'auren_jwks_keys',
        help: 'Verification keys of the JSON Web Key Set currently cached',
        registers: [options.registry],
      });
    }
  }

  /** Number of keys cached. */
  get size(): number {
    return this.keys.size;
  }

  /**
   * The key with this `kid`: the cached entry synchronously when there is one, otherwise a
   * promise of the entry after a refresh (undefined: the set has no such key). Never rejects.
   */
  key(kid: string): JwksKey | undefined | Promise<JwksKey | undefined> {
    const cached = this.keys.get(kid);
    if (cached) {
      if (this.isStale()) void this.refresh();
      return cached;
    }
    const refreshed = this.refresh();
    if (!refreshed) return undefined;
    return refreshed.then(() => this.keys.get(kid));
  }

  /**
   * Fetches the set unless a fetch is under way (then: that one) or the cooldown has not passed
   * (then: undefined, nothing to wait for). Never rejects.
   */
  refresh(): Promise<void> | undefined {
    if (this.inFlight) return this.inFlight;
    const now = this.now();
    if (now - this.attemptedAt < this.options.cooldownSeconds * 1000) return undefined;
    this.attemptedAt = now;
    this.inFlight = this.load().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private isStale(): boolean {
    return this.now() - this.loadedAt >= this.options.cacheSeconds * 1000;
  }

  private async load(): Promise<void> {
    try {
      const keys = await this.fetchKeys();
      this.keys = keys;
      this.loadedAt = this.now();
      this.fetches?.inc({ result: 'ok' });
      this.keyCount?.set(keys.size);
    } catch (error) {
      const result = error instanceof JwksError ? error.result : 'error';
      this.fetches?.inc({ result });
      const kept =
        this.keys.size > 0 ? `; still using the ${this.keys.size} cached key(s)` : '; no keys yet';
      this.logger.warn(
        `fetching the JWKS at ${this.options.url} failed (${result}): ${(error as Error).message}${kept}`,
      );
    }
  }

  private async fetchKeys(): Promise<Map<string, JwksKey>> {
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        headers: { accept: 'application/json, application/jwk-set+json' },
        signal: AbortSignal.timeout(this.options.timeoutMs),
        redirect: 'follow',
      });
    } catch (error) {
      throw this.networkError(error);
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new JwksError('error', `HTTP ${response.status}`);
    }
    let text: string;
    try {
      text = await readLimited(response, MAX_JWKS_BYTES);
    } catch (error) {
      throw error instanceof JwksError ? error : this.networkError(error);
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      throw new JwksError('invalid', 'the answer is not JSON');
    }
    const list = (document as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(list)) throw new JwksError('invalid', 'the answer has no "keys" array');
    const keys = new Map<string, JwksKey>();
    const skipped: string[] = [];
    for (const jwk of list) {
      const entry = toKey(jwk);
      if (typeof entry === 'string') skipped.push(entry);
      else keys.set(entry.kid, entry);
    }
    if (skipped.length > 0) this.logger.debug(`JWKS keys skipped: ${skipped.join('; ')}`);
    if (keys.size === 0) {
      throw new JwksError(
        'invalid',
        `no usable signing key (${skipped.join('; ') || 'empty set'})`,
      );
    }
    return keys;
  }

  private networkError(error: unknown): JwksError {
    const name = (error as Error)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new JwksError('timeout', `no answer within ${this.options.timeoutMs} ms`);
    }
    const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
    return new JwksError('error', cause?.code ?? cause?.message ?? (error as Error).message);
  }
}

async function readLimited(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  // Leaving the loop early cancels the body.
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > limit) throw new JwksError('invalid', `the answer is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A JWK as a verification key, or why it is left out. */
function toKey(value: unknown): JwksKey | string {
  if (typeof value !== 'object' || value === null) return 'an entry that is not an object';
  const jwk = value as JsonWebKey & { kid?: unknown; alg?: unknown; use?: unknown };
  const kid = typeof jwk.kid === 'string' && jwk.kid ? jwk.kid : undefined;
  if (!kid) return 'a key without kid';
  if (jwk.use !== undefined && jwk.use !== 'sig') return `${kid}: use is not "sig"`;
  if ('d' in jwk) return `${kid}: a private key (never publish those)`;
  let algorithms: AsymmetricJwtAlgorithm[];
  if (jwk.kty === 'RSA') algorithms = RSA_ALGORITHMS;
  else if (jwk.kty === 'EC' && typeof jwk.crv === 'string' && EC_ALGORITHMS[jwk.crv])
    algorithms = [EC_ALGORITHMS[jwk.crv]];
  else return `${kid}: key type ${String(jwk.kty)} ${String(jwk.crv ?? '')} is not supported`;
  if (jwk.alg !== undefined) {
    if (!isAsymmetricAlgorithm(jwk.alg) || !algorithms.includes(jwk.alg))
      return `${kid}: alg ${JSON.stringify(jwk.alg)} does not fit key type ${String(jwk.kty)}`;
    algorithms = [jwk.alg];
  }
  try {
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    return { kid, key, algorithms };
  } catch (error) {
    return `${kid}: ${(error as Error).message}`;
  }
}
