import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, Tracer } from '@opentelemetry/api';

/** GenAI span scenarios shared by the OTLP tests and test/harness/otel-emitter.ts. */

/** Fixed span times (seconds), so that latencies are exact. */
const S = 1_732_441_800;

/**
 * An agent run: invoke_agent (2 s) > chat (750 ms, 120 + 30 tokens) and execute_tool (250 ms,
 * failed with TimeoutError), all in conversation conv-42. Returns the trace id.
 */
export function agentRun(tracer: Tracer, agentId: string): string {
  const agent = tracer.startSpan(`invoke_agent ${agentId}`, {
    kind: SpanKind.INTERNAL,
    startTime: [S, 0],
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.id': agentId,
      'gen_ai.agent.name': 'Research agent',
      'gen_ai.conversation.id': 'conv-42',
    },
  });
  const inside = trace.setSpan(ROOT_CONTEXT, agent);
  tracer
    .startSpan(
      'chat gpt-4o',
      {
        kind: SpanKind.CLIENT,
        startTime: [S, 100_000_000],
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.response.model': 'gpt-4o-2024-08-06',
          'gen_ai.usage.input_tokens': 120,
          'gen_ai.usage.output_tokens': 30,
        },
      },
      inside,
    )
    .end([S, 850_000_000]);
  const tool = tracer.startSpan(
    'execute_tool web_search',
    {
      startTime: [S, 900_000_000],
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'web_search',
        'gen_ai.tool.call.id': 'call_7',
        'error.type': 'TimeoutError',
      },
    },
    inside,
  );
  tool.setStatus({ code: SpanStatusCode.ERROR, message: 'search backend timed out' });
  tool.end([S + 1, 150_000_000]);
  agent.end([S + 2, 0]);
  return agent.spanContext().traceId;
}

/** One HTTP server span without GenAI attributes. */
export function plain(tracer: Tracer): string {
  const span = tracer.startSpan('GET /health', { attributes: { 'http.request.method': 'GET' } });
  span.end();
  return span.spanContext().traceId;
}
