import { QueryInputError } from './query-errors';

/** The limits every query checks its arguments against (docs/graphql.md, "Limits"). */
export interface QueryLimits {
  /** Largest `first` of `events`. */
  maxPageSize: number;
  /** Widest `from`..`to` of the aggregate queries, in days. */
  maxRangeDays: number;
  /** Most events a `trace` or `session` tree holds (the oldest are kept; `truncated` says so). */
  maxTraceEvents: number;
  /** Entries of one list filter (`agents`, `types`, `users`). */
  maxFilterValues: number;
  /** PostgreSQL statement timeout of each query, in ms; 0: none. */
  statementTimeoutMs: number;
}

export const DEFAULT_LIMITS: QueryLimits = {
  maxPageSize: 500,
  maxRangeDays: 366,
  maxTraceEvents: 5000,
  maxFilterValues: 100,
  statementTimeoutMs: 0,
};

const DAY_MS = 86_400_000;

/** A time range, both ends set. */
export interface TimeRange {
  from: Date;
  to: Date;
}

export function checkDate(value: Date | undefined | null, argument: string): Date | undefined {
  if (value === undefined || value === null) return undefined;
  if (!(value instanceof Date) || !Number.isFinite(value.getTime()))
    throw new QueryInputError(argument, 'not a valid date-time');
  return value;
}

/** Checks `from` ≤ `to` (when both are given). */
export function checkOrder(from: Date | undefined, to: Date | undefined, prefix = ''): void {
  if (from && to && from.getTime() > to.getTime()) {
    throw new QueryInputError(
      `${prefix}from`,
      `${from.toISOString()} is after ${prefix}to (${to.toISOString()}): the range is reversed`,
    );
  }
}

/**
 * The range of an aggregate query: `to` defaults to now, `from` to 24 hours before `to`; at most
 * `maxDays` wide.
 */
export function aggregateRange(
  from: Date | undefined | null,
  to: Date | undefined | null,
  maxDays: number,
  now = new Date(),
): TimeRange {
  const end = checkDate(to, 'to') ?? now;
  const start = checkDate(from, 'from') ?? new Date(end.getTime() - DAY_MS);
  checkOrder(start, end);
  if (end.getTime() - start.getTime() > maxDays * DAY_MS) {
    throw new QueryInputError('from', `the range from..to may span at most ${maxDays} days`);
  }
  return { from: start, to: end };
}

/** A list filter: at most `max` non-empty strings of ≤ 128 characters; duplicates dropped. */
export function checkList(
  values: readonly string[] | undefined | null,
  argument: string,
  max: number,
): string[] | undefined {
  if (values === undefined || values === null) return undefined;
  if (values.length > max) throw new QueryInputError(argument, `at most ${max} values`);
  for (const value of values) {
    if (value.length === 0 || value.length > 128)
      throw new QueryInputError(argument, 'each value must be 1..128 characters');
  }
  return [...new Set(values)];
}

/** An id argument (trace, session, agent): 1..128 characters. */
export function checkId(value: string, argument: string): string {
  if (value.length === 0 || value.length > 128)
    throw new QueryInputError(argument, 'must be 1..128 characters');
  return value;
}
