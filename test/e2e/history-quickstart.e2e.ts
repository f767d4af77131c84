/**
 * Issue 11, as a user meets it: `npm start` (the all-in-one process from dist/, no servers: the
 * memory stream and the embedded engine in a fresh data folder), events posted over HTTP by two
 * users' API keys and a test token, then the GraphQL API on HISTORY_PORT answers with those events
 * and aggregates equal to what the posted events add up to — and after a restart on the same
 * folder, still does.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prng } from '../fixtures/prng';
import { AppProcess, postJson } from '../harness/apps';
import { signHs } from '../harness/jwt';
import { freePort } from '../harness/ports';
import { waitFor } from '../harness/wait';

const SECRET = 'quickstart-secret-of-at-least-32-characters';
const KEYS = { alice: 'alice-key-0123456789abcdef', bob: 'bob-key-0123456789abcdef' };
const TOKENS = {
  admin: signHs({ sub: 'ops', permissions: ['all'] }, SECRET, { exp: null }),
  alice: signHs({ sub: 'alice' }, SECRET, { exp: null }),
};
const MODELS = ['gpt-4o', 'claude-sonnet', 'llama-3'];
const AGENTS = ['planner', 'researcher', 'writer'];

interface Posted {
  event_id: string;
  user: 'alice' | 'bob' | null;
  agent: string;
  type: string;
  model?: string;
  cost: number;
  tokens: number;
  latency?: number;
  success?: boolean;
}

/** Posts a seeded crew's events through ingest; returns what was posted, with the ids ingest gave. */
async function postCrew(ingest: string): Promise<Posted[]> {
  const random = prng(11);
  const now = Date.now();
  const posted: Posted[] = [];
  const credentials: Array<[Posted['user'], string]> = [
    ['alice', KEYS.alice],
    ['bob', KEYS.bob],
    [null, 'test-token-quickstart'],
  ];
  for (const [user, key] of credentials) {
    const events = [];
    const meta: Omit<Posted, 'event_id'>[] = [];
    for (let i = 0; i < 60; i++) {
      const agent = AGENTS[Math.floor(random() * AGENTS.length)];
      const model = MODELS[Math.floor(random() * MODELS.length)];
      const input = 10 + Math.floor(random() * 500);
      const output = 5 + Math.floor(random() * 200);
      const cost = Math.round(random() * 1e6) / 1e8;
      const latency = Math.round(5 + random() * 2000);
      const success = random() > 0.2;
      events.push({
        event_type: 'llm_call',
        timestamp: new Date(now - Math.floor(random() * 20 * 60_000)).toISOString(),
        trace_id: `${user ?? 'nobody'}-run`,
        source_agent: { id: agent },
        payload: { prompt: `step ${i}` },
        performance_metrics: {
          model,
          input_tokens: input,
          output_tokens: output,
          token_cost: cost,
          latency_ms: latency,
          success,
        },
      });
      meta.push({
        user,
        agent,
        type: 'llm_call',
        model,
        cost,
        tokens: input + output,
        latency,
        success,
      });
    }
    const reply = await postJson(
      `${ingest}/v1/events/batch`,
      { events },
      { authorization: `Bearer ${key}` },
    );
    expect(reply.status).toBe(202);
    const results = reply.body.results as Array<{ event_id: string }>;
    results.forEach((result, i) => posted.push({ ...meta[i], event_id: result.event_id }));
  }
  return posted;
}

async function graphql<T>(url: string, token: string, query: string, variables = {}): Promise<T> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (response.status !== 200 || body.errors) {
    throw new Error(`GraphQL answered ${response.status}: ${JSON.stringify(body.errors)}`);
  }
  return body.data as T;
}

const IDS = `query Ids($after: String) {
  events(first: 500, after: $after) { edges { node { eventId userId } } pageInfo { hasNextPage endCursor } }
}`;

async function allIds(url: string, token: string): Promise<Map<string, string | null>> {
  const ids = new Map<string, string | null>();
  let after: string | null = null;
  for (;;) {
    const page: {
      events: {
        edges: Array<{ node: { eventId: string; userId: string | null } }>;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    } = await graphql(url, token, IDS, { after });
    for (const edge of page.events.edges) ids.set(edge.node.eventId, edge.node.userId);
    if (!page.events.pageInfo.hasNextPage) return ids;
    after = page.events.pageInfo.endCursor;
  }
}

const near = (actual: number, expected: number, relative: number) =>
  Math.abs(actual - expected) <= relative * Math.max(1e-12, Math.abs(expected));

/** Nearest-rank percentile, as the histograms count ranks. */
function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

describe('`npm start` with no servers: history over GraphQL on HISTORY_PORT', () => {
  const folder = mkdtempSync(join(tmpdir(), 'auren-quickstart-history-'));
  let env: Record<string, string>;
  let app: AppProcess;
  let ingest: string;
  let history: string;
  let posted: Posted[];

  const start = async () => {
    app = AppProcess.spawn('all-in-one', env);
    await app.ready(`${ingest}/health/ready`);
    await app.ready(`${history}/health/ready`, 60_000);
  };

  beforeAll(async () => {
    const [ingestPort, gatewayPort, historyPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    env = {
      INGEST_PORT: String(ingestPort),
      GATEWAY_PORT: String(gatewayPort),
      HISTORY_PORT: String(historyPort),
      AUREN_HISTORY_DATA_DIR: folder,
      AUREN_JWT_SECRET: SECRET,
      AUREN_API_KEYS: `${KEYS.alice}:alice,${KEYS.bob}:bob`,
    };
    ingest = `http://127.0.0.1:${ingestPort}`;
    history = `http://127.0.0.1:${historyPort}`;
    await start();
    posted = await postCrew(ingest);
    // Written when the admin, who sees everything, finds every posted event.
    await waitFor(async () => (await allIds(history, TOKENS.admin)).size === posted.length, {
      timeoutMs: 30_000,
      what: 'every posted event in the history',
    });
  });
  afterAll(() => app?.stop());

  it('announces the GraphQL endpoint and the embedded engine at start', () => {
    expect(app.text).toContain(`history at ${history}/graphql`);
    expect(app.text).toMatch(/History database: pglite at /);
  });

  it('stores each posted event once, with its owner, and shows a user only theirs and the unowned', async () => {
    const admin = await allIds(history, TOKENS.admin);
    expect([...admin.keys()].sort()).toEqual(posted.map((p) => p.event_id).sort());
    for (const p of posted) expect(admin.get(p.event_id)).toBe(p.user);

    const alice = await allIds(history, TOKENS.alice);
    const expected = posted.filter((p) => p.user !== 'bob').map((p) => p.event_id);
    expect([...alice.keys()].sort()).toEqual(expected.sort());
  });

  it('agentStats, costBreakdown and agents add up to the posted events', async () => {
    const agent = 'researcher';
    const mine = posted.filter((p) => p.agent === agent && p.user !== 'bob');
    const stats = await graphql<{
      agentStats: {
        totals: {
          events: number;
          cost: number;
          tokens: number;
          successes: number;
          failures: number;
          latency: { count: number; p50Ms: number; p95Ms: number };
        };
        models: Array<{ model: string | null; events: number; cost: number }>;
      };
    }>(
      history,
      TOKENS.alice,
      `{ agentStats(agent: "${agent}", bucket: MINUTE) {
          totals { events cost tokens successes failures latency { count p50Ms p95Ms } }
          models { model events cost } } }`,
    );
    const totals = stats.agentStats.totals;
    expect(totals.events).toBe(mine.length);
    expect(
      near(
        totals.cost,
        mine.reduce((s, p) => s + p.cost, 0),
        1e-9,
      ),
    ).toBe(true);
    expect(totals.tokens).toBe(mine.reduce((s, p) => s + p.tokens, 0));
    expect(totals.successes).toBe(mine.filter((p) => p.success).length);
    expect(totals.failures).toBe(mine.filter((p) => p.success === false).length);
    const latencies = mine.map((p) => p.latency as number);
    expect(totals.latency.count).toBe(latencies.length);
    // The histograms' ±5 % (docs/history.md), with a hair of margin for float rounding.
    expect(near(totals.latency.p50Ms, percentile(latencies, 0.5), 0.051)).toBe(true);
    expect(near(totals.latency.p95Ms, percentile(latencies, 0.95), 0.051)).toBe(true);
    for (const model of MODELS) {
      const row = stats.agentStats.models.find((m) => m.model === model);
      expect(row?.events ?? 0).toBe(mine.filter((p) => p.model === model).length);
    }

    const breakdown = await graphql<{
      costBreakdown: { rows: Array<{ model: string | null; cost: number; events: number }> };
    }>(
      history,
      TOKENS.admin,
      `
        {
          costBreakdown(by: [MODEL]) {
            rows {
              model
              cost
              events
            }
          }
        }
      `,
    );
    for (const model of MODELS) {
      const row = breakdown.costBreakdown.rows.find((r) => r.model === model);
      const of = posted.filter((p) => p.model === model);
      expect(row?.events).toBe(of.length);
      expect(
        near(
          row?.cost ?? -1,
          of.reduce((s, p) => s + p.cost, 0),
          1e-9,
        ),
      ).toBe(true);
    }

    const agents = await graphql<{ agents: Array<{ agent: string; events: number }> }>(
      history,
      TOKENS.alice,
      `
        {
          agents {
            agent
            events
          }
        }
      `,
    );
    for (const name of AGENTS) {
      expect(agents.agents.find((a) => a.agent === name)?.events).toBe(
        posted.filter((p) => p.agent === name && p.user !== 'bob').length,
      );
    }
  });

  it("a trace is a run of the viewer's events; another user's trace id answers null", async () => {
    const run = await graphql<{ trace: { nodes: Array<{ event: { eventId: string } }> } | null }>(
      history,
      TOKENS.alice,
      `
        {
          trace(id: "alice-run") {
            nodes {
              event {
                eventId
              }
            }
          }
        }
      `,
    );
    expect(run.trace?.nodes.map((n) => n.event.eventId).sort()).toEqual(
      posted
        .filter((p) => p.user === 'alice')
        .map((p) => p.event_id)
        .sort(),
    );
    const other = await graphql<{ trace: unknown }>(
      history,
      TOKENS.alice,
      `
        {
          trace(id: "bob-run") {
            id
          }
        }
      `,
    );
    expect(other.trace).toBeNull();
  });

  it('keeps the history across a restart on the same data folder', async () => {
    await app.stop();
    await start();
    const admin = await allIds(history, TOKENS.admin);
    expect(admin.size).toBe(posted.length);
  });
});
