import { decodeCursor, encodeCursor } from './cursor';
import { QueryInputError } from './query-errors';

describe('event cursors', () => {
  const cursor = {
    ts: '2026-12-03T10:00:00.123456Z',
    eventId: 'ev-1',
    order: 'NEWEST_FIRST' as const,
  };

  it('round-trips, opaque (base64url)', () => {
    const sut = encodeCursor(cursor);
    expect(sut).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(sut, 'NEWEST_FIRST')).toEqual(cursor);
  });

  it.each([
    ['garbage', 'zzz'],
    ['not base64url', 'a b'],
    ['another shape', Buffer.from('{"ts":1}').toString('base64url')],
    ['a bad time', Buffer.from('[1,"d","2026-12-03","x"]').toString('base64url')],
    ['an empty id', Buffer.from('[1,"d","2026-12-03T10:00:00.123456Z",""]').toString('base64url')],
    ['too long', 'a'.repeat(2000)],
  ])('refuses %s as a BAD_USER_INPUT on `after`', (_what, value) => {
    expect(() => decodeCursor(value, 'NEWEST_FIRST')).toThrow(QueryInputError);
  });

  it('refuses a cursor of the other order', () => {
    expect(() => decodeCursor(encodeCursor(cursor), 'OLDEST_FIRST')).toThrow(
      /NEWEST_FIRST listing/,
    );
  });
});
