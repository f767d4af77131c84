import { gzipSync } from 'node:zlib';
import Redis from 'ioredis';
import { ROOT_CONTEXT, trace, Tracer } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { AgentEvent } from '@auren/contracts';
import { RunningApp, startIngest, testConfig } from '../harness/apps';
import { runOtelEmitter } from '../harness/otel';
import { agentRun, plain } from '../harness/otel-scenarios';
import { freePort } from '../harness/ports';
import { waitFor } from '../harness/wait';

/**
 * The SDK exporter tests run the real OTLP/HTTP exporter in its own process
 * (test/harness/otel-emitter.ts, configured by OTEL_* variables). The tests that send bodies
 * by hand take spans from the SDK here and serialise them with the SDK's OTLP serialisers.
 */
async function sdkSpans(emit: (tracer: Tracer) => string): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'otlp-integration' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  emit(provider.getTracer('auren-otlp-test', '1.0.0'));
  await provider.forceFlush();
  return exporter.getFinishedSpans();
}

describe('OTLP/HTTP POST /v1/traces with the OpenTelemetry SDK and a real Redis', () => {
  let ingest: RunningApp;
  let redis: Redis;
  let key: string;
  let endpoint: string;

  beforeAll(async () => {
    const config = await testConfig();
    key = config.stream.key;
    ingest = await startIngest(config);
    endpoint = `${ingest.url}/v1/traces`;
    redis = new Redis(process.env.AUREN_TEST_REDIS_URL as string);
  });
  afterAll(async () => {
    await ingest.close();
    redis.disconnect();
  });

  const stored = async (): Promise<AgentEvent[]> =>
    ((await redis.xrange(key, '-', '+')) as [string, string[]][]).map(
      ([, fields]) => JSON.parse(fields[1]) as AgentEvent,
    );
  const ofTrace = async (traceId: string) => (await stored()).filter((e) => e.trace_id === traceId);

  const expectAgentRun = async (traceId: string, agentId: string) => {
    const events = await waitFor(
      async () => {
        const found = await ofTrace(traceId);
        return found.length >= 4 ? found : undefined;
      },
      { what: `the 4 events of trace ${traceId} in the stream` },
    );
    expect(events.map((e) => e.event_type).sort()).toEqual([
      'agent_execution_completed',
      'agent_execution_started',
      'llm_call',
      'tool_usage',
    ]);
    const byType = Object.fromEntries(events.map((e) => [e.event_type, e]));
    for (const e of events) {
      expect(e.source_agent.id).toBe(agentId);
      expect(e.session_id).toBe('conv-42');
      expect(e.metadata).toMatchObject({
        source: 'otlp',
        otel: { service_name: 'otlp-integration' },
      });
    }
    expect(byType.agent_execution_started.timestamp).toBe('2024-11-24T09:50:00.000Z');
    expect(byType.agent_execution_completed.performance_metrics).toEqual({
      latency_ms: 2000,
      success: true,
    });
    expect(byType.llm_call.performance_metrics).toEqual({
      latency_ms: 750,
      success: true,
      input_tokens: 120,
      output_tokens: 30,
      tokens_used: 150,
      model: 'gpt-4o-2024-08-06',
    });
    expect(byType.llm_call.parent_event_id).toBe(byType.agent_execution_started.event_id);
    expect(byType.tool_usage.payload).toMatchObject({
      tool_name: 'web_search',
      tool_call_id: 'call_7',
    });
    expect(byType.tool_usage.performance_metrics).toEqual({
      latency_ms: 250,
      success: false,
      error_type: 'TimeoutError',
    });
  };

  const otelEnv = (extra: Record<string, string> = {}) => ({
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint,
    OTEL_SERVICE_NAME: 'otlp-integration',
    ...extra,
  });

  it('takes an OTLP/JSON export from the SDK exporter and streams the GenAI events', async () => {
    const run = await runOtelEmitter(
      ['--protocol', 'http/json', '--agent', 'researcher-json'],
      otelEnv(),
    );
    expect(run.results).toEqual([{ code: 'success' }]);
    await expectAgentRun(run.traceId, 'researcher-json');
  });

  it('takes a gzip protobuf export, and a re-sent export is stored once', async () => {
    const run = await runOtelEmitter(
      ['--protocol', 'http/protobuf', '--agent', 'researcher-proto', '--resend'],
      otelEnv({ OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' }),
    );
    expect(run.results).toEqual([{ code: 'success' }, { code: 'success' }]);
    await expectAgentRun(run.traceId, 'researcher-proto');
    expect(await ofTrace(run.traceId)).toHaveLength(4);
  });

  it('answers protobuf with a protobuf ExportTraceServiceResponse', async () => {
    const spans = await sdkSpans((t) => agentRun(t, 'researcher-raw'));
    const body = ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array;
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/x-protobuf');
    const decoded = ProtobufTraceSerializer.deserializeResponse(
      new Uint8Array(await response.arrayBuffer()),
    );
    expect(decoded.partialSuccess).toBeUndefined();
  });

  it('reports spans that map to no event: 200, rejectedSpans counts them, errorMessage names them', async () => {
    const before = await redis.xlen(key);
    const spans = await sdkSpans(plain);
    const spanId = spans[0].spanContext().spanId;
    const says = `1 span(s) not mapped to AUREN events, not stored (docs/otlp.md): span ${spanId} "GET /health" (internal): no GenAI, OpenInference or OpenLLMetry operation`;
    const reply = await postOtlpJson(spans);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      partialSuccess: { rejectedSpans: '1', errorMessage: expect.stringContaining(says) },
    });

    // The same answer in protobuf, read by the SDK's own response decoder.
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf' },
      body: ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array,
    });
    expect(response.status).toBe(200);
    const decoded = ProtobufTraceSerializer.deserializeResponse(
      new Uint8Array(await response.arrayBuffer()),
    );
    expect(Number(decoded.partialSuccess?.rejectedSpans)).toBe(1);
    expect(decoded.partialSuccess?.errorMessage).toContain(says);
    expect(await redis.xlen(key)).toBe(before);
  });

  it('refuses an invalid span alone: partialSuccess names it, the valid one is written', async () => {
    let traceId = '';
    const spans = await sdkSpans((t) => {
      const good = t.startSpan('chat ok', {
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.agent.id': 'validator' },
      });
      good.end();
      const bad = t.startSpan(
        'chat bad',
        { attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': -3 } },
        trace.setSpan(ROOT_CONTEXT, good),
      );
      bad.end();
      traceId = good.spanContext().traceId;
      return traceId;
    });
    const reply = await postOtlpJson(spans);
    expect(reply.status).toBe(200);
    const partial = reply.body.partialSuccess as Record<string, string>;
    expect(partial.rejectedSpans).toBe('1');
    expect(partial.errorMessage).toContain('performance_metrics.input_tokens');
    const events = await ofTrace(traceId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event_type: 'llm_call', source_agent: { id: 'validator' } });
  });

  describe('bad input writes nothing', () => {
    let before: number;
    beforeEach(async () => {
      before = await redis.xlen(key);
    });
    afterEach(async () => {
      expect(await redis.xlen(key)).toBe(before);
    });

    const post = async (body: Uint8Array | string, headers: Record<string, string>) => {
      const response = await fetch(endpoint, { method: 'POST', headers, body });
      const text = await response.text();
      return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
    };

    it('answers 400 to a malformed protobuf body', async () => {
      const reply = await post(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), {
        'content-type': 'application/x-protobuf',
      });
      expect(reply.status).toBe(400);
      expect(reply.body.message).toContain('not a protobuf ExportTraceServiceRequest');
    });

    it('answers 400 to malformed JSON and to JSON that is not an export', async () => {
      expect(
        (await post('{"resourceSpans": [', { 'content-type': 'application/json' })).status,
      ).toBe(400);
      const notExport = await post('{"resourceSpans": 7}', { 'content-type': 'application/json' });
      expect(notExport.status).toBe(400);
      expect(notExport.body.message).toContain('resourceSpans must be an array, not a number');
    });

    it('answers 400 to a body that says gzip but is not', async () => {
      const reply = await post('not gzip at all', {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      });
      expect(reply.status).toBe(400);
      expect(reply.body.message).toContain('not valid gzip');
    });

    it('answers 415 to other media types and encodings', async () => {
      const text = await post('hello', { 'content-type': 'text/plain' });
      expect(text.status).toBe(415);
      expect(text.body.message).toContain('application/x-protobuf');
      const br = await post('{}', { 'content-type': 'application/json', 'content-encoding': 'br' });
      expect(br.status).toBe(415);
      expect(br.body.message).toContain('br');
    });

    it('answers 413 to a gzip bomb (64 MiB of zeros in 64 KiB)', async () => {
      const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024)); // ~64 KiB on the wire
      expect(bomb.length).toBeLessThan(1024 * 1024);
      const reply = await post(bomb, {
        'content-type': 'application/x-protobuf',
        'content-encoding': 'gzip',
      });
      expect(reply.status).toBe(413);
      // Refused by the inflate cap (8 MiB of output), not after inflating all 64 MiB.
      expect(reply.body.message).toContain('inflates to more than 8388608 bytes');
    });

    it('answers 413 to more than 1 MiB on the wire', async () => {
      const reply = await post(new Uint8Array(1024 * 1024 + 1), {
        'content-type': 'application/x-protobuf',
      });
      expect(reply.status).toBe(413);
    });

    it('keeps POST /v1/events JSON-only: protobuf there is 415', async () => {
      const response = await fetch(`${ingest.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: new Uint8Array([1, 2, 3]),
      });
      expect(response.status).toBe(415);
      expect(((await response.json()) as { message: string }).message).toContain(
        'application/json',
      );
    });
  });

  const postOtlpJson = async (spans: ReadableSpan[]) => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JsonTraceSerializer.serializeRequest(spans) as Uint8Array,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
});

describe('OTLP/HTTP in production mode', () => {
  let ingest: RunningApp;
  let redis: Redis;
  let key: string;

  beforeAll(async () => {
    const config = await testConfig({
      NODE_ENV: 'production',
      AUREN_JWT_SECRET: 'a-production-secret-of-more-than-32-characters',
      AUREN_API_KEYS: 'otlp-key-0123456789:dana',
    });
    key = config.stream.key;
    ingest = await startIngest(config);
    redis = new Redis(process.env.AUREN_TEST_REDIS_URL as string);
  });
  afterAll(async () => {
    await ingest.close();
    redis.disconnect();
  });

  it('refuses an export without a credential (401), takes one with an API key bound to its user', async () => {
    const env = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${ingest.url}/v1/traces` };
    const anonymous = await runOtelEmitter(['--agent', 'prod-agent'], env);
    expect(anonymous.results).toHaveLength(1);
    expect(anonymous.results[0].code).toBe('failed');
    expect(anonymous.results[0].error).toMatch(/401|Unauthorized/);
    expect(await redis.xlen(key)).toBe(0);

    const keyed = await runOtelEmitter(['--agent', 'prod-agent'], {
      ...env,
      OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20otlp-key-0123456789',
    });
    expect(keyed.results).toEqual([{ code: 'success' }]);
    const users = ((await redis.xrange(key, '-', '+')) as [string, string[]][]).map(
      ([, f]) => (JSON.parse(f[1]) as AgentEvent).user_id,
    );
    expect(users).toEqual(['dana', 'dana', 'dana', 'dana']);
  });
});

describe('OTLP/HTTP when the stream backend is down', () => {
  it('answers 503 with Retry-After and writes nothing', async () => {
    const config = await testConfig({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    const ingest = await startIngest(config);
    try {
      const spans = await sdkSpans((t) => agentRun(t, 'down-agent'));
      const response = await fetch(`${ingest.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array,
      });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBeTruthy();
    } finally {
      await ingest.close();
    }
  });
});
