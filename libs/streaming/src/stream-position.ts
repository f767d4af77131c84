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

/** The position just before `position`, for an inclusive read with an exclusive API. */
export function previousPosition(position: string): string {
  const [ms, seq] = position.split('-').map(Number);
  if (seq > 0) return `${ms}-${seq - 1}`;
  return ms > 0 ? `${ms - 1}-${Number.MAX_SAFE_INTEGER}` : '0-0';
}

/** Whether the record at `position` is still in `log` (so nothing after it was trimmed). */
export async function holdsRecord(
  log: { readAfter(after: string, count: number, blockMs: number): Promise<Array<{ id: string }>> },
  position: string,
): Promise<boolean> {
  if (!isPosition(position)) return false;
  const [entry] = await log.readAfter(previousPosition(position), 1, 0);
  return entry !== undefined && entry.id === position;
}

/**
 * The position methods of an {@link EventLog} whose positions are Redis entry IDs (Redis and the
 * memory stream, which uses the same format).
 */
export abstract class RedisStylePositions {
  abstract readAfter(after: string, count: number, blockMs: number): Promise<Array<{ id: string }>>;

  comparePositions(a: string, b: string): number {
    return comparePositions(a, b);
  }

  isPosition(value: string): boolean {
    return isPosition(value);
  }

  holds(position: string): Promise<boolean> {
    return holdsRecord(this, position);
  }
}
