import { afterEach, describe, expect, it, vi } from 'vitest';
import { createGraphqlClient, describeError, errorFromBody, GraphqlError } from './graphql';

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** A fetch stand-in answering `status` and `body`. */
const reply = (status: number, body: unknown) => () => Promise.resolve(json(status, body));

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('createGraphqlClient', () => {
  it('POSTs the query and variables as JSON with the bearer token, and answers data', async () => {
    const fetchMock = vi.fn(reply(200, { data: { agents: [] } }));
    vi.stubGlobal('fetch', fetchMock);
    const client = createGraphqlClient({ url: '/graphql', token: () => 'tok-1' });
    const data = await client.request<{ agents: unknown[] }>(
      'query Q($from: DateTime) { agents(from: $from) { agent } }',
      {
        from: '2026-12-01',
      },
    );
    expect(data).toEqual({ agents: [] });
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/graphql');
    expect(init.method).toBe('POST');
    const headers = init.headers as Record<string, string>;
    expect(headers.authorization).toBe('Bearer tok-1');
    expect(headers['content-type']).toBe('application/json');
    expect(JSON.parse(init.body as string)).toEqual({
      query: 'query Q($from: DateTime) { agents(from: $from) { agent } }',
      variables: { from: '2026-12-01' },
    });
  });

  it('sends no authorization header without a token', async () => {
    const fetchMock = vi.fn(reply(200, { data: { firingAlerts: [] } }));
    vi.stubGlobal('fetch', fetchMock);
    await createGraphqlClient({ url: '/g', token: () => null }).request(
      '{ firingAlerts { alertId } }',
    );
    const init = (fetchMock.mock.calls[0] as unknown as [string, RequestInit])[1];
    expect((init.headers as Record<string, string>).authorization).toBeUndefined();
  });

  it('throws the GraphQL error with its code and argument, also on HTTP 200', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(
        reply(200, {
          data: { events: null },
          errors: [
            {
              message: 'first: must be an integer from 1 to 500',
              extensions: { code: 'BAD_USER_INPUT', argument: 'first' },
            },
          ],
        }),
      ),
    );
    const client = createGraphqlClient({ url: '/g', token: () => 't' });
    const error = await client
      .request('{ events(first: 0) { edges { cursor } } }')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphqlError);
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first', status: 200 });
    expect((error as Error).message).toBe('first: must be an integer from 1 to 500');
    expect(describeError(error)).toBe('Invalid first: first: must be an integer from 1 to 500');
  });

  it('maps a 401 answer to UNAUTHENTICATED', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(
        reply(401, {
          errors: [
            {
              message: 'token expired',
              extensions: { code: 'UNAUTHENTICATED', reason: 'TOKEN_EXPIRED' },
            },
          ],
        }),
      ),
    );
    const error = (await createGraphqlClient({ url: '/g', token: () => 't' })
      .request('{ firingAlerts { alertId } }')
      .catch((e: unknown) => e)) as GraphqlError;
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.status).toBe(401);
    expect(describeError(error)).toMatch(/expired token/);
  });

  it('turns a network failure into a clear NETWORK_ERROR', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))),
    );
    const error = (await createGraphqlClient({
      url: 'http://history:4000/graphql',
      token: () => null,
    })
      .request('{ firingAlerts { alertId } }')
      .catch((e: unknown) => e)) as GraphqlError;
    expect(error.code).toBe('NETWORK_ERROR');
    expect(error.message).toBe(
      'Cannot reach the history service at http://history:4000/graphql: Failed to fetch',
    );
  });

  it('refuses a non-JSON answer and an answer without data', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.resolve(new Response('<html>bad gateway</html>', { status: 502 }))),
    );
    const client = createGraphqlClient({ url: '/g', token: () => null });
    await expect(client.request('{ a }')).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
      status: 502,
    });
    vi.stubGlobal('fetch', vi.fn(reply(200, { data: null })));
    await expect(client.request('{ a }')).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
  });
});

describe('errorFromBody', () => {
  it('names how many more errors there were, and is null without errors', () => {
    const error = errorFromBody({
      errors: [
        { message: 'one', extensions: { code: 'FORBIDDEN' } },
        { message: 'two' },
        { message: 'three' },
      ],
    })!;
    expect(error.message).toBe('one (and 2 more errors)');
    expect(error.code).toBe('FORBIDDEN');
    expect(error.errors).toHaveLength(3);
    expect(errorFromBody({ data: {} })).toBeNull();
    expect(errorFromBody({ errors: [] })).toBeNull();
    expect(errorFromBody({ errors: [{}] })!.code).toBe('GRAPHQL_ERROR');
  });
  it('describes a timeout as a hint to narrow the query', () => {
    expect(describeError(new GraphqlError('statement timeout', 'QUERY_TIMEOUT'))).toMatch(/narrow/);
  });
});
