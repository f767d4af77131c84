import { isDataError } from './history-writer.service';

describe(isDataError.name, () => {
  it('treats SQLSTATE classes 22 and 23 as values the database refuses, except 23514 (a dropped partition)', () => {
    expect(isDataError({ code: '22003' })).toBe(true); // numeric value out of range
    expect(isDataError({ code: '22P02' })).toBe(true); // invalid text representation
    expect(isDataError({ code: '23502' })).toBe(true); // not-null violation
    expect(isDataError({ code: '23514' })).toBe(false);
    expect(isDataError({ code: '57P01' })).toBe(false); // admin shutdown
    expect(isDataError({ code: '08006' })).toBe(false); // connection failure
    expect(isDataError(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isDataError(null)).toBe(false);
  });
});
