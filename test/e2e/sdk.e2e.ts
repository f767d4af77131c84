import { AurenClient, AurenError } from '@auren/sdk';
import { AppProcess } from '../harness/apps';
import { connectClient, ConnectedClient } from '../harness/clients';
import { freePort } from '../harness/ports';
import { waitFor } from '../harness/wait';

/** One agent task through every track* call; returns the event ids in the order sent. */
function agentTask(auren: AurenClient, agentId: string): { ids: string[]; sessionId: string } {
  const agent = { id: agentId, role: 'Researcher' };
  const start = auren.trackAgentStart(agent, { task: 'e2e' });
  const ids = [
    start.eventId,
    auren.trackLlmCall(agent, {
      model: 'm',
      inputTokens: 5,
      outputTokens: 7,
      cost: 0.0001,
      latencyMs: 30,
    }).eventId,
    auren.trackToolUsage(agent, { tool: 'search' }).eventId,
    auren.trackMemoryAccess(agent, { tier: 'redis', operation: 'read', hit: true }).eventId,
    auren.trackKnowledgeAccess(agent, { source: 'graph' }).eventId,
    auren.trackHypothesis(agent, { statement: 'h' }).eventId,
    auren.trackDecision(agent, { decision: 'd', confidence: 0.9 }).eventId,
    auren.trackCollaboration(agent, { collaboratingAgents: ['other'], consensusReached: true })
      .eventId,
    auren.trackAgentComplete(agent).eventId,
  ];
  return { ids, sessionId: start.sessionId };
}

describe('SDK → ingest process → Redis → gateway process → socket.io-client', () => {
  const redisUrl = process.env.AUREN_TEST_REDIS_URL as string;
  let ingest: AppProcess;
  let gateway: AppProcess;
  let ingestUrl: string;
  let grpcTarget: string;
  let client: ConnectedClient;

  beforeAll(async () => {
    const env = { REDIS_URL: redisUrl, AUREN_STREAM_KEY: `e2e-sdk:${Date.now()}` };
    const [ingestPort, grpcPort, gatewayPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    ingest = AppProcess.spawn('ingest', {
      ...env,
      INGEST_PORT: String(ingestPort),
      GRPC_PORT: String(grpcPort),
    });
    gateway = AppProcess.spawn('gateway', { ...env, GATEWAY_PORT: String(gatewayPort) });
    ingestUrl = `http://127.0.0.1:${ingestPort}`;
    grpcTarget = `127.0.0.1:${grpcPort}`;
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    await Promise.all([
      ingest.ready(`${ingestUrl}/health/ready`),
      gateway.ready(`${gatewayUrl}/health/ready`),
    ]);
    client = await connectClient(gatewayUrl, {
      token: 'test-token-sdk',
      agent_filter: ['sdk-http', 'sdk-grpc'],
    });
  });
  afterAll(async () => {
    client?.close();
    await Promise.all([ingest?.stop(), gateway?.stop()]);
  });

  it.each([
    ['http', 'sdk-http'],
    ['grpc', 'sdk-grpc'],
  ] as const)(
    'over %s, the dashboard sees every tracked event once, in order, with the run ids',
    async (transport, agentId) => {
      const errors: AurenError[] = [];
      const auren = new AurenClient({
        url: transport === 'http' ? ingestUrl : grpcTarget,
        transport,
        apiKey: 'test-key',
        exitFlushTimeoutMs: 0,
        onError: (e) => errors.push(e),
      });
      const { ids, sessionId } = agentTask(auren, agentId);
      const stats = await auren.close();
      expect(errors).toEqual([]);
      expect(stats).toMatchObject({ sent: ids.length, dropped: 0, rejected: 0 });

      const seen = await waitFor(
        () => {
          const mine = client.events.filter((e) => e.source_agent.id === agentId);
          return mine.length >= ids.length && mine;
        },
        { timeoutMs: 20_000, what: `${ids.length} ${transport} events at the socket.io client` },
      );
      expect(seen.map((e) => e.event_id)).toEqual(ids);
      expect(seen.every((e) => e.session_id === sessionId && typeof e.stream_id === 'string')).toBe(
        true,
      );
      expect(seen.find((e) => e.event_type === 'agent_collaboration')?.payload).toEqual({
        primary_agent: agentId,
        collaborating_agents: ['other'],
        consensus_reached: true,
      });
    },
  );
});
