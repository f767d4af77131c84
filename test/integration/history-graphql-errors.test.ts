/**
 * The history's GraphQL API refusing what it must refuse, over real HTTP on a real PostgreSQL:
 * every bad input answers a GraphQL error with a code (never a 5xx, never another user's row),
 * crafted filters, cursors and ids stay inside the viewer's events, a database failure is a
 * generic INTERNAL_SERVER_ERROR, production refuses test tokens and missing credentials, and an
 * operation allow-list runs only its operations.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { PartitionKeeper, writeEvents } from '../../apps/history/src/store/event-writer';
import { PostgresDatabase } from '../../apps/history/src/store/sql-database';
import { historyDataset, TOKENS } from '../fixtures/history-dataset';
import { GQL_SECRET, historyConfig, HistoryApi, startHistoryApi } from '../harness/graphql';
import { signHs } from '../harness/jwt';
import { createDatabase } from '../harness/postgres';

const { events } = historyDataset();
const ownedBy = new Map(events.map((e) => [e.event_id, e.user_id ?? null]));

let db: PostgresDatabase;
let api: HistoryApi;

beforeAll(async () => {
  db = new PostgresDatabase(await createDatabase('gqlerr'));
  api = await startHistoryApi(await historyConfig(), db);
  await writeEvents(db, new PartitionKeeper(), events, 30);
});

afterAll(async () => {
  await api?.close();
  await db?.close();
});

const PAGE = `query P($filter: EventFilter, $first: Int, $after: String, $order: EventOrder) {
  events(filter: $filter, first: $first, after: $after, order: $order) {
    edges { cursor node { eventId userId } } pageInfo { endCursor hasNextPage } } }`;

type Page = {
  events: {
    edges: Array<{ cursor: string; node: { eventId: string; userId: string | null } }>;
    pageInfo: { endCursor: string | null; hasNextPage: boolean };
  } | null;
};

/** Asserts one error with `code` (and `argument`), no 5xx, and no event row in the answer. */
async function refused(
  query: string,
  code: string,
  options: {
    token?: string;
    variables?: Record<string, unknown>;
    argument?: string;
    status?: number;
  } = {},
) {
  const answer = await api.query(query, {
    token: options.token ?? TOKENS.alice,
    variables: options.variables,
  });
  expect(answer.status).toBeLessThan(500);
  if (options.status) expect(answer.status).toBe(options.status);
  expect(answer.body.errors?.length).toBeGreaterThan(0);
  expect(answer.body.errors![0].extensions.code).toBe(code);
  if (options.argument) expect(answer.body.errors![0].extensions.argument).toBe(options.argument);
  expect(JSON.stringify(answer.body.data ?? null)).not.toContain('ev-');
  return answer;
}

describe('bad input', () => {
  it('invalid GraphQL, unknown fields and arguments: parse and validation errors with 400', async () => {
    await refused('{ events { ', 'GRAPHQL_PARSE_FAILED', { status: 400 });
    await refused('{ events { edges { nope } } }', 'GRAPHQL_VALIDATION_FAILED', { status: 400 });
    await refused('{ events(limit: 3) { pageInfo { hasNextPage } } }', 'GRAPHQL_VALIDATION_FAILED');
    await refused('{ agentStats { totals { events } } }', 'BAD_USER_INPUT', { argument: 'agent' });
    await refused('mutation { x }', 'GRAPHQL_VALIDATION_FAILED');
  });

  it('a huge, zero or non-integer first', async () => {
    const q = '{ events(first: 501) { pageInfo { hasNextPage } } }';
    await refused(q, 'BAD_USER_INPUT', { argument: 'first', status: 200 });
    await refused('{ events(first: 0) { pageInfo { hasNextPage } } }', 'BAD_USER_INPUT', {
      argument: 'first',
    });
    await refused('{ events(first: 99999999999) { pageInfo { hasNextPage } } }', 'BAD_USER_INPUT');
    await refused(PAGE, 'BAD_USER_INPUT', { variables: { first: 100000 }, argument: 'first' });
    await refused(PAGE, 'BAD_USER_INPUT', { variables: { first: 'ten' } });
  });

  it('reversed time ranges, bad and impossible dates, too wide ranges', async () => {
    await refused(PAGE, 'BAD_USER_INPUT', {
      variables: { filter: { from: '2026-12-02T00:00:00Z', to: '2026-12-01T00:00:00Z' } },
      argument: 'filter.from',
    });
    await refused('{ agents(from: "2026-12-02", to: "2026-12-01") { agent } }', 'BAD_USER_INPUT', {
      argument: 'from',
    });
    await refused(
      '{ costBreakdown(by: [DAY], from: "2026-12-02", to: "2026-12-01") { truncated } }',
      'BAD_USER_INPUT',
      {
        argument: 'from',
      },
    );
    await refused(
      '{ collaborations(from: "2026-12-02", to: "2026-12-01") { count } }',
      'BAD_USER_INPUT',
      { argument: 'from' },
    );
    await refused('{ agents(from: "yesterday") { agent } }', 'BAD_USER_INPUT');
    await refused('{ agents(from: "2026-13-01T00:00:00Z") { agent } }', 'BAD_USER_INPUT');
    await refused('{ agents(from: "2026-12-01T10:00:00") { agent } }', 'BAD_USER_INPUT');
    await refused('query Q($f: DateTime) { agents(from: $f) { agent } }', 'BAD_USER_INPUT', {
      variables: { f: 'not a date' },
    });
    await refused('{ agents(from: "2020-01-01", to: "2026-01-01") { agent } }', 'BAD_USER_INPUT', {
      argument: 'from',
    });
    await refused(
      '{ agentStats(agent: "coder", bucket: MINUTE, from: "2026-11-01", to: "2026-11-05") { totals { events } } }',
      'BAD_USER_INPUT',
      { argument: 'bucket' },
    );
    await refused(
      '{ agentStats(agent: "coder", bucket: WEEK) { totals { events } } }',
      'BAD_USER_INPUT',
    );
  });

  it('bad cursors, bad filter values', async () => {
    await refused(PAGE, 'BAD_USER_INPUT', { variables: { after: 'zzz' }, argument: 'after' });
    await refused(PAGE, 'BAD_USER_INPUT', {
      variables: { after: Buffer.from('[1,"d","x","y"]').toString('base64url') },
      argument: 'after',
    });
    const first = await api.query<Page>(PAGE, { token: TOKENS.alice, variables: { first: 2 } });
    const cursor = first.body.data!.events!.pageInfo.endCursor;
    await refused(PAGE, 'BAD_USER_INPUT', {
      variables: { after: cursor, order: 'OLDEST_FIRST' },
      argument: 'after',
    });
    await refused(PAGE, 'BAD_USER_INPUT', {
      variables: { filter: { minConfidence: 2 } },
      argument: 'filter.minConfidence',
    });
    await refused(PAGE, 'BAD_USER_INPUT', {
      variables: { filter: { text: 'x'.repeat(201) } },
      argument: 'filter.text',
    });
    await refused(PAGE, 'BAD_USER_INPUT', {
      variables: { filter: { agents: [''] } },
      argument: 'filter.agents',
    });
    await refused(PAGE, 'BAD_USER_INPUT', {
      variables: { filter: { types: Array.from({ length: 101 }, (_, i) => `t${i}`) } },
      argument: 'filter.types',
    });
    await refused('{ trace(id: "") { id } }', 'BAD_USER_INPUT', { argument: 'id' });
  });

  it('over-deep and over-complex operations are refused before they run', async () => {
    let nested = 'name';
    for (let i = 0; i < 20; i++) nested = `name ofType { ${nested} }`;
    await refused(`{ __schema { types { fields { type { ${nested} } } } } }`, 'QUERY_TOO_DEEP', {
      status: 400,
    });
    const page = 'edges { node { eventId raw } }';
    const aliases = Array.from(
      { length: 6 },
      (_, i) => `a${i}: events(first: 500) { ${page} }`,
    ).join(' ');
    await refused(`{ ${aliases} }`, 'QUERY_TOO_COMPLEX', { status: 400 });
    const many = Array.from({ length: 600 }, (_, i) => `a${i}: agents { agent }`).join(' ');
    await refused(`{ ${many} }`, 'QUERY_TOO_COMPLEX');
    // What GraphiQL sends stays allowed.
    const introspection = await api.query(
      '{ __schema { types { name fields { name type { name kind ofType { name kind ofType { name kind ofType { name kind } } } } } } } }',
    );
    expect(introspection.body.errors).toBeUndefined();
  });

  it('malformed HTTP bodies are client errors', async () => {
    const bad = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": ',
    });
    expect(bad.status).toBe(400);
    expect(
      ((await bad.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]
        .extensions.code,
    ).toBe('BAD_REQUEST');
    const empty = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(empty.status).toBeGreaterThanOrEqual(400);
    expect(empty.status).toBeLessThan(500);
  });

  it('a database failure is INTERNAL_SERVER_ERROR without SQL', async () => {
    // Whole days: the range reads the day rollup.
    await db.exec('ALTER TABLE auren_rollup_day RENAME TO auren_rollup_day_away');
    try {
      const answer = await api.query('{ agents(from: "2026-01-01", to: "2026-06-01") { agent } }', {
        token: TOKENS.admin,
      });
      expect(answer.status).toBe(200);
      expect(answer.body.data).toEqual({ agents: null });
      expect(answer.body.errors![0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
      expect(JSON.stringify(answer.body)).not.toMatch(/auren_|relation|SELECT|does not exist/i);
    } finally {
      await db.exec('ALTER TABLE auren_rollup_day_away RENAME TO auren_rollup_day');
    }
  });
});

describe('isolation probes', () => {
  it("a users filter naming someone else is FORBIDDEN without 'all'; naming yourself is fine", async () => {
    await refused(PAGE, 'FORBIDDEN', {
      variables: { filter: { users: ['bob'] } },
      argument: 'filter.users',
    });
    await refused(PAGE, 'FORBIDDEN', { variables: { filter: { users: ['alice', 'bob'] } } });
    const own = await api.query<Page>(PAGE, {
      token: TOKENS.alice,
      variables: { filter: { users: ['alice'] }, first: 500 },
    });
    const users = new Set(own.body.data!.events!.edges.map((e) => e.node.userId));
    expect(users).toEqual(new Set(['alice']));
  });

  it('crafted filters and cursors never reach another user', async () => {
    const probes: Array<Record<string, unknown>> = [
      { traceId: 'trace-bob' },
      { sessionId: 'session-trace-bob' },
      { text: 'bob' },
      { agents: ['planner', 'coder', 'reviewer'] },
      {},
    ];
    for (const filter of probes) {
      const answer = await api.query<Page>(PAGE, {
        token: TOKENS.alice,
        variables: { filter, first: 500 },
      });
      expect(answer.body.errors).toBeUndefined();
      for (const edge of answer.body.data!.events!.edges) {
        expect([edge.node.userId, ownedBy.get(edge.node.eventId)]).not.toContain('bob');
      }
    }
    // A cursor taken from the admin's listing (positioned on bob's events) continues alice's.
    const admin = await api.query<Page>(PAGE, {
      token: TOKENS.admin,
      variables: { filter: { users: ['bob'] }, first: 3 },
    });
    const cursor = admin.body.data!.events!.pageInfo.endCursor;
    const alice = await api.query<Page>(PAGE, {
      token: TOKENS.alice,
      variables: { after: cursor, first: 500 },
    });
    expect(alice.body.data!.events!.edges.length).toBeGreaterThan(0);
    for (const edge of alice.body.data!.events!.edges)
      expect(ownedBy.get(edge.node.eventId)).not.toBe('bob');
  });

  it('an agent-restricted token sees only its agents, whatever the filter names', async () => {
    const answer = await api.query<{ events: { edges: Array<{ node: { agentId: string } }> } }>(
      '{ events(first: 500, filter: {agents: ["planner", "coder"]}) { edges { node { agentId } } } }',
      { token: TOKENS.aliceCoder },
    );
    const agents = new Set(answer.body.data!.events.edges.map((e) => e.node.agentId));
    expect(agents).toEqual(new Set(['coder']));
    const agentsAnswer = await api.query<{ agents: Array<{ agent: string }> }>(
      '{ agents { agent } }',
      {
        token: TOKENS.aliceCoder,
      },
    );
    expect(agentsAnswer.body.data!.agents.map((a) => a.agent)).toEqual(['coder']);
  });

  it('bad, expired and wrongly signed credentials are UNAUTHENTICATED (401), with no data', async () => {
    const cases = [
      'not-a-token',
      signHs({ sub: 'alice', exp: Math.floor(Date.now() / 1000) - 3600 }, GQL_SECRET),
      signHs({ sub: 'alice' }, 'another-secret-of-at-least-32-characters!!'),
    ];
    for (const token of cases) {
      const answer = await api.query('{ events { edges { node { eventId } } } }', { token });
      expect(answer.status).toBe(401);
      expect(answer.body.errors![0].extensions.code).toBe('UNAUTHENTICATED');
      expect(answer.body.data).toEqual({ events: null });
    }
  });
});

describe('production mode', () => {
  let prod: HistoryApi;
  beforeAll(async () => {
    prod = await startHistoryApi(await historyConfig({ NODE_ENV: 'production' }), db);
  });
  afterAll(() => prod?.close());

  it('refuses test tokens and missing credentials, accepts a JWT, serves no GraphiQL', async () => {
    for (const token of ['test-token-123', undefined]) {
      const answer = await prod.query('{ events { edges { node { eventId } } } }', { token });
      expect(answer.status).toBe(401);
      expect(answer.body.errors![0].extensions.code).toBe('UNAUTHENTICATED');
      expect(answer.body.data).toEqual({ events: null });
    }
    // Production requires exp (the shared tokens have none).
    const token = signHs({ sub: 'alice' }, GQL_SECRET);
    const ok = await prod.query<Page>(PAGE, { token, variables: { first: 5 } });
    expect(ok.status).toBe(200);
    expect(ok.body.data!.events!.edges).toHaveLength(5);
    expect((await fetch(`${prod.url}/graphiql`)).status).toBe(404);
    expect((await fetch(`${api.url}/graphiql`)).status).toBe(200);
  });
});

describe('statement timeout', () => {
  let slow: HistoryApi;
  beforeAll(async () => {
    slow = await startHistoryApi(
      await historyConfig({ AUREN_GRAPHQL_STATEMENT_TIMEOUT_MS: '300' }),
      db,
    );
  });
  afterAll(() => slow?.close());

  it('a query stuck longer than the timeout answers QUERY_TIMEOUT, and the next one runs', async () => {
    // Another session holds the rollup table (whole days: the day rollup): the query waits for
    // its lock until the timeout.
    await db.transaction(async (tx) => {
      await tx.query('LOCK TABLE auren_rollup_day IN ACCESS EXCLUSIVE MODE');
      const answer = await slow.query(
        '{ agents(from: "2026-01-01", to: "2026-06-01") { agent } }',
        {
          token: TOKENS.admin,
        },
      );
      expect(answer.status).toBe(200);
      expect(answer.body.data).toEqual({ agents: null });
      expect(answer.body.errors![0].extensions).toEqual({ code: 'QUERY_TIMEOUT', timeoutMs: 300 });
    });
    const after = await slow.query<Page>(PAGE, { token: TOKENS.alice, variables: { first: 3 } });
    expect(after.body.data!.events!.edges).toHaveLength(3);
  });
});

describe('operation allow-list', () => {
  let listed: HistoryApi;
  const allowed = '{ agents { agent } }';
  const hash = createHash('sha256').update(allowed).digest('hex');
  beforeAll(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'auren-gql-')), 'operations.json');
    writeFileSync(file, JSON.stringify([allowed]));
    listed = await startHistoryApi(
      await historyConfig({
        AUREN_GRAPHQL_PERSISTED_QUERIES: file,
        AUREN_GRAPHQL_ONLY_PERSISTED: 'true',
      }),
      db,
    );
  });
  afterAll(() => listed?.close());

  it('runs listed operations by hash or exact text, and refuses anything else', async () => {
    const byHash = await listed.query('', {
      token: TOKENS.admin,
      body: { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } },
    });
    expect(byHash.body.errors).toBeUndefined();
    expect((byHash.body.data as { agents: unknown[] }).agents.length).toBeGreaterThan(0);
    const byText = await listed.query(allowed, { token: TOKENS.admin });
    expect(byText.body.errors).toBeUndefined();
    const other = await listed.query('{ events { edges { node { eventId } } } }', {
      token: TOKENS.admin,
    });
    expect(other.status).toBe(400);
    expect(other.body.errors![0].extensions.code).toBe('PERSISTED_QUERY_REQUIRED');
    const unknown = await listed.query('', {
      token: TOKENS.admin,
      body: { extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors![0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });
});
