import { QueryInputError } from './query-errors';

export type EventOrder = 'NEWEST_FIRST' | 'OLDEST_FIRST';

/** A position in an `events` listing: the last (ts, event_id) seen, in that listing's order. */
export interface EventCursor {
  ts: string;
  eventId: string;
  order: EventOrder;
}

const TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** Opaque to clients: base64url of a small JSON array. */
export function encodeCursor(cursor: EventCursor): string {
  const order = cursor.order === 'NEWEST_FIRST' ? 'd' : 'a';
  return Buffer.from(JSON.stringify([1, order, cursor.ts, cursor.eventId])).toString('base64url');
}

/** Reads a cursor made by {@link encodeCursor} for a listing in `order`; anything else is refused. */
export function decodeCursor(value: string, order: EventOrder, argument = 'after'): EventCursor {
  let parsed: unknown;
  try {
    if (value.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(value)) throw new Error('shape');
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw new QueryInputError(argument, 'not a cursor of this API (use a pageInfo.endCursor)');
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 4 ||
    parsed[0] !== 1 ||
    (parsed[1] !== 'd' && parsed[1] !== 'a') ||
    typeof parsed[2] !== 'string' ||
    !TS.test(parsed[2]) ||
    !Number.isFinite(Date.parse(parsed[2])) ||
    typeof parsed[3] !== 'string' ||
    parsed[3].length === 0 ||
    parsed[3].length > 128
  ) {
    throw new QueryInputError(argument, 'not a cursor of this API (use a pageInfo.endCursor)');
  }
  const cursorOrder: EventOrder = parsed[1] === 'd' ? 'NEWEST_FIRST' : 'OLDEST_FIRST';
  if (cursorOrder !== order) {
    throw new QueryInputError(
      argument,
      `the cursor belongs to a ${cursorOrder} listing, not ${order}`,
    );
  }
  return { ts: parsed[2], eventId: parsed[3], order };
}
