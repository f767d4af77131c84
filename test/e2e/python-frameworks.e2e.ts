import { join } from 'node:path';
import type { StreamedEvent } from '@auren/contracts';
import { AppProcess } from '../harness/apps';
import { connectClient, ConnectedClient } from '../harness/clients';
import { freePort } from '../harness/ports';
import { ensureFrameworksVenv, PYTHON_DIR, runPython } from '../harness/python';
import { waitFor } from '../harness/wait';

interface ScenarioStats {
  result: string;
  flushed: boolean;
  sent: number;
  dropped: number;
  failed: number;
  rejected: number;
  handler_errors?: number;
  processor_errors?: number;
  last_agent?: string;
}

const kinds = (events: StreamedEvent[]) =>
  events.map((e) => `${e.source_agent.id} ${e.event_type}`).sort();

/**
 * A real LangGraph graph (two nodes, a tool; langchain-core's fake chat model with token usage)
 * and two real OpenAI Agents SDK agents (a function tool, a handoff; the SDK's OpenAI models
 * against a fake OpenAI API on 127.0.0.1), instrumented with auren.langchain and
 * auren.openai_agents: their events go through a spawned ingest, Redis and a spawned gateway to
 * socket.io-clients.
 */
describe('LangGraph and OpenAI Agents -> Python SDK -> ingest -> Redis -> gateway -> socket.io-client', () => {
  const env = {
    REDIS_URL: process.env.AUREN_TEST_REDIS_URL,
    AUREN_STREAM_KEY: `e2e:frameworks:${Date.now()}`,
  };
  let python: string;
  let ingest: AppProcess;
  let gateway: AppProcess;
  let ingestUrl: string;
  let gatewayUrl: string;
  const clients: ConnectedClient[] = [];

  beforeAll(async () => {
    python = await ensureFrameworksVenv();
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

  async function scenario(script: string): Promise<ScenarioStats> {
    const run = await runPython(
      [join(PYTHON_DIR, 'tests', script), '--ingest', ingestUrl],
      {},
      45_000,
      python,
    );
    if (run.code !== 0) throw new Error(`${script} exited with ${run.code}:\n${run.output}`);
    const stats = JSON.parse(run.output.trim().split('\n').pop() ?? '{}') as ScenarioStats;
    expect(stats).toMatchObject({ flushed: true, dropped: 0, failed: 0, rejected: 0 });
    return stats;
  }

  it('delivers a LangGraph run: node agents, LLM calls with tokens, the tool, the collaboration', async () => {
    const all = await connectClient(gatewayUrl, { token: 'test-token-frameworks' });
    const writerLlm = await connectClient(gatewayUrl, {
      token: 'test-token-frameworks',
      subscriptions: ['llm_usage'],
      agent_filter: ['writer'],
    });
    clients.push(all, writerLlm);

    const stats = await scenario('langgraph_scenario.py');
    expect(stats.result).toBe("Report: 'live events for agents' has 4 words.");
    expect(stats.handler_errors).toBe(0);
    const isGraphDone = (e: StreamedEvent) =>
      e.source_agent.id === 'word_graph' && e.event_type === 'agent_execution_completed';
    await waitFor(() => all.events.length >= stats.sent && all.events.some(isGraphDone), {
      timeoutMs: 15_000,
      what: `${stats.sent} events and the graph's completion`,
    });
    const events = all.events;
    expect(events).toHaveLength(stats.sent);
    expect(kinds(events)).toEqual(
      [
        'word_graph agent_execution_started',
        'word_graph agent_collaboration',
        'word_graph agent_execution_completed',
        'researcher agent_execution_started',
        'researcher llm_call',
        'researcher tool_usage',
        'researcher llm_call',
        'researcher agent_execution_completed',
        'writer agent_execution_started',
        'writer llm_call',
        'writer agent_execution_completed',
      ].sort(),
    );
    // The ingest keeps the SDK's order: one agent's events arrive in the order they happened.
    expect(events[0].event_type).toBe('agent_execution_started');
    expect(events[0].source_agent).toEqual({ id: 'word_graph', role: 'graph', name: 'word_graph' });
    expect(events.at(-1)?.event_type).toBe('agent_execution_completed');

    for (const call of events.filter((e) => e.event_type === 'llm_call')) {
      expect(call.performance_metrics).toMatchObject({
        model: 'fake-chat-1',
        input_tokens: 120,
        output_tokens: 30,
        tokens_used: 150,
        success: true,
      });
      expect(call.metadata).toMatchObject({ source: 'langgraph' });
    }
    const tool = events.find((e) => e.event_type === 'tool_usage');
    expect(tool?.source_agent.id).toBe('researcher');
    expect(tool?.payload).toMatchObject({
      tool_name: 'word_count',
      tool_input: { text: 'live events for agents' },
      tool_output: '4',
    });
    expect(tool?.performance_metrics?.success).toBe(true);
    const researcherStart = events.find(
      (e) => e.source_agent.id === 'researcher' && e.event_type === 'agent_execution_started',
    );
    for (const e of events.filter(
      (x) => x.source_agent.id === 'researcher' && x.event_type !== 'agent_execution_started',
    )) {
      expect(e.session_id).toBe(researcherStart?.session_id);
      expect(e.parent_event_id).toBe(researcherStart?.event_id);
    }
    const collaboration = events.find((e) => e.event_type === 'agent_collaboration');
    expect(collaboration?.payload).toMatchObject({
      primary_agent: 'word_graph',
      collaborating_agents: ['researcher', 'writer'],
      consensus_reached: true,
    });
    expect(new Set(events.map((e) => e.trace_id)).size).toBe(1);
    for (const e of events) expect(e.stream_id).toMatch(/^\d+-\d+$/);

    // Subscription and agent filter apply: the filtered client got the writer's LLM call only.
    await waitFor(() => writerLlm.events.length >= 1, { what: "the writer's llm_call" });
    expect(kinds(writerLlm.events)).toEqual(['writer llm_call']);
    expect(writerLlm.events[0].performance_metrics?.tokens_used).toBe(150);
  }, 60_000);

  it('delivers an OpenAI Agents run: both agents, generation and response tokens, the tool, the handoff edge', async () => {
    const all = await connectClient(gatewayUrl, { token: 'test-token-frameworks' });
    const collaboration = await connectClient(gatewayUrl, {
      token: 'test-token-frameworks',
      subscriptions: ['agent_collaboration'],
    });
    clients.push(all, collaboration);

    const stats = await scenario('openai_agents_scenario.py');
    expect(stats).toMatchObject({
      result: "Report: 'live events for agents' has 4 words.",
      last_agent: 'Report Writer',
      processor_errors: 0,
    });
    const isWorkflowDone = (e: StreamedEvent) =>
      e.source_agent.id === 'word_handoff' && e.event_type === 'agent_execution_completed';
    await waitFor(() => all.events.length >= stats.sent && all.events.some(isWorkflowDone), {
      timeoutMs: 15_000,
      what: `${stats.sent} events and the workflow's completion`,
    });
    const events = all.events;
    expect(events).toHaveLength(stats.sent);
    expect(kinds(events)).toEqual(
      [
        'word_handoff agent_execution_started',
        'word_handoff agent_execution_completed',
        'research_analyst agent_execution_started',
        'research_analyst llm_call',
        'research_analyst tool_usage',
        'research_analyst llm_call',
        'research_analyst agent_collaboration',
        'research_analyst agent_execution_completed',
        'report_writer agent_execution_started',
        'report_writer llm_call',
        'report_writer agent_execution_completed',
      ].sort(),
    );

    const calls = events.filter((e) => e.event_type === 'llm_call');
    for (const call of calls.filter((e) => e.source_agent.id === 'research_analyst'))
      expect(call.performance_metrics).toMatchObject({
        model: 'fake-chat-1',
        input_tokens: 120,
        output_tokens: 30,
        tokens_used: 150,
        success: true,
      });
    const answer = calls.find((e) => e.source_agent.id === 'report_writer');
    expect(answer?.performance_metrics).toMatchObject({
      model: 'fake-resp-1',
      input_tokens: 200,
      output_tokens: 12,
      tokens_used: 212,
      success: true,
    });
    expect(answer?.metadata).toMatchObject({ source: 'openai_agents', span_type: 'response' });
    const tool = events.find((e) => e.event_type === 'tool_usage');
    expect(tool?.source_agent.id).toBe('research_analyst');
    expect(tool?.payload).toMatchObject({ tool_name: 'word_count', tool_output: '4' });

    // The handoff is a collaboration edge from the researcher to the writer.
    const edge = {
      source: 'research_analyst',
      target: 'report_writer',
      payload: {
        primary_agent: 'research_analyst',
        collaborating_agents: ['report_writer'],
        consensus_reached: true,
        topic: 'handoff',
      },
    };
    const handoff = events.find((e) => e.event_type === 'agent_collaboration');
    expect({
      source: handoff?.source_agent.id,
      target: handoff?.target_agent?.id,
      payload: handoff?.payload,
    }).toEqual(edge);
    await waitFor(() => collaboration.events.length >= 1, {
      what: 'the handoff on agent_collaboration',
    });
    expect(collaboration.events.map((e) => e.event_id)).toEqual([handoff?.event_id]);

    const trace = new Set(events.map((e) => e.trace_id));
    expect(trace.size).toBe(1);
    expect([...trace][0]).toMatch(/^trace_[0-9a-f]{32}$/);
    const writerStart = events.find(
      (e) => e.source_agent.id === 'report_writer' && e.event_type === 'agent_execution_started',
    );
    const workflowStart = events.find(
      (e) => e.source_agent.id === 'word_handoff' && e.event_type === 'agent_execution_started',
    );
    expect(writerStart?.parent_event_id).toBe(workflowStart?.event_id);
    expect(answer?.parent_event_id).toBe(writerStart?.event_id);
  }, 60_000);
});
