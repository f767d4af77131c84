import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StreamedEvent } from '@auren/contracts';
import { AppProcess } from '../harness/apps';
import { connectClient, ConnectedClient } from '../harness/clients';
import { freePort } from '../harness/ports';
import { ensureVenv, VENVS } from '../harness/python';

const HARNESS = join(__dirname, '..', 'harness', 'otel-python');

interface ExportAnswer {
  status: number;
  rejected_spans: number;
  error_message: string;
}
interface AppRun {
  trace_id: string;
  flushed: boolean;
  requests: { chat: number; embeddings: number };
  exports: ExportAnswer[];
}

/**
 * Runs one of the instrumented apps of test/harness/otel-python in the venv, with nothing of
 * this process's environment but PATH: no proxy variables (the apps talk to 127.0.0.1 only),
 * a throw-away HOME, and the OTEL_* variables an operator would set.
 */
function runApp(python: string, script: string, env: Record<string, string>): Promise<AppRun> {
  const home = mkdtempSync(join(tmpdir(), 'auren-otel-py-'));
  return new Promise<AppRun>((resolve, reject) => {
    const child = spawn(python, [join(HARNESS, script)], {
      cwd: HARNESS,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: home,
        PYTHONDONTWRITEBYTECODE: '1',
        PYTHONUNBUFFERED: '1',
        TRACELOOP_TELEMETRY: 'false',
        // One export at the end (force_flush), so child spans find their agent span in it.
        OTEL_BSP_SCHEDULE_DELAY: '60000',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} ran over 30 s:\n${output}`));
    }, 30_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const last = output.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{'))
        reject(new Error(`${script} exited with ${code}:\n${output}`));
      else resolve(JSON.parse(last) as AppRun);
    });
  }).finally(() => rmSync(home, { recursive: true, force: true }));
}

const byKind = (events: StreamedEvent[]) =>
  events.map((e) => `${e.source_agent.id} ${e.event_type}`).sort();

/**
 * The instrumentations people install, from PyPI (test/harness/otel-python/requirements.txt):
 * an OpenLLMetry app (traceloop-sdk decorators + its OpenAI instrumentation) and an
 * OpenInference app (openinference-instrumentation-openai + OITracer) call a fake
 * OpenAI-compatible server on 127.0.0.1 and export OTLP/protobuf to a spawned ingest; a
 * socket.io-client on a spawned gateway receives the agent events.
 */
describe('OpenLLMetry and OpenInference apps → OTLP → ingest → Redis → gateway → client', () => {
  const env = {
    REDIS_URL: process.env.AUREN_TEST_REDIS_URL as string,
    AUREN_STREAM_KEY: `e2e-otlp-python:${Date.now()}`,
  };
  let python: string;
  let ingest: AppProcess;
  let gateway: AppProcess;
  let ingestUrl: string;
  let gatewayUrl: string;
  const clients: ConnectedClient[] = [];

  beforeAll(async () => {
    python = await ensureVenv(VENVS.otel);
    const [ingestPort, gatewayPort] = [await freePort(), await freePort()];
    ingest = AppProcess.spawn('ingest', { ...env, INGEST_PORT: String(ingestPort) });
    gateway = AppProcess.spawn('gateway', { ...env, GATEWAY_PORT: String(gatewayPort) });
    ingestUrl = `http://127.0.0.1:${ingestPort}`;
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    await ingest.ready(`${ingestUrl}/health/ready`);
    await gateway.ready(`${gatewayUrl}/health/ready`);
  }, 15 * 60_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all([ingest, gateway].map((p) => p?.stop()));
  });

  const otel = (service: string) => ({
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${ingestUrl}/v1/traces`,
    OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20test-key-otel-python',
    OTEL_SERVICE_NAME: service,
  });

  it('turns an OpenLLMetry workflow, task, agent, tool and chat call into agent events', async () => {
    const client = await connectClient(gatewayUrl, {
      token: 'test-token-openllmetry',
      agent_filter: ['tl_research_flow', 'tl_researcher'],
    });
    clients.push(client);

    const run = await runApp(python, 'openllmetry_app.py', otel('openllmetry-e2e'));
    expect(run.requests.chat).toBe(1);
    // Every span maps to an event: one export, nothing refused.
    expect(run.exports).toEqual([{ status: 200, rejected_spans: 0, error_message: '' }]);

    const events = await client.waitForEvents(8, 20_000);
    expect(byKind(events)).toEqual(
      [
        'tl_research_flow agent_execution_started',
        'tl_research_flow agent_execution_completed',
        'tl_research_flow custom.task_started',
        'tl_research_flow custom.task_completed',
        'tl_researcher agent_execution_started',
        'tl_researcher agent_execution_completed',
        'tl_researcher llm_call',
        'tl_researcher tool_usage',
      ].sort(),
    );
    for (const e of events) {
      expect(e.trace_id).toBe(run.trace_id);
      expect(e.metadata).toMatchObject({
        source: 'otlp',
        otel: { service_name: 'openllmetry-e2e' },
      });
    }
    const llm = events.find((e) => e.event_type === 'llm_call');
    expect(llm?.payload).toMatchObject({
      operation: 'chat',
      provider: 'openai',
      request_model: 'gpt-4o-mini',
      response_model: 'gpt-4o-mini-2024-08-06',
    });
    expect(llm?.performance_metrics).toMatchObject({
      input_tokens: 12,
      output_tokens: 5,
      tokens_used: 17,
      model: 'gpt-4o-mini-2024-08-06',
      success: true,
    });
    const tool = events.find((e) => e.event_type === 'tool_usage');
    expect(tool?.payload).toEqual({ operation: 'tool', tool_name: 'word_count' });
    const task = events.find((e) => e.event_type === 'custom.task_completed');
    expect(task?.payload).toEqual({ operation: 'task', task_name: 'summarise' });
    const agentStart = events.find(
      (e) => e.source_agent.id === 'tl_researcher' && e.event_type === 'agent_execution_started',
    );
    expect(llm?.parent_event_id).toBe(agentStart?.event_id);
    expect(await client.waitForEvents(8)).toHaveLength(8);
  });

  it('turns an OpenInference agent, LLM, embedding and tool into agent events and names the unmapped chain', async () => {
    const client = await connectClient(gatewayUrl, {
      token: 'test-token-openinference',
      agent_filter: ['oi_planner'],
    });
    clients.push(client);

    const run = await runApp(python, 'openinference_app.py', otel('openinference-e2e'));
    expect(run.requests).toEqual({ chat: 1, embeddings: 1 });
    // The CHAIN span maps to nothing: the export's answer counts it and says why.
    expect(run.exports).toHaveLength(1);
    expect(run.exports[0]).toMatchObject({ status: 200, rejected_spans: 1 });
    expect(run.exports[0].error_message).toMatch(
      /^1 span\(s\) not mapped to AUREN events, not stored \(docs\/otlp\.md\): span [0-9a-f]{16} "plan_steps" \(internal\): openinference\.span\.kind CHAIN is a step of a pipeline/,
    );

    const events = await client.waitForEvents(5, 20_000);
    expect(byKind(events)).toEqual(
      [
        'oi_planner agent_execution_started',
        'oi_planner agent_execution_completed',
        'oi_planner llm_call',
        'oi_planner llm_call',
        'oi_planner tool_usage',
      ].sort(),
    );
    for (const e of events) {
      expect(e.trace_id).toBe(run.trace_id);
      expect(e.session_id).toBe('oi-session-1');
      expect(e.metadata).toMatchObject({ otel: { convention: 'openinference' } });
    }
    const [chat] = events.filter((e) => e.payload?.operation === 'llm');
    expect(chat.performance_metrics).toMatchObject({
      input_tokens: 12,
      output_tokens: 5,
      tokens_used: 17,
      model: 'gpt-4o-2024-08-06',
    });
    const [embedding] = events.filter((e) => e.payload?.operation === 'embedding');
    expect(embedding.performance_metrics).toMatchObject({
      input_tokens: 3,
      tokens_used: 3,
      model: 'text-embedding-3-small',
    });
    const tool = events.find((e) => e.event_type === 'tool_usage');
    expect(tool?.payload).toMatchObject({ operation: 'tool', tool_name: 'web_search' });
    expect(JSON.stringify(events)).not.toContain('Which papers');
    expect(await client.waitForEvents(5)).toHaveLength(5);
  });

  it('answers an export of spans it cannot map with partialSuccess naming them (OTLP/JSON)', async () => {
    const span = (spanId: string, name: string, key: string, value: string) => ({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId,
      name,
      kind: 2,
      startTimeUnixNano: '1732441800000000000',
      endTimeUnixNano: '1732441800100000000',
      attributes: [{ key, value: { stringValue: value } }],
    });
    const response = await fetch(`${ingestUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer test-key-e2e' },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'web' } }] },
            scopeSpans: [
              {
                spans: [
                  span('b7ad6b7169203331', 'GET /papers', 'http.request.method', 'GET'),
                  span('b7ad6b7169203332', 'RunnableSequence', 'openinference.span.kind', 'CHAIN'),
                ],
              },
            ],
          },
        ],
      }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      partialSuccess: { rejectedSpans: string; errorMessage: string };
    };
    expect(body.partialSuccess.rejectedSpans).toBe('2');
    expect(body.partialSuccess.errorMessage).toBe(
      '2 span(s) not mapped to AUREN events, not stored (docs/otlp.md): ' +
        'span b7ad6b7169203331 "GET /papers" (server): no GenAI, OpenInference or OpenLLMetry operation (gen_ai.operation.name, openinference.span.kind, traceloop.span.kind or llm.request.type) | ' +
        'span b7ad6b7169203332 "RunnableSequence" (server): openinference.span.kind CHAIN is a step of a pipeline, not an agent event (the AGENT, LLM and TOOL spans inside it are mapped)',
    );
  });
});
