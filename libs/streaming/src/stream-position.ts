/** Redis-style `<ms>-<seq>` positions; the memory stream uses the same format. */
export const POSITION_PATTERN = /^\d{1,15}-\d{1,15}$/;

export function isPosition(value: unknown): value is string {
  return typeof value === 'string' && POSITION_PATTERN.test(value);
}

/** Negative when `a` is before `b`. Both must be valid positions. */
export function comparePositions(a: string, b: string): number {
  const [am, as] = a.split('-');
  const [bm, bs] = b.split('-');
  return Number(am) - Number(bm) || Number(as) - Number(bs);
}
