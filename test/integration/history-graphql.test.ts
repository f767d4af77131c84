/**
 * The history's GraphQL API over real HTTP on a real PostgreSQL: every query's values against the
 * raw events, user isolation (two users, an agent-restricted token, crafted filters and ids), and
 * the refusals of bad input (a code in `errors`, never a 5xx, never another user's row).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import type { StreamedEvent } from '@auren/contracts';
import { printHistorySchema, schemaFile } from '../../apps/history/src/graphql/schema-file';
import { PartitionKeeper, writeEvents } from '../../apps/history/src/store/event-writer';
import { PostgresDatabase } from '../../apps/history/src/store/sql-database';
import { historyDataset, HOUR, sum, TOKENS, visibleTo, Who } from '../fixtures/history-dataset';
import { GraphqlAnswer, historyConfig, HistoryApi, startHistoryApi } from '../harness/graphql';
import { createDatabase } from '../harness/postgres';

const { hourStart, events, aliceRun, bobRun, otlpRun } = historyDataset();
const tokens = TOKENS;
const visible = (who: Who) => visibleTo(events, who);
const inRange = (e: StreamedEvent, from: string, to: string) =>
  Date.parse(e.timestamp) >= Date.parse(from) && Date.parse(e.timestamp) < Date.parse(to);
const close = (a: number, b: number, eps = 1e-9) =>
  Math.abs(a - b) <= eps * Math.max(1, Math.abs(b));

let db: PostgresDatabase;
let api: HistoryApi;

beforeAll(async () => {
  db = new PostgresDatabase(await createDatabase('gql'));
  api = await startHistoryApi(await historyConfig(), db);
  const outcome = await writeEvents(db, new PartitionKeeper(), events, 30);
  expect(outcome.inserted).toBe(events.length);
});

afterAll(async () => {
  await api?.close();
  await db?.close();
});

const EVENT_PAGE = `query Page($filter: EventFilter, $first: Int, $after: String, $order: EventOrder) {
  events(filter: $filter, first: $first, after: $after, order: $order) {
    edges { cursor node { eventId timestamp userId agentId eventType cost raw } }
    pageInfo { hasNextPage endCursor }
  }
}`;

type Page = {
  events: {
    edges: Array<{
      cursor: string;
      node: {
        eventId: string;
        timestamp: string;
        userId: string | null;
        agentId: string;
        raw: Record<string, unknown>;
      };
    }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
};

async function allEvents(
  token: string,
  filter: Record<string, unknown> = {},
  order = 'NEWEST_FIRST',
  first = 97,
): Promise<Page['events']['edges'][number]['node'][]> {
  const nodes: Page['events']['edges'][number]['node'][] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const answer: GraphqlAnswer<Page> = await api.query<Page>(EVENT_PAGE, {
      token,
      variables: { filter, first, after, order },
    });
    expect(answer.body.errors).toBeUndefined();
    const page: Page['events'] = answer.body.data!.events;
    nodes.push(...page.edges.map((edge) => edge.node));
    if (!page.pageInfo.hasNextPage) return nodes;
    after = page.pageInfo.endCursor;
  }
  throw new Error('too many pages');
}

const byTimeDesc = (a: StreamedEvent, b: StreamedEvent) =>
  Date.parse(b.timestamp) - Date.parse(a.timestamp) || (a.event_id < b.event_id ? 1 : -1);

describe('events', () => {
  it.each(['alice', 'bob', 'admin', 'aliceCoder'] as const)(
    'pages through exactly what the delivery rule shows %s, newest first, each once',
    async (who) => {
      const nodes = await allEvents(tokens[who]);
      const expected = visible(who)
        .sort(byTimeDesc)
        .map((e) => e.event_id);
      expect(nodes.map((n) => n.eventId)).toEqual(expected);
    },
  );

  it('lists oldest first on request, and the raw field is the stored event', async () => {
    const nodes = await allEvents(tokens.alice, {}, 'OLDEST_FIRST', 200);
    const expected = visible('alice').sort(byTimeDesc).reverse();
    expect(nodes.map((n) => n.eventId)).toEqual(expected.map((e) => e.event_id));
    const sample = expected[7];
    expect(nodes[7].raw).toEqual(JSON.parse(JSON.stringify(sample)));
  });

  it('applies every filter field as the raw events say', async () => {
    const from = new Date(hourStart - 3 * HOUR).toISOString();
    const to = new Date(hourStart - HOUR).toISOString();
    const cases: Array<[Record<string, unknown>, (e: StreamedEvent) => boolean]> = [
      [{ agents: ['coder', 'reviewer'] }, (e) => ['coder', 'reviewer'].includes(e.source_agent.id)],
      [{ types: ['llm_call'] }, (e) => e.event_type === 'llm_call'],
      [{ users: ['bob'] }, (e) => e.user_id === 'bob'],
      [{ traceId: 'trace-alice' }, (e) => e.trace_id === 'trace-alice'],
      [{ sessionId: 'session-trace-bob' }, (e) => e.session_id === 'session-trace-bob'],
      [{ from, to }, (e) => inRange(e, from, to)],
      [{ minConfidence: 0.5 }, (e) => (e.performance_metrics?.confidence_score ?? -1) >= 0.5],
      [{ success: false }, (e) => e.performance_metrics?.success === false],
      [{ text: 'NEEDLE' }, (e) => JSON.stringify(e).toLowerCase().includes('needle')],
      [
        { agents: ['planner'], types: ['llm_call', 'tool_usage'], success: true, from },
        (e) =>
          e.source_agent.id === 'planner' &&
          ['llm_call', 'tool_usage'].includes(e.event_type) &&
          e.performance_metrics?.success === true &&
          Date.parse(e.timestamp) >= Date.parse(from),
      ],
    ];
    for (const [filter, keep] of cases) {
      const nodes = await allEvents(tokens.admin, filter, 'NEWEST_FIRST', 500);
      const expected = visible('admin')
        .filter(keep)
        .sort(byTimeDesc)
        .map((e) => e.event_id);
      expect({ filter, ids: nodes.map((n) => n.eventId) }).toEqual({ filter, ids: expected });
      expect(expected.length).toBeGreaterThan(0);
    }
  });
});

type RunAnswer = {
  trace: null | {
    id: string;
    truncated: boolean;
    agents: string[];
    totals: {
      events: number;
      failures: number;
      inputTokens: number;
      outputTokens: number;
      tokens: number;
      cost: number;
    };
    rootIds: string[];
    nodes: Array<{
      parentId: string | null;
      depth: number;
      childIds: string[];
      durationMs: number | null;
      totals: { events: number; tokens: number; cost: number };
      event: { eventId: string };
    }>;
  };
};
const RUN = `query Run($id: String!) { trace(id: $id) { id truncated agents rootIds
  totals { events failures inputTokens outputTokens tokens cost }
  nodes { parentId depth childIds durationMs totals { events tokens cost } event { eventId } } } }`;

describe('trace and session', () => {
  it.each([
    ['parent_event_id and agent start/complete pairs', 'trace-alice', aliceRun],
    ['OTLP span ids in metadata.otel', 'trace-otlp', otlpRun],
  ])('builds the tree from %s, with totals rolled up per node', async (_how, id, run) => {
    const answer = await api.query<RunAnswer>(RUN, { token: tokens.alice, variables: { id } });
    expect(answer.body.errors).toBeUndefined();
    const trace = answer.body.data!.trace!;
    const parents = Object.fromEntries(trace.nodes.map((n) => [n.event.eventId, n.parentId]));
    expect(parents).toEqual(run.parents);
    const root = trace.nodes[0];
    expect(root.depth).toBe(0);
    expect(trace.rootIds).toEqual([run.events[0].event_id]);
    const metrics = run.events.map((e) => e.performance_metrics ?? {});
    expect(trace.totals.events).toBe(run.events.length);
    expect(trace.totals.failures).toBe(metrics.filter((m) => m.success === false).length);
    expect(trace.totals.inputTokens).toBe(sum(metrics.map((m) => m.input_tokens ?? 0)));
    expect(trace.totals.outputTokens).toBe(sum(metrics.map((m) => m.output_tokens ?? 0)));
    expect(close(trace.totals.cost, sum(metrics.map((m) => m.token_cost ?? 0)))).toBe(true);
    expect(root.totals.events).toBe(run.events.length);
    // The planner run lasts from its start to its completion (700 ms); coder's reports 300 ms.
    expect(root.durationMs).toBe(700);
    const coder = trace.nodes.find((n) => n.event.eventId === run.events[2].event_id)!;
    expect(coder.durationMs).toBe(300);
    expect(coder.depth).toBe(1);
    expect(coder.totals.events).toBe(4);
    expect(coder.totals.tokens).toBe(420);
    // Pre-order: every node comes after its parent.
    const seen = new Set<string>();
    for (const node of trace.nodes) {
      if (node.parentId) expect(seen.has(node.parentId)).toBe(true);
      seen.add(node.event.eventId);
    }
  });

  it("answers null for another user's trace id, and the same for an unknown one", async () => {
    const theirs = await api.query<RunAnswer>(RUN, {
      token: tokens.bob,
      variables: { id: 'trace-alice' },
    });
    const unknown = await api.query<RunAnswer>(RUN, {
      token: tokens.bob,
      variables: { id: 'no-such-trace' },
    });
    expect(theirs).toEqual(unknown);
    expect(theirs.body).toEqual({ data: { trace: null } });
    const session = await api.query<{ session: unknown }>(
      'query S($id: String!) { session(id: $id) { id nodes { event { eventId } } } }',
      { token: tokens.bob, variables: { id: 'session-trace-alice' } },
    );
    expect(session.body).toEqual({ data: { session: null } });
    const filtered = await allEvents(tokens.bob, { traceId: 'trace-alice' });
    expect(filtered).toEqual([]);
  });

  it('shows an agent-restricted token only its agents inside a run', async () => {
    const answer = await api.query<RunAnswer>(RUN, {
      token: tokens.aliceCoder,
      variables: { id: 'trace-alice' },
    });
    const ids = answer.body.data!.trace!.nodes.map((n) => n.event.eventId).sort();
    expect(ids).toEqual(
      aliceRun.events
        .filter((e) => e.source_agent.id === 'coder')
        .map((e) => e.event_id)
        .sort(),
    );
  });

  it('session(id) holds the events of the session', async () => {
    const answer = await api.query<{ session: { nodes: Array<{ event: { eventId: string } }> } }>(
      'query S($id: String!) { session(id: $id) { nodes { event { eventId } } } }',
      { token: tokens.bob, variables: { id: 'session-trace-bob' } },
    );
    expect(answer.body.data!.session.nodes.map((n) => n.event.eventId).sort()).toEqual(
      bobRun.events.map((e) => e.event_id).sort(),
    );
  });
});

describe('schema.graphql', () => {
  it('is what the code generates (npm run graphql:schema rewrites it)', () => {
    const served = printHistorySchema(api.app.get(GraphQLSchemaHost).schema);
    const committed = readFileSync(schemaFile(join(__dirname, '..', '..')), 'utf8');
    expect(committed).toBe(served);
  });
});
