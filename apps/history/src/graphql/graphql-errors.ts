import { Logger } from '@nestjs/common';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { QueryForbiddenError, QueryInputError, QueryTimeoutError } from '../queries';

/**
 * Codes in `errors[].extensions.code` (docs/graphql.md, "Errors"). Apollo's names where one fits.
 */
export type GraphqlErrorCode =
  | 'GRAPHQL_PARSE_FAILED'
  | 'GRAPHQL_VALIDATION_FAILED'
  | 'BAD_USER_INPUT'
  | 'BAD_REQUEST'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'QUERY_TOO_DEEP'
  | 'QUERY_TOO_COMPLEX'
  | 'QUERY_TIMEOUT'
  | 'PERSISTED_QUERY_NOT_FOUND'
  | 'PERSISTED_QUERY_REQUIRED'
  | 'INTERNAL_SERVER_ERROR';

const KNOWN_CODES = new Set<string>([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'QUERY_TOO_DEEP',
  'QUERY_TOO_COMPLEX',
  'QUERY_TIMEOUT',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_REQUIRED',
]);

export function gqlError(
  code: GraphqlErrorCode,
  message: string,
  extensions: Record<string, unknown> = {},
): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extensions } });
}

interface Classified {
  code: GraphqlErrorCode;
  message: string;
  extensions?: Record<string, unknown>;
  /** HTTP status of a request refused before execution. */
  status?: number;
}

type ErrorLike = Error & {
  code?: string;
  statusCode?: number;
  extensions?: Record<string, unknown>;
  originalError?: unknown;
};

/** What a GraphQL-level error message says about the input. */
function classifyMessage(message: string): Classified | undefined {
  if (message.startsWith('Syntax Error')) return { code: 'GRAPHQL_PARSE_FAILED', message };
  const variable =
    /^Variable "\$([^"]+)" (got invalid value|of required type|of non-null type)/.exec(message);
  if (variable)
    return { code: 'BAD_USER_INPUT', message, extensions: { argument: `$${variable[1]}` } };
  const required = /argument "([^"]+)" of type "[^"]+" is required/.exec(message);
  if (required) return { code: 'BAD_USER_INPUT', message, extensions: { argument: required[1] } };
  if (
    /^(Expected value of type|Expected type|(Int|Float|String|Boolean|ID) cannot represent|Enum "|Value "[^"]*" does not exist in "|Field "[^"]+" of required type "[^"]+" was not provided|Field "[^"]+" is not defined by type)/.test(
      message,
    )
  )
    return { code: 'BAD_USER_INPUT', message };
  return undefined;
}

function classify(error: ErrorLike): Classified | undefined {
  const code = error.extensions?.code;
  if (typeof code === 'string' && KNOWN_CODES.has(code)) {
    const { code: _code, ...rest } = error.extensions ?? {};
    return { code: code as GraphqlErrorCode, message: error.message, extensions: rest };
  }
  const original = error.originalError as ErrorLike | undefined;
  if (original instanceof QueryInputError)
    return {
      code: 'BAD_USER_INPUT',
      message: original.message,
      extensions: { argument: original.argument },
    };
  if (original instanceof QueryForbiddenError)
    return {
      code: 'FORBIDDEN',
      message: original.message,
      extensions: { argument: original.argument },
    };
  if (original instanceof QueryTimeoutError)
    return {
      code: 'QUERY_TIMEOUT',
      message: original.message,
      extensions: { timeoutMs: original.timeoutMs },
    };
  if (original instanceof GraphQLError && original !== error) return classify(original);
  const merCode = error.code ?? original?.code;
  switch (merCode) {
    case 'MER_ERR_GQL_PERSISTED_QUERY_NOT_FOUND':
      return { code: 'PERSISTED_QUERY_NOT_FOUND', message: error.message, status: 400 };
    case 'MER_ERR_GQL_PERSISTED_QUERY_NOT_SUPPORTED':
      return { code: 'PERSISTED_QUERY_REQUIRED', message: error.message, status: 400 };
    case 'MER_ERR_GQL_PERSISTED_QUERY_MISMATCH':
      return { code: 'BAD_REQUEST', message: error.message, status: 400 };
    case 'MER_ERR_GQL_QUERY_DEPTH':
      return { code: 'QUERY_TOO_DEEP', message: error.message, status: 400 };
    case 'MER_ERR_METHOD_NOT_ALLOWED':
      return { code: 'BAD_REQUEST', message: 'use POST for this operation', status: 405 };
  }
  const status = error.statusCode ?? original?.statusCode;
  if (typeof merCode === 'string' && (merCode.startsWith('FST_') || merCode === 'BAD_REQUEST')) {
    if (typeof status === 'number' && status >= 400 && status < 500)
      return { code: 'BAD_REQUEST', message: error.message, status };
  }
  const byMessage = classifyMessage(error.message);
  if (byMessage) return byMessage;
  // graphql-js validation errors carry no original error.
  if (error instanceof GraphQLError && !error.originalError)
    return { code: 'GRAPHQL_VALIDATION_FAILED', message: error.message };
  return undefined;
}

/**
 * Mercurius wraps validation errors into one error whose `errors` are the real ones. A mutation
 * sent with GET is the other way round: the wrapper (405) is what matters, its inner error is a
 * bare `Error` that would read as a server fault.
 */
function flatten(errors: readonly ErrorLike[]): ErrorLike[] {
  return errors.flatMap((error) => {
    if (
      (error.code ?? (error.originalError as ErrorLike | undefined)?.code) ===
      'MER_ERR_METHOD_NOT_ALLOWED'
    )
      return [error];
    const inner =
      (error.originalError as { errors?: unknown } | undefined)?.errors ??
      (error as { errors?: unknown }).errors;
    return Array.isArray(inner) && inner.length > 0 ? flatten(inner as ErrorLike[]) : [error];
  });
}

/**
 * Mercurius `errorFormatter`: every error gets an `extensions.code`; anything unexpected (a
 * database error, a bug) becomes INTERNAL_SERVER_ERROR with a generic message (logged here, never
 * sent: no SQL, no stack). HTTP status: 200 once the operation ran (401 if a credential was
 * missing or bad), 400 for a request refused before running (parse, validation, limits), the
 * client error's own status for malformed HTTP, 500 only for a server fault before running.
 */
export function createErrorFormatter(logger = new Logger('GraphQL')) {
  return (
    execution: ExecutionResult & { errors?: readonly GraphQLError[] },
    _context: unknown,
  ): { statusCode: number; response: ExecutionResult } => {
    const ran = 'data' in execution && execution.data !== undefined;
    let status = 0;
    const formatted = flatten((execution.errors ?? []) as unknown as ErrorLike[]).map((error) => {
      let found = classify(error);
      if (!found) {
        logger.error(`unexpected error in a GraphQL request: ${error.stack ?? error.message}`);
        found = {
          code: 'INTERNAL_SERVER_ERROR',
          message: 'internal error (logged on the server)',
          status: 500,
        };
      }
      if (found.status) status = Math.max(status, found.status);
      const path = (error as { path?: readonly (string | number)[] }).path;
      const locations = (error as { locations?: unknown }).locations;
      return {
        message: found.message,
        ...(Array.isArray(locations) && locations.length ? { locations } : {}),
        ...(path ? { path } : {}),
        extensions: { code: found.code, ...(found.extensions ?? {}) },
      };
    });
    let statusCode: number;
    if (ran) {
      statusCode = formatted.some((e) => e.extensions.code === 'UNAUTHENTICATED') ? 401 : 200;
    } else {
      statusCode = status || 400;
    }
    return {
      statusCode,
      // A request refused before it ran has no `data` (GraphQL over HTTP).
      response: {
        ...(ran ? { data: execution.data } : {}),
        errors: formatted as unknown as GraphQLError[],
      },
    };
  };
}
