/**
 * Errors the history queries raise for their callers (the GraphQL layer turns them into error
 * codes; a bench or script sees them as they are). Anything else a query throws is a server fault.
 */

/** An argument is invalid: `argument` names it (`filter.from`, `first`), the message says why. */
export class QueryInputError extends Error {
  constructor(
    readonly argument: string,
    why: string,
  ) {
    super(`${argument}: ${why}`);
    this.name = 'QueryInputError';
  }
}

/** The viewer may not ask this (for example a `users` filter without the `all` permission). */
export class QueryForbiddenError extends Error {
  constructor(
    readonly argument: string,
    why: string,
  ) {
    super(`${argument}: ${why}`);
    this.name = 'QueryForbiddenError';
  }
}

/** The query ran longer than the statement timeout (AUREN_GRAPHQL_STATEMENT_TIMEOUT_MS). */
export class QueryTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(
      `the query ran longer than ${timeoutMs} ms and was stopped: narrow the time range or the filters`,
    );
    this.name = 'QueryTimeoutError';
  }
}
