/**
 * A small GraphQL client for the history service (`POST /graphql`, docs/graphql.md): JSON over
 * fetch with `Authorization: Bearer <token>`. A GraphQL `errors` answer becomes a thrown
 * {@link GraphqlError} with the first error's message and `extensions.code`; a network failure,
 * a timeout or a non-JSON answer become one too, with codes of their own.
 */

export interface GraphqlClient {
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
}

export interface GraphqlErrorEntry {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string; argument?: string; [key: string]: unknown };
}

/** Codes the client itself gives (the server's own are in docs/graphql.md, "Errors"). */
export const CLIENT_CODES = {
  network: 'NETWORK_ERROR',
  timeout: 'TIMEOUT',
  badResponse: 'BAD_RESPONSE',
} as const;

export class GraphqlError extends Error {
  readonly code: string;
  /** `extensions.argument` of an input error (`first`, `filter.from`, ...). */
  readonly argument: string | undefined;
  /** HTTP status, when an answer came. */
  readonly status: number | undefined;
  /** Every error of the answer. */
  readonly errors: readonly GraphqlErrorEntry[];

  constructor(
    message: string,
    code: string,
    opts: { status?: number; argument?: string; errors?: readonly GraphqlErrorEntry[] } = {},
  ) {
    super(message);
    this.name = 'GraphqlError';
    this.code = code;
    this.status = opts.status;
    this.argument = opts.argument;
    this.errors = opts.errors ?? [];
  }
}

/** The error of an answer body that has `errors`, else null. */
export function errorFromBody(body: unknown, status?: number): GraphqlError | null {
  if (typeof body !== 'object' || body === null) return null;
  const errors = (body as { errors?: unknown }).errors;
  if (!Array.isArray(errors) || errors.length === 0) return null;
  const entries: GraphqlErrorEntry[] = errors.map((e) => {
    const entry = (typeof e === 'object' && e !== null ? e : {}) as Partial<GraphqlErrorEntry>;
    return {
      message: typeof entry.message === 'string' ? entry.message : 'unknown error',
      path: Array.isArray(entry.path) ? entry.path : undefined,
      extensions:
        typeof entry.extensions === 'object' && entry.extensions !== null
          ? entry.extensions
          : undefined,
    };
  });
  const first = entries[0];
  const more =
    entries.length > 1
      ? ` (and ${entries.length - 1} more error${entries.length > 2 ? 's' : ''})`
      : '';
  const code = typeof first.extensions?.code === 'string' ? first.extensions.code : 'GRAPHQL_ERROR';
  const argument =
    typeof first.extensions?.argument === 'string' ? first.extensions.argument : undefined;
  return new GraphqlError(first.message + more, code, { status, argument, errors: entries });
}

/** What to tell a person about an error of the history service. */
export function describeError(error: unknown): string {
  if (!(error instanceof GraphqlError))
    return error instanceof Error ? error.message : String(error);
  switch (error.code) {
    case 'UNAUTHENTICATED':
      return `Not authorised by the history service (missing, invalid or expired token): ${error.message}`;
    case 'FORBIDDEN':
      return `Not allowed: ${error.message}`;
    case 'NOT_FOUND':
      return `Not found (not yours, or no longer firing): ${error.message}`;
    case 'QUERY_TIMEOUT':
      return 'The query took too long: narrow the time range or the filters.';
    case 'BAD_USER_INPUT':
      return error.argument
        ? `Invalid ${error.argument}: ${error.message}`
        : `Invalid input: ${error.message}`;
    case CLIENT_CODES.network:
    case CLIENT_CODES.timeout:
    case CLIENT_CODES.badResponse:
      return error.message;
    case 'INTERNAL_SERVER_ERROR':
      return 'The history service failed on this query (see its logs).';
    default:
      return error.message;
  }
}

export interface GraphqlClientOptions {
  url: string;
  token: () => string | null;
}

const TIMEOUT_MS = 30_000;

export function createGraphqlClient(opts: GraphqlClientOptions): GraphqlClient {
  return {
    async request<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: 'application/json',
      };
      const token = opts.token();
      if (token) headers.authorization = `Bearer ${token}`;
      const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
      const timer = controller ? setTimeout(() => controller.abort(), TIMEOUT_MS) : undefined;
      let response: Response;
      try {
        response = await fetch(opts.url, {
          method: 'POST',
          headers,
          body: JSON.stringify(variables ? { query, variables } : { query }),
          signal: controller?.signal,
        });
      } catch (error) {
        const aborted = controller?.signal.aborted === true;
        throw new GraphqlError(
          aborted
            ? `The history service at ${opts.url} did not answer within ${TIMEOUT_MS / 1000} s.`
            : `Cannot reach the history service at ${opts.url}: ${error instanceof Error ? error.message : String(error)}`,
          aborted ? CLIENT_CODES.timeout : CLIENT_CODES.network,
        );
      } finally {
        if (timer !== undefined) clearTimeout(timer);
      }
      let body: unknown;
      try {
        body = await response.json();
      } catch {
        throw new GraphqlError(
          `The history service answered HTTP ${response.status} without a GraphQL (JSON) body.`,
          response.status === 401 ? 'UNAUTHENTICATED' : CLIENT_CODES.badResponse,
          { status: response.status },
        );
      }
      const graphqlError = errorFromBody(body, response.status);
      if (graphqlError) throw graphqlError;
      const data = (body as { data?: unknown } | null)?.data;
      if (!response.ok || data === undefined || data === null)
        throw new GraphqlError(
          `The history service answered HTTP ${response.status} without data.`,
          CLIENT_CODES.badResponse,
          { status: response.status },
        );
      return data as T;
    },
  };
}
