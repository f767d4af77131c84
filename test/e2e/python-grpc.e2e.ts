import { join } from 'node:path';
import { AppProcess } from '../harness/apps';
import { connectClient, ConnectedClient } from '../harness/clients';
import { freePort } from '../harness/ports';
import { ensurePythonVenv, runPython } from '../harness/python';

const AGENT = 'grpc_python';
const SCRIPT = join(__dirname, '..', '..', 'examples', 'python', 'grpc_publish.py');

/**
 * Python over gRPC: examples/python/grpc_publish.py, run in the SDK's venv (grpcio and
 * grpcio-tools from PyPI), imports the SDK (`auren`) and the stubs it ships (`auren.grpc`) in one
 * process, publishes with Publish, PublishBatch and PublishStream to a spawned ingest's GRPC_PORT
 * and one event over HTTP with AurenClient; a socket.io-client on a spawned gateway gets them.
 */
describe('Python SDK + auren.grpc stubs -> gRPC ingest -> Redis -> gateway -> socket.io-client', () => {
  let ingest: AppProcess;
  let gateway: AppProcess;
  let ingestUrl: string;
  let grpcTarget: string;
  let gatewayUrl: string;
  let client: ConnectedClient | undefined;

  beforeAll(async () => {
    await ensurePythonVenv();
    const env = {
      REDIS_URL: process.env.AUREN_TEST_REDIS_URL,
      AUREN_STREAM_KEY: `e2e:python-grpc:${Date.now()}`,
    };
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
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    await ingest.ready(`${ingestUrl}/health/ready`);
    await gateway.ready(`${gatewayUrl}/health/ready`);
  }, 15 * 60_000);

  afterAll(async () => {
    client?.close();
    await Promise.all([ingest, gateway].map((p) => p?.stop()));
  });

  it('delivers what a Python process publishes over gRPC with the shipped stubs', async () => {
    client = await connectClient(gatewayUrl, {
      token: 'test-token-python-grpc',
      agent_filter: [AGENT],
    });
    const session = `python-grpc-${Date.now()}`;
    const run = await runPython(
      [SCRIPT, '--target', grpcTarget, '--url', ingestUrl, '--agent', AGENT, '--session', session],
      {},
      60_000,
    );
    if (run.code !== 0) throw new Error(`grpc_publish.py exited with ${run.code}:\n${run.output}`);
    const out = JSON.parse(run.output.trim().split('\n').pop() ?? '{}') as {
      publish: { accepted: number; event_id: string; stream_id: string };
      publish_batch: { accepted: number; results: Array<{ event_id: string }> };
      publish_stream: {
        accepted: number;
        results: Array<{ event_id: string }>;
        rejected: Array<{ index: number; message: string }>;
      };
      checked_locally: string;
      http: { sent: number };
    };
    expect(out.publish.accepted).toBe(1);
    expect(out.publish_batch.accepted).toBe(2);
    expect(out.publish_stream.accepted).toBe(2);
    expect(out.publish_stream.rejected).toEqual([
      expect.objectContaining({
        index: 1,
        message: expect.stringContaining('event_type must be one of'),
      }),
    ]);
    expect(out.checked_locally).toContain("'not_a_type' is not one of");
    expect(out.http.sent).toBe(1);

    // 1 Publish + 2 PublishBatch + 2 accepted of PublishStream + 1 over HTTP.
    const events = await client.waitForEvents(6, 20_000);
    expect(events.map((e) => e.event_type).sort()).toEqual(
      [
        'agent_decision',
        'agent_execution_completed',
        'custom.stream_step',
        'custom.stream_step',
        'llm_call',
        'tool_usage',
      ].sort(),
    );
    const grpcIds = [
      out.publish.event_id,
      ...out.publish_batch.results.map((r) => r.event_id),
      ...out.publish_stream.results.map((r) => r.event_id),
    ];
    expect(events.filter((e) => grpcIds.includes(e.event_id))).toHaveLength(5);
    for (const e of events) {
      expect(e.session_id).toBe(session);
      expect(e.source_agent).toEqual({
        id: AGENT,
        role: 'gRPC Publisher',
        goal: 'show auren.grpc',
      });
    }
    const llm = events.find((e) => e.event_id === out.publish.event_id);
    expect(llm?.stream_id).toBe(out.publish.stream_id);
    expect(llm?.payload).toEqual({ prompt: 'hello', tags: ['a', 'b'], nested: { ok: true } });
    expect(llm?.performance_metrics).toEqual({
      model: 'gpt-4o-mini',
      input_tokens: 812,
      output_tokens: 164,
      tokens_used: 976,
      latency_ms: 840.5,
    });
    expect(
      events.filter((e) => e.event_type === 'custom.stream_step').map((e) => e.payload.step),
    ).toEqual([1, 3]);
  }, 90_000);
});
