import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'graphql';

/** sha256 (hex) of a query's text, as Apollo's automatic persisted queries compute it. */
export function queryHash(query: string): string {
  return createHash('sha256').update(query, 'utf8').digest('hex');
}

/**
 * Reads an allow-list file: a JSON array of operation texts, or an object mapping each text's
 * sha256 (hex) to it. Every entry must parse as GraphQL and an object's keys must be the hashes
 * of their texts; anything else stops the start-up with a message naming the file.
 */
export function loadPersistedQueries(path: string, variable: string): Map<string, string> {
  let content: unknown;
  try {
    content = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${variable}: cannot read ${path} as JSON (${(error as Error).message})`);
  }
  const entries: Array<[string | undefined, unknown]> = Array.isArray(content)
    ? content.map((query) => [undefined, query])
    : typeof content === 'object' && content !== null
      ? Object.entries(content)
      : [];
  if (entries.length === 0)
    throw new Error(`${variable}: ${path} must hold a non-empty JSON array or object of queries`);
  const queries = new Map<string, string>();
  for (const [key, query] of entries) {
    if (typeof query !== 'string')
      throw new Error(`${variable}: every query in ${path} must be a string`);
    try {
      parse(query);
    } catch (error) {
      throw new Error(
        `${variable}: a query in ${path} does not parse: ${(error as Error).message}`,
      );
    }
    const hash = queryHash(query);
    if (key !== undefined && key !== hash)
      throw new Error(
        `${variable}: key ${key.slice(0, 16)}… in ${path} is not the sha256 of its query (${hash})`,
      );
    queries.set(hash, query);
  }
  return queries;
}

interface RequestBody {
  query?: unknown;
  persisted?: unknown;
  extensions?: { persistedQuery?: { version?: unknown; sha256Hash?: unknown } };
}

/**
 * A mercurius `persistedQueryProvider` over an allow-list. A client names an operation by its
 * hash, either Apollo-style (`extensions.persistedQuery.sha256Hash`) or mercurius-style
 * (`{"persisted": true, "query": "<hash>"}`). With `only`, nothing else runs: a plain `query`
 * is accepted only when its exact text is on the list (PERSISTED_QUERY_REQUIRED otherwise).
 */
export function allowListProvider(queries: Map<string, string>, only: boolean) {
  const hashOf = (body: RequestBody): string | false => {
    const apollo = body.extensions?.persistedQuery;
    if (apollo && apollo.version === 1 && typeof apollo.sha256Hash === 'string')
      return apollo.sha256Hash;
    if (body.persisted === true && typeof body.query === 'string') return body.query;
    if (only && typeof body.query === 'string') {
      const hash = queryHash(body.query);
      if (queries.has(hash)) return hash;
    }
    return false;
  };
  return {
    isPersistedQuery: (body: RequestBody) =>
      only || body.persisted === true || Boolean(body.extensions?.persistedQuery),
    getHash: hashOf,
    getQueryFromHash: (hash: string) => Promise.resolve(queries.get(hash)),
    notFoundError: 'no operation with this hash is on the allow-list',
    notSupportedError:
      'this server runs only the operations of its allow-list (AUREN_GRAPHQL_PERSISTED_QUERIES): send extensions.persistedQuery.sha256Hash',
  };
}
