import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Whether an `Authorization` header may read `/metrics`: always when no token is configured, else
 * only with `Bearer <token>`, compared in constant time (both sides hashed to the same length).
 */
export function metricsAccess(
  token: string | undefined,
  authorization: string | undefined,
): 'allowed' | 'unauthorized' {
  if (token === undefined) return 'allowed';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) return 'unauthorized';
  return timingSafeEqual(digest(match[1]), digest(token)) ? 'allowed' : 'unauthorized';
}
