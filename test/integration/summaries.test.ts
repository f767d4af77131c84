import Redis from 'ioredis';
import type { AurenConfig } from '@auren/config';
import type { PerformanceSummaryMessage } from '@auren/contracts';
import { postJson, RunningApp, startGateway, startIngest, testConfig } from '../harness/apps';
import { connectClient, ConnectedClient } from '../harness/clients';
import { waitFor } from '../harness/wait';
import { signHs } from '../harness/jwt';

/**
 * Summaries end to end: events posted through ingest, figures read back from `GET /v1/summary`
 * and from the `performance_summary` broadcast, on a gateway that saw them live and on one that
 * only saw them through warm-up. Every expected figure is written out by hand below.
 */

const SECRET = 'summaries-secret-summaries-secret-0123456';
const aliceToken = signHs({ sub: 'alice' }, SECRET);

const run = `sum-${Date.now()}`;
const id = (n: number) => `${run}-${n}`;

/** The scripted events, in the order they are posted (one batch: one stream order). */
const EVENTS = [
  {
    event_id: id(1),
    event_type: 'llm_call',
    source_agent: { id: 'analyst' },
    performance_metrics: {
      latency_ms: 120,
      success: true,
      input_tokens: 300,
      output_tokens: 100,
      token_cost: 0.004,
      model: 'gpt-4o',
    },
  },
  {
    event_id: id(2),
    event_type: 'llm_call',
    user_id: 'alice',
    source_agent: { id: 'analyst' },
    performance_metrics: {
      latency_ms: 80,
      success: false,
      tokens_used: 250,
      token_cost: 0.0025,
      model: 'gpt-4o-mini',
    },
  },
  {
    event_id: id(3),
    event_type: 'llm_call',
    user_id: 'bob',
    source_agent: { id: 'analyst' },
    performance_metrics: {
      latency_ms: 200,
      success: true,
      tokens_used: 1000,
      token_cost: 0.02,
      model: 'gpt-4o',
    },
  },
  {
    event_id: id(4),
    event_type: 'tool_usage',
    user_id: 'alice',
    source_agent: { id: 'writer' },
    performance_metrics: { latency_ms: 40, success: true },
  },
  {
    event_id: id(5),
    event_type: 'agent_collaboration',
    source_agent: { id: 'planner' },
    target_agent: { id: 'reviewer' },
    payload: {
      primary_agent: 'planner',
      collaborating_agents: ['analyst', 'writer'],
      consensus_reached: true,
    },
  },
  {
    event_id: id(6),
    event_type: 'agent_collaboration',
    user_id: 'bob',
    source_agent: { id: 'planner' },
    payload: { collaborating_agents: ['critic'], consensus_reached: false },
  },
  { event_id: id(7), event_type: 'agent_decision', source_agent: { id: 'writer' } },
];

type Figures = Pick<PerformanceSummaryMessage['data'], 'agents' | 'collaboration'>;

/** received_at of each scripted event, as ingest stored it (the figures' timestamps). */
async function receivedAt(config: AurenConfig): Promise<Map<string, string>> {
  const redis = new Redis(process.env.AUREN_TEST_REDIS_URL as string);
  try {
    const entries = await redis.xrange(config.stream.key, '-', '+');
    const found = new Map<string, string>();
    for (const [, fields] of entries) {
      const event = JSON.parse(fields[1]) as { event_id: string; received_at: string };
      found.set(event.event_id, event.received_at);
    }
    return found;
  } finally {
    redis.disconnect();
  }
}

/** What a viewer with the `all` permission sees (test tokens have it). */
function everyoneFigures(at: (n: number) => string): Figures {
  return {
    agents: {
      analyst: {
        total_operations: 3, // events 1, 2, 3
        average_latency_ms: 133.333333, // (120 + 80 + 200) / 3 = 133.333…
        success_rate: 0.666667, // 1 and 3 succeeded: 2 / 3
        total_tokens: 1650, // (300 + 100) + 250 + 1000
        total_token_cost: 0.0265, // 0.004 + 0.0025 + 0.02
        last_update: at(3),
        models: {
          'gpt-4o': { calls: 2, total_tokens: 1400, total_token_cost: 0.024 }, // 400 + 1000, 0.004 + 0.02
          'gpt-4o-mini': { calls: 1, total_tokens: 250, total_token_cost: 0.0025 },
        },
      },
      writer: {
        total_operations: 1, // event 4; event 7 has no metrics
        average_latency_ms: 40,
        success_rate: 1, // 1 / 1
        total_tokens: 0,
        total_token_cost: 0,
        last_update: at(7),
        models: {},
      },
      planner: {
        total_operations: 0, // collaboration events without metrics
        average_latency_ms: 0,
        success_rate: 1, // no success reported
        total_tokens: 0,
        total_token_cost: 0,
        last_update: at(6),
        models: {},
      },
    },
    collaboration: {
      planner: {
        total_collaborations: 2, // events 5 and 6 (6 has no primary_agent: its source)
        success_rate: 0.5, // 5 reached consensus: 1 / 2
        unique_partners: 4, // analyst, writer, reviewer (target), critic
        last_collaboration: at(6),
      },
    },
  };
}

/** What alice (a JWT without the `all` permission) sees: unowned events and her own. */
function aliceFigures(at: (n: number) => string): Figures {
  return {
    agents: {
      analyst: {
        total_operations: 2, // events 1 (unowned) and 2 (alice)
        average_latency_ms: 100, // (120 + 80) / 2
        success_rate: 0.5, // 1 / 2
        total_tokens: 650, // (300 + 100) + 250
        total_token_cost: 0.0065, // 0.004 + 0.0025
        last_update: at(2),
        models: {
          'gpt-4o': { calls: 1, total_tokens: 400, total_token_cost: 0.004 },
          'gpt-4o-mini': { calls: 1, total_tokens: 250, total_token_cost: 0.0025 },
        },
      },
      writer: {
        total_operations: 1, // event 4 (alice)
        average_latency_ms: 40,
        success_rate: 1,
        total_tokens: 0,
        total_token_cost: 0,
        last_update: at(7), // event 7 is unowned
        models: {},
      },
      planner: {
        total_operations: 0,
        average_latency_ms: 0,
        success_rate: 1,
        total_tokens: 0,
        total_token_cost: 0,
        last_update: at(5), // event 6 is bob's
        models: {},
      },
    },
    collaboration: {
      planner: {
        total_collaborations: 1, // event 5 only
        success_rate: 1,
        unique_partners: 3, // analyst, writer, reviewer
        last_collaboration: at(5),
      },
    },
  };
}

async function getSummary(
  url: string,
  token?: string,
  query = '',
): Promise<{ status: number; body: PerformanceSummaryMessage & Record<string, unknown> }> {
  const response = await fetch(`${url}/v1/summary${query}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return {
    status: response.status,
    body: (await response.json()) as PerformanceSummaryMessage & Record<string, unknown>,
  };
}

const figuresOf = (message: PerformanceSummaryMessage): Figures => ({
  agents: message.data.agents,
  collaboration: message.data.collaboration,
});

describe('Summaries with a real Redis', () => {
  let config: AurenConfig;
  let ingest: RunningApp;
  let gateway: RunningApp;
  let late: RunningApp | undefined;
  let subscriber: ConnectedClient;
  const summaries: PerformanceSummaryMessage[] = [];
  let at: (n: number) => string;

  beforeAll(async () => {
    config = await testConfig({ AUREN_JWT_SECRET: SECRET, AUREN_SUMMARY_INTERVAL_MS: '200' });
    ingest = await startIngest(config);
    gateway = await startGateway(config);
    subscriber = await connectClient(gateway.url, {
      token: 'test-token',
      subscriptions: ['agent_performance'],
    });
    subscriber.socket.on('performance_summary', (message) => summaries.push(message));

    const reply = await postJson(`${ingest.url}/v1/events/batch`, { events: EVENTS });
    expect(reply.status).toBe(202);
    const stored = await receivedAt(config);
    at = (n: number) => stored.get(id(n)) as string;
    expect(EVENTS.map((e) => stored.has(e.event_id))).toEqual(EVENTS.map(() => true));
    // The gateway has applied every event once the last one shows in the figures.
    await waitFor(
      async () =>
        (await getSummary(gateway.url, 'test-token')).body.data?.agents.writer?.last_update ===
        at(7),
      { what: 'the gateway to apply the last scripted event' },
    );
  });

  afterAll(async () => {
    subscriber?.close();
    await late?.close();
    await gateway?.close();
    await ingest?.close();
  });

  it('GET /v1/summary answers the hand-computed figures', async () => {
    const { status, body } = await getSummary(gateway.url, 'test-token');
    expect(status).toBe(200);
    expect(body.type).toBe('performance_summary');
    expect(Date.parse(body.timestamp)).not.toBeNaN();
    expect(figuresOf(body)).toEqual(everyoneFigures(at));
    expect(body.data.system).toEqual({
      active_connections: 1, // the subscriber
      events_received: 7, // this gateway read the seven events live
      events_sent: 4, // the subscriber (agent_performance) got the events with metrics: 1..4
      uptime_seconds: expect.any(Number),
    });
  });

  it('broadcasts the same figures to agent_performance subscribers', async () => {
    const message = await waitFor(
      () => summaries.find((s) => s.data.agents.writer?.last_update === at(7)),
      { what: 'a performance_summary that includes the last event' },
    );
    expect(message.type).toBe('performance_summary');
    expect(figuresOf(message)).toEqual(everyoneFigures(at));
  });

  it('a gateway started after the events computes the same figures through warm-up', async () => {
    late = await startGateway({
      ...config,
      gatewayPort: (await testConfig()).gatewayPort,
    });
    const { status, body } = await getSummary(late.url, 'test-token');
    expect(status).toBe(200);
    expect(figuresOf(body)).toEqual(everyoneFigures(at));
    expect(body.data.system.events_received).toBe(0); // nothing live: all from warm-up
    expect(body.data.system.active_connections).toBe(0);
  });

  it('shows a user without the all permission only its own and unowned events', async () => {
    const { status, body } = await getSummary(gateway.url, aliceToken);
    expect(status).toBe(200);
    expect(figuresOf(body)).toEqual(aliceFigures(at));
  });

  it('applies agent_filter from the query', async () => {
    const { body } = await getSummary(gateway.url, aliceToken, '?agent_filter=analyst,nobody');
    expect(body.data.agents).toEqual({ analyst: aliceFigures(at).agents.analyst });
    expect(body.data.collaboration).toEqual({}); // the collaborations' source is planner
  });

  it('answers 401 with the contract error body without a valid credential', async () => {
    for (const token of [undefined, 'not-a-valid-token']) {
      const { status, body } = await getSummary(gateway.url, token);
      expect(status).toBe(401);
      expect(body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: expect.stringMatching(/\w{5}/),
      });
    }
  });
});
