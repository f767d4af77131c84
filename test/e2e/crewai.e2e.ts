import { join } from 'node:path';
import type { StreamedEvent } from '@auren/contracts';
import { AppProcess } from '../harness/apps';
import { connectClient, ConnectedClient } from '../harness/clients';
import { freePort } from '../harness/ports';
import { ensurePythonVenv, PYTHON_DIR, runPython } from '../harness/python';
import { waitFor } from '../harness/wait';

const RESEARCHER = 'research_analyst';
const WRITER = 'report_writer';
const CREW = 'crew_word_desk';

/**
 * A real CrewAI crew (crewai from PyPI, offline with a deterministic LLM, two agents, two tasks,
 * one tool) instrumented with AurenCrewAIListener: its events go through a spawned ingest, Redis
 * and a spawned gateway to socket.io-clients.
 */
describe('CrewAI crew -> Python SDK -> ingest -> Redis -> gateway -> socket.io-client', () => {
  const env = {
    REDIS_URL: process.env.AUREN_TEST_REDIS_URL,
    AUREN_STREAM_KEY: `e2e:crewai:${Date.now()}`,
  };
  let ingest: AppProcess;
  let gateway: AppProcess;
  let ingestUrl: string;
  let gatewayUrl: string;
  const clients: ConnectedClient[] = [];

  beforeAll(async () => {
    await ensurePythonVenv();
    const [ingestPort, gatewayPort] = [await freePort(), await freePort()];
    ingest = AppProcess.spawn('ingest', {
      ...env,
      INGEST_PORT: String(ingestPort),
      GRPC_PORT: String(await freePort()),
    });
    gateway = AppProcess.spawn('gateway', { ...env, GATEWAY_PORT: String(gatewayPort) });
    ingestUrl = `http://127.0.0.1:${ingestPort}`;
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    await ingest.ready(`${ingestUrl}/health/ready`);
    await gateway.ready(`${gatewayUrl}/health/ready`);
  }, 15 * 60_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await Promise.all([ingest, gateway].map((p) => p?.stop()));
  });

  it('delivers the crew run with the right agents, event types and token counts', async () => {
    const all = await connectClient(gatewayUrl, { token: 'test-token-crewai' });
    const llmOnly = await connectClient(gatewayUrl, {
      token: 'test-token-crewai',
      subscriptions: ['llm_usage'],
      agent_filter: [WRITER],
    });
    clients.push(all, llmOnly);

    const run = await runPython(
      [join(PYTHON_DIR, 'tests', 'crew_scenario.py'), '--ingest', ingestUrl],
      {},
      60_000,
    );
    if (run.code !== 0) throw new Error(`the crew run exited with ${run.code}:\n${run.output}`);
    const isCrewDone = (e: StreamedEvent) =>
      e.source_agent.id === CREW && e.event_type === 'agent_execution_completed';
    const stats = JSON.parse(run.output.trim().split('\n').pop() ?? '{}') as Record<
      string,
      unknown
    >;
    expect(stats).toMatchObject({
      flushed: true,
      listener_errors: 0,
      dropped: 0,
      failed: 0,
      rejected: 0,
    });
    expect(stats.result).toContain('4 words');

    // Everything the SDK sent (its handlers run on CrewAI's thread pool, so the crew's completion
    // need not be last in the stream).
    const sent = stats.sent as number;
    await waitFor(() => all.events.length >= sent && all.events.some(isCrewDone), {
      timeoutMs: 20_000,
      what: `${sent} events and the crew completion`,
    });
    const events = all.events;
    expect(events).toHaveLength(sent);

    const kinds = events.map((e) => `${e.source_agent.id} ${e.event_type}`).sort();
    expect(kinds).toEqual(
      [
        `${CREW} agent_execution_started`,
        `${CREW} agent_collaboration`,
        `${CREW} agent_execution_completed`,
        ...[
          'custom.task_started',
          'agent_execution_started',
          'llm_call',
          'tool_usage',
          'llm_call',
        ].map((t) => `${RESEARCHER} ${t}`),
        `${RESEARCHER} agent_execution_completed`,
        `${RESEARCHER} custom.task_completed`,
        ...['custom.task_started', 'agent_execution_started', 'llm_call'].map(
          (t) => `${WRITER} ${t}`,
        ),
        `${WRITER} agent_execution_completed`,
        `${WRITER} custom.task_completed`,
      ].sort(),
    );

    const llmCalls = events.filter((e) => e.event_type === 'llm_call');
    for (const call of llmCalls) {
      expect(call.performance_metrics).toMatchObject({
        model: 'fake-react-1',
        input_tokens: 120,
        output_tokens: 30,
        tokens_used: 150,
        success: true,
      });
      expect(call.performance_metrics?.latency_ms).toBeGreaterThanOrEqual(0);
    }
    const tool = events.find((e) => e.event_type === 'tool_usage');
    expect(tool?.payload).toMatchObject({ tool_name: 'word_count', tool_output: '4' });
    expect(tool?.performance_metrics).toMatchObject({ success: true });
    expect(tool?.performance_metrics?.latency_ms).toBeGreaterThanOrEqual(0);
    const collaboration = events.find((e) => e.event_type === 'agent_collaboration');
    expect(collaboration?.payload).toEqual({
      primary_agent: CREW,
      collaborating_agents: [RESEARCHER, WRITER],
      consensus_reached: true,
    });
    const researcherStart = events.find(
      (e) => e.source_agent.id === RESEARCHER && e.event_type === 'agent_execution_started',
    );
    expect(researcherStart?.source_agent.role).toBe('Research Analyst');
    for (const e of events.filter(
      (x) => x.source_agent.id === RESEARCHER && x.event_type === 'llm_call',
    ))
      expect(e.session_id).toBe(researcherStart?.session_id);
    expect(new Set(events.map((e) => e.trace_id)).size).toBe(1);
    for (const e of events) expect(e.stream_id).toMatch(/^\d+-\d+$/);

    // Routing applies to SDK events like to any: the filtered client got the writer's LLM call only.
    await waitFor(() => llmOnly.events.length >= 1, { what: "the writer's llm_call" });
    expect(llmOnly.events.map((e) => `${e.source_agent.id} ${e.event_type}`)).toEqual([
      `${WRITER} llm_call`,
    ]);
    expect(llmOnly.events[0].performance_metrics?.tokens_used).toBe(150);
  }, 90_000);
});
