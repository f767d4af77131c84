import { parseEvent } from '@auren/contracts';
import { eventIdOf, mapSpans, operationOf, SpanMapping } from './genai-mapping';
import { Attributes, OtlpSpan } from './otlp-model';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const T0 = 1_732_441_800_000_000_000n; // 2024-11-24T09:50:00.000Z

function span(spanId: string, attributes: Attributes, over: Partial<OtlpSpan> = {}): OtlpSpan {
  return {
    traceId: TRACE,
    spanId,
    name:
      typeof attributes['gen_ai.operation.name'] === 'string'
        ? attributes['gen_ai.operation.name']
        : 'GET /',
    kind: 1,
    startTimeUnixNano: T0,
    endTimeUnixNano: T0 + 1_500_000_000n,
    attributes,
    status: { code: 0 },
    resource: { 'service.name': 'crew-service' },
    scope: { name: 'test' },
    ...over,
  };
}

const events = (m: SpanMapping) => (m.outcome === 'mapped' ? m.events : []);

describe('mapSpans', () => {
  it('maps invoke_agent to started + completed with latency, success and ids from the span', () => {
    const [sut] = mapSpans([
      span(
        'a000000000000001',
        {
          'gen_ai.operation.name': 'invoke_agent',
          'gen_ai.agent.id': 'agent-7',
          'gen_ai.agent.name': 'Researcher',
          'gen_ai.conversation.id': 'conv-1',
        },
        { parentSpanId: 'f000000000000001' },
      ),
    ]);
    expect(sut.outcome).toBe('mapped');
    const [started, completed] = events(sut);
    expect(started).toMatchObject({
      event_id: `otlp-${TRACE}-a000000000000001`,
      event_type: 'agent_execution_started',
      timestamp: '2024-11-24T09:50:00.000Z',
      trace_id: TRACE,
      session_id: 'conv-1',
      parent_event_id: `otlp-${TRACE}-f000000000000001`,
      source_agent: { id: 'agent-7', name: 'Researcher' },
      payload: { operation: 'invoke_agent', agent_name: 'Researcher' },
      metadata: { source: 'otlp', otel: { span_id: 'a000000000000001', span_kind: 'internal' } },
    });
    expect(started.performance_metrics).toBeUndefined();
    expect(completed).toMatchObject({
      event_id: `otlp-${TRACE}-a000000000000001-end`,
      event_type: 'agent_execution_completed',
      timestamp: '2024-11-24T09:50:01.500Z',
      performance_metrics: { latency_ms: 1500, success: true },
    });
    for (const e of events(sut)) expect(parseEvent(e).ok).toBe(true);
  });

  it('marks a failed agent run: status ERROR → success false, error_type from error.type', () => {
    const [sut] = mapSpans([
      span(
        'a000000000000002',
        {
          'gen_ai.operation.name': 'invoke_agent',
          'gen_ai.agent.name': 'coach',
          'error.type': 'TimeoutError',
        },
        { status: { code: 2, message: 'took too long' } },
      ),
    ]);
    expect(events(sut)[1].performance_metrics).toMatchObject({
      success: false,
      error_type: 'TimeoutError',
    });
    expect(events(sut)[1].source_agent).toEqual({ id: 'coach' });
  });

  it('falls back to the status message when error.type is absent', () => {
    const [sut] = mapSpans([
      span(
        'a000000000000003',
        { 'gen_ai.operation.name': 'chat' },
        { status: { code: 2, message: 'rate limited' } },
      ),
    ]);
    expect(events(sut)[0].performance_metrics).toMatchObject({
      success: false,
      error_type: 'rate limited',
    });
  });

  it.each(['chat', 'text_completion', 'generate_content'])(
    'maps %s to llm_call with token counts, model and latency',
    (operation) => {
      const [sut] = mapSpans([
        span('b000000000000001', {
          'gen_ai.operation.name': operation,
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.response.model': 'gpt-4o-2024-08-06',
          'gen_ai.provider.name': 'openai',
          'gen_ai.usage.input_tokens': 120,
          'gen_ai.usage.output_tokens': 30,
        }),
      ]);
      const [event] = events(sut);
      expect(event).toMatchObject({
        event_id: `otlp-${TRACE}-b000000000000001`,
        event_type: 'llm_call',
        timestamp: '2024-11-24T09:50:01.500Z',
        source_agent: { id: 'crew-service' },
        payload: { operation, provider: 'openai', request_model: 'gpt-4o' },
        performance_metrics: {
          latency_ms: 1500,
          success: true,
          input_tokens: 120,
          output_tokens: 30,
          tokens_used: 150,
          model: 'gpt-4o-2024-08-06',
        },
      });
      expect(parseEvent(event).ok).toBe(true);
    },
  );

  it('uses the request model and the deprecated prompt/completion token names when that is all there is', () => {
    const [sut] = mapSpans([
      span('b000000000000002', {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'claude',
        'gen_ai.usage.prompt_tokens': 10,
      }),
    ]);
    expect(events(sut)[0].performance_metrics).toMatchObject({
      model: 'claude',
      input_tokens: 10,
      tokens_used: 10,
    });
    expect(events(sut)[0].performance_metrics).not.toHaveProperty('output_tokens');
  });

  it('gives a chat span the agent and conversation of its invoke_agent ancestor in the same export', () => {
    const mapped = mapSpans([
      span(
        'c000000000000003',
        { 'gen_ai.operation.name': 'chat' },
        { parentSpanId: 'c000000000000002' },
      ),
      span('c000000000000002', { 'http.method': 'POST' }, { parentSpanId: 'c000000000000001' }),
      span('c000000000000001', {
        'gen_ai.operation.name': 'invoke_agent',
        'gen_ai.agent.id': 'planner',
        'gen_ai.conversation.id': 'conv-9',
      }),
    ]);
    expect(events(mapped[0])[0]).toMatchObject({
      source_agent: { id: 'planner' },
      session_id: 'conv-9',
    });
    expect(mapped[1].outcome).toBe('skipped');
  });

  it('maps execute_tool to tool_usage with the tool name and call id', () => {
    const [sut] = mapSpans([
      span('d000000000000001', {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'web_search',
        'gen_ai.tool.call.id': 'call_42',
        'gen_ai.tool.type': 'function',
        'gen_ai.tool.call.arguments': '{"q":"secret"}',
      }),
    ]);
    const [event] = events(sut);
    expect(event).toMatchObject({
      event_type: 'tool_usage',
      payload: { tool_name: 'web_search', tool_call_id: 'call_42', tool_type: 'function' },
      performance_metrics: { latency_ms: 1500, success: true },
    });
    expect(JSON.stringify(event)).not.toContain('secret');
  });

  it('maps retrieval to knowledge_access', () => {
    const [sut] = mapSpans([
      span('e000000000000001', {
        'gen_ai.operation.name': 'retrieval',
        'gen_ai.data_source.id': 'kb-papers',
        'gen_ai.retrieval.documents': [{ id: 'doc1' }, { id: 'doc2' }],
      }),
    ]);
    expect(events(sut)[0]).toMatchObject({
      event_type: 'knowledge_access',
      payload: { operation: 'retrieval', data_source_id: 'kb-papers', document_count: 2 },
    });
  });

  it('maps memory operations to memory_tier_access with tier, operation and hit', () => {
    const mapped = mapSpans([
      span('f000000000000001', {
        'gen_ai.operation.name': 'search_memory',
        'gen_ai.memory.store.name': 'chromadb',
        'gen_ai.memory.records': [{ id: 'r1' }],
      }),
      span('f000000000000002', {
        'gen_ai.operation.name': 'update_memory',
        'db.system.name': 'redis',
        'gen_ai.memory.record.id': 'r9',
      }),
      span('f000000000000003', {
        'gen_ai.operation.name': 'search_memory',
        'auren.memory.hit': false,
      }),
    ]);
    expect(events(mapped[0])[0]).toMatchObject({
      event_type: 'memory_tier_access',
      payload: { tier: 'chromadb', operation: 'search_memory', hit: true },
    });
    expect(events(mapped[1])[0].payload).toEqual({
      tier: 'redis',
      operation: 'update_memory',
      record_id: 'r9',
    });
    expect(events(mapped[2])[0].payload).toMatchObject({ tier: 'unknown', hit: false });
  });

  it('skips spans without a GenAI operation, and GenAI operations AUREN has no event for', () => {
    const mapped = mapSpans([
      span('1000000000000001', { 'http.request.method': 'GET' }),
      span('1000000000000002', { 'gen_ai.operation.name': 'create_agent' }),
    ]);
    expect(mapped.map((m) => m.outcome)).toEqual(['skipped', 'skipped']);
    expect(mapped[1]).toMatchObject({ reason: expect.stringContaining('create_agent') });
  });

  it('infers the operation from the span name when only gen_ai.* attributes are set', () => {
    expect(operationOf(span('1', { 'gen_ai.system': 'openai' }, { name: 'chat gpt-4' }))).toBe(
      'chat',
    );
    expect(operationOf(span('1', {}, { name: 'chat gpt-4' }))).toBeUndefined();
  });

  it('refuses a span with no agent id anywhere', () => {
    const [sut] = mapSpans([
      span('2000000000000001', { 'gen_ai.operation.name': 'chat' }, { resource: {} }),
    ]);
    expect(sut).toMatchObject({
      outcome: 'invalid',
      reason: expect.stringContaining('gen_ai.agent.id'),
    });
  });

  it('passes bad values on to validation instead of hiding them', () => {
    const [sut] = mapSpans([
      span('3000000000000001', {
        'gen_ai.operation.name': 'chat',
        'gen_ai.usage.input_tokens': -5,
      }),
    ]);
    const parsed = parseEvent(events(sut)[0]);
    expect(parsed.ok).toBe(false);
  });

  it('gives the same ids for the same span (idempotent re-export)', () => {
    const s = span('4000000000000001', {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 't',
    });
    expect(mapSpans([s])).toEqual(mapSpans([{ ...s }]));
    expect(eventIdOf(TRACE, '4000000000000001').length).toBeLessThanOrEqual(128);
  });
});
