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
const CUSTOM_CREW = 'crew_custom_desk';

/**
 * Real CrewAI crews (crewai from PyPI, offline with deterministic LLMs, two agents, two tasks,
 * one tool) instrumented with AurenCrewAIListener: their events go through a spawned ingest, Redis
 * and a spawned gateway to socket.io-clients. One crew's LLM emits CrewAI's LLM events (as
 * CrewAI's providers do); the other's is a custom BaseLLM written as CrewAI's guide shows, which
 * emits none (clients/python/tests/crew_scenario.py).
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

  it('delivers both crew runs (CrewAI-style LLM events and a custom BaseLLM without events) with agents, tokens and task links', async () => {
    const all = await connectClient(gatewayUrl, { token: 'test-token-crewai' });
    const llmOnly = await connectClient(gatewayUrl, {
      token: 'test-token-crewai',
      subscriptions: ['llm_usage'],
      agent_filter: [WRITER],
    });
    clients.push(all, llmOnly);

    // One process, two crews (importing CrewAI takes seconds, a crew run a fraction of one).
    const run = await runPython(
      [
        join(PYTHON_DIR, 'tests', 'crew_scenario.py'),
        '--ingest',
        ingestUrl,
        '--crews',
        'word,custom',
      ],
      {},
      60_000,
    );
    if (run.code !== 0) throw new Error(`the crew run exited with ${run.code}:\n${run.output}`);
    const stats = JSON.parse(run.output.trim().split('\n').pop() ?? '{}') as {
      crews: Record<string, { result: string; crewai_total_tokens: number }>;
      listener: Record<string, number>;
      sent: number;
    } & Record<string, unknown>;
    expect(stats).toMatchObject({ flushed: true, dropped: 0, failed: 0, rejected: 0 });
    expect(stats.listener).toMatchObject({
      errors: 0,
      unmapped: 0,
      llm_calls: 6,
      llm_calls_from_hooks: 3, // the custom LLM's calls, seen through CrewAI's LLM call hooks
      llm_paired_by_call_id: 3,
      llm_pending: 0,
    });
    for (const crew of Object.values(stats.crews)) expect(crew.result).toContain('4 words');
    // CrewAI's own totals count the LLM the two agents share twice: 2 x 450 and 2 x 720.
    expect(stats.crews['word desk'].crewai_total_tokens).toBe(900);
    expect(stats.crews['custom desk'].crewai_total_tokens).toBe(1440);

    // Everything the SDK sent (its handlers run on CrewAI's thread pool, so a crew's completion
    // need not be last in the stream).
    const isCrewDone = (crew: string) => (e: StreamedEvent) =>
      e.source_agent.id === crew && e.event_type === 'agent_execution_completed';
    await waitFor(
      () =>
        all.events.length >= stats.sent &&
        all.events.some(isCrewDone(CREW)) &&
        all.events.some(isCrewDone(CUSTOM_CREW)),
      { timeoutMs: 20_000, what: `${stats.sent} events and both crew completions` },
    );
    expect(all.events).toHaveLength(stats.sent);
    for (const e of all.events) expect(e.stream_id).toMatch(/^\d+-\d+$/);

    const crews = [
      // FakeLLM: 120 + 30 a call, from the usage of its LLMCallCompletedEvent.
      { crew: CREW, model: 'fake-react-1', input: 120, output: 30 },
      // CustomLLM: 200 + 40 a call, from CrewAI's usage counters around each call.
      { crew: CUSTOM_CREW, model: 'custom-react-1', input: 200, output: 40 },
    ];
    for (const { crew, model, input, output } of crews) {
      const perCall = input + output;
      const start = all.events.find(
        (e) => e.source_agent.id === crew && e.event_type === 'agent_execution_started',
      );
      const events = all.events.filter((e) => e.trace_id === start?.trace_id);
      const of = (agent: string, type: string) =>
        events.filter((e) => e.source_agent.id === agent && e.event_type === type);

      expect(events.map((e) => `${e.source_agent.id} ${e.event_type}`).sort()).toEqual(
        [
          `${crew} agent_execution_started`,
          `${crew} agent_collaboration`,
          `${crew} agent_execution_completed`,
          ...[
            'custom.task_started',
            'agent_execution_started',
            'llm_call',
            'tool_usage',
            'llm_call',
            'agent_execution_completed',
            'custom.task_completed',
          ].map((t) => `${RESEARCHER} ${t}`),
          ...[
            'custom.task_started',
            'agent_execution_started',
            'llm_call',
            'agent_execution_completed',
            'custom.task_completed',
          ].map((t) => `${WRITER} ${t}`),
        ].sort(),
      );

      for (const agent of [RESEARCHER, WRITER]) {
        const [agentStart] = of(agent, 'agent_execution_started');
        for (const call of of(agent, 'llm_call')) {
          expect(call.performance_metrics).toMatchObject({
            model,
            input_tokens: input,
            output_tokens: output,
            tokens_used: perCall,
            success: true,
          });
          expect(call.performance_metrics?.latency_ms).toBeGreaterThanOrEqual(0);
          expect(call.session_id).toBe(agentStart.session_id);
          expect(call.parent_event_id).toBe(agentStart.event_id);
        }
        // Task events name the agent run that executes the task.
        const [taskStart] = of(agent, 'custom.task_started');
        const [taskDone] = of(agent, 'custom.task_completed');
        for (const taskEvent of [taskStart, taskDone]) {
          expect(taskEvent.session_id).toBe(agentStart.session_id);
          expect(taskEvent.payload).toMatchObject({ agent_run_event_id: agentStart.event_id });
        }
        expect(taskDone.parent_event_id).toBe(taskStart.event_id);
      }
      expect(of(RESEARCHER, 'agent_execution_started')[0].source_agent.role).toBe(
        'Research Analyst',
      );
      const [tool] = of(RESEARCHER, 'tool_usage');
      expect(tool.payload).toMatchObject({ tool_name: 'word_count', tool_output: '4' });
      expect(tool.performance_metrics).toMatchObject({ success: true });
      const [collaboration] = of(crew, 'agent_collaboration');
      expect(collaboration.payload).toEqual({
        primary_agent: crew,
        collaborating_agents: [RESEARCHER, WRITER],
        consensus_reached: true,
      });
      // The real token count of the kickoff, beside CrewAI's double one.
      const [crewDone] = of(crew, 'agent_execution_completed');
      expect(crewDone.payload).toMatchObject({
        crewai_total_tokens: 3 * perCall,
        crewai_reported_total_tokens: 2 * 3 * perCall,
        llm_call_tokens: 3 * perCall,
      });
    }

    // Routing applies to SDK events like to any: the filtered client got the writer's LLM calls only.
    await waitFor(() => llmOnly.events.length >= 2, { what: "the writers' llm_call events" });
    expect(llmOnly.events.map((e) => `${e.source_agent.id} ${e.event_type}`)).toEqual([
      `${WRITER} llm_call`,
      `${WRITER} llm_call`,
    ]);
    expect(llmOnly.events.map((e) => e.performance_metrics?.tokens_used)).toEqual([150, 240]);
  }, 90_000);
});
