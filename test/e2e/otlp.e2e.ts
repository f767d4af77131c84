import { AppProcess } from '../harness/apps';
import { connectClient, ConnectedClient } from '../harness/clients';
import { runOtelEmitter } from '../harness/otel';
import { freePort } from '../harness/ports';

/**
 * An instrumented app exports GenAI spans with the OpenTelemetry SDK to a spawned ingest
 * (OTLP/HTTP protobuf, gzip), and a dashboard client on a spawned gateway sees the agent events.
 */
describe('OTLP spans to Socket.IO: SDK exporter → ingest → Redis → gateway → client', () => {
  const env = {
    REDIS_URL: process.env.AUREN_TEST_REDIS_URL as string,
    AUREN_STREAM_KEY: `e2e-otlp:${Date.now()}`,
  };
  let ingest: AppProcess;
  let gateway: AppProcess;
  let ingestUrl: string;
  let gatewayUrl: string;
  const clients: ConnectedClient[] = [];

  beforeAll(async () => {
    const [ingestPort, gatewayPort] = [await freePort(), await freePort()];
    ingest = AppProcess.spawn('ingest', {
      ...env,
      INGEST_PORT: String(ingestPort),
    });
    gateway = AppProcess.spawn('gateway', { ...env, GATEWAY_PORT: String(gatewayPort) });
    ingestUrl = `http://127.0.0.1:${ingestPort}`;
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    await ingest.ready(`${ingestUrl}/health/ready`);
    await gateway.ready(`${gatewayUrl}/health/ready`);
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all([ingest, gateway].map((p) => p.stop()));
  });

  it('delivers the agent run as agent, LLM and tool events to filtered subscribers', async () => {
    const all = await connectClient(gatewayUrl, {
      token: 'test-token-otlp',
      agent_filter: ['otlp-researcher'],
    });
    const llmOnly = await connectClient(gatewayUrl, {
      token: 'test-token-otlp',
      subscriptions: ['llm_usage'],
    });
    clients.push(all, llmOnly);

    const run = await runOtelEmitter(
      ['--protocol', 'http/protobuf', '--agent', 'otlp-researcher'],
      {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${ingestUrl}/v1/traces`,
        OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
        OTEL_SERVICE_NAME: 'e2e-crew',
      },
    );
    expect(run.results).toEqual([{ code: 'success' }]);

    const events = await all.waitForEvents(4, 20_000);
    expect(events.map((e) => e.event_type).sort()).toEqual([
      'agent_execution_completed',
      'agent_execution_started',
      'llm_call',
      'tool_usage',
    ]);
    for (const e of events) {
      expect(e.trace_id).toBe(run.traceId);
      expect(e.source_agent.id).toBe('otlp-researcher');
      expect(e.stream_id).toEqual(expect.any(String));
    }

    const [llm] = await llmOnly.waitForEvents(1, 20_000);
    expect(llm).toMatchObject({
      event_type: 'llm_call',
      performance_metrics: { latency_ms: 750, tokens_used: 150, model: 'gpt-4o-2024-08-06' },
    });
    // The llm_usage subscriber got the LLM call and nothing else of the run.
    await all.waitForEvents(4);
    expect(llmOnly.events.filter((e) => e.trace_id === run.traceId)).toHaveLength(1);
  });
});
