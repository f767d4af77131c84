import { parseEvent } from '@auren/contracts';
import { mapSpans, SpanMapping } from './genai-mapping';
import { Attributes, OtlpSpan } from './otlp-model';

const TRACE = '6b2c3e4f5a6b7c8d9e0f1a2b3c4d5e6f';
const T0 = 1_732_441_800_000_000_000n; // 2024-11-24T09:50:00.000Z

function span(spanId: string, name: string, attributes: Attributes, over: Partial<OtlpSpan> = {}) {
  return {
    traceId: TRACE,
    spanId,
    name,
    kind: 1,
    startTimeUnixNano: T0,
    endTimeUnixNano: T0 + 2_000_000_000n,
    attributes,
    status: { code: 1 },
    resource: { 'service.name': 'oi-service' },
    scope: { name: 'openinference.instrumentation.openai' },
    ...over,
  } satisfies OtlpSpan;
}

const events = (m: SpanMapping) => (m.outcome === 'mapped' ? m.events : []);
const id = (spanId: string) => `otlp-${TRACE}-${spanId}`;

/**
 * OpenInference spans (Arize Phoenix's conventions), with the attributes its instrumentations
 * write: `openinference.span.kind`, flattened messages and documents, `llm.token_count.*`.
 */
describe('mapSpans (OpenInference)', () => {
  const agent = span('2100000000000001', 'planner', {
    'openinference.span.kind': 'AGENT',
    'session.id': 'sess-oi',
    'input.value': 'secret question',
  });
  const llm = span(
    '2100000000000002',
    'ChatCompletion',
    {
      'openinference.span.kind': 'LLM',
      'llm.system': 'openai',
      'llm.provider': 'azure',
      'llm.model_name': 'gpt-4o-2024-08-06',
      'llm.token_count.prompt': 12,
      'llm.token_count.completion': 5,
      'llm.token_count.total': 17,
      'llm.finish_reason': 'stop',
      'llm.invocation_parameters': '{"model": "gpt-4o"}',
      'llm.input_messages.0.message.content': 'secret question',
      'output.value': 'secret answer',
    },
    { parentSpanId: '2100000000000001' },
  );
  const tool = span(
    '2100000000000003',
    'lookup',
    {
      'openinference.span.kind': 'TOOL',
      'tool.name': 'web_search',
      'tool.id': 'call_1',
      'tool.parameters': '{"q": "secret"}',
    },
    { parentSpanId: '2100000000000001' },
  );
  const retriever = span(
    '2100000000000004',
    'retrieve',
    {
      'openinference.span.kind': 'RETRIEVER',
      'retrieval.documents.0.document.id': 'd1',
      'retrieval.documents.0.document.content': 'secret doc',
      'retrieval.documents.1.document.id': 'd2',
      'retrieval.documents.2.document.id': 'd3',
    },
    { parentSpanId: '2100000000000001' },
  );
  const mapped = mapSpans([llm, tool, retriever, agent]);
  const [llmM, toolM, retrieverM, agentM] = mapped;

  it('maps an LLM span to llm_call with llm.token_count.*, llm.model_name and llm.provider', () => {
    expect(events(llmM)).toEqual([
      {
        event_id: id('2100000000000002'),
        event_type: 'llm_call',
        timestamp: '2024-11-24T09:50:02.000Z',
        trace_id: TRACE,
        session_id: 'sess-oi',
        parent_event_id: id('2100000000000001'),
        source_agent: { id: 'planner' },
        payload: {
          operation: 'llm',
          provider: 'azure',
          response_model: 'gpt-4o-2024-08-06',
          finish_reasons: ['stop'],
        },
        metadata: {
          source: 'otlp',
          otel: {
            trace_id: TRACE,
            span_id: '2100000000000002',
            parent_span_id: '2100000000000001',
            span_name: 'ChatCompletion',
            span_kind: 'internal',
            operation: 'llm',
            convention: 'openinference',
            status: 'ok',
            scope: 'openinference.instrumentation.openai',
            service_name: 'oi-service',
          },
        },
        performance_metrics: {
          latency_ms: 2000,
          success: true,
          input_tokens: 12,
          output_tokens: 5,
          tokens_used: 17,
          model: 'gpt-4o-2024-08-06',
        },
      },
    ]);
  });

  it('maps an AGENT span to started + completed, the span name as agent id when agent.name is absent', () => {
    expect(events(agentM).map((e) => [e.event_type, e.source_agent, e.payload])).toEqual([
      ['agent_execution_started', { id: 'planner' }, { operation: 'agent', agent_name: 'planner' }],
      [
        'agent_execution_completed',
        { id: 'planner' },
        { operation: 'agent', agent_name: 'planner' },
      ],
    ]);
    expect(events(agentM)[1].performance_metrics).toEqual({ latency_ms: 2000, success: true });
  });

  it('maps a TOOL span to tool_usage with tool.name and tool.id', () => {
    expect(events(toolM)[0]).toMatchObject({
      event_type: 'tool_usage',
      source_agent: { id: 'planner' },
      payload: { operation: 'tool', tool_name: 'web_search', tool_call_id: 'call_1' },
      performance_metrics: { latency_ms: 2000, success: true },
    });
  });

  it('maps a RETRIEVER span to knowledge_access counting the flattened documents', () => {
    expect(events(retrieverM)[0]).toMatchObject({
      event_type: 'knowledge_access',
      payload: { operation: 'retriever', document_count: 3 },
    });
  });

  it('writes valid events and copies no input, output, message, parameter or document', () => {
    for (const m of mapped) for (const e of events(m)) expect(parseEvent(e).ok).toBe(true);
    expect(JSON.stringify(mapped.flatMap(events))).not.toContain('secret');
  });

  it('takes the agent from agent.name, on the span or an ancestor', () => {
    const [, sut] = mapSpans([
      span('2200000000000001', 'run', {
        'openinference.span.kind': 'AGENT',
        'agent.name': 'coach',
      }),
      span(
        '2200000000000002',
        'ChatCompletion',
        { 'openinference.span.kind': 'LLM' },
        { parentSpanId: '2200000000000001' },
      ),
    ]);
    expect(events(sut)[0].source_agent).toEqual({ id: 'coach' });
  });

  it.each([
    [
      'EMBEDDING',
      {
        'embedding.model_name': 'text-embedding-3-small',
        'llm.token_count.prompt': 3,
        'llm.token_count.total': 3,
      },
      'llm_call',
      { operation: 'embedding', response_model: 'text-embedding-3-small' },
      { input_tokens: 3, tokens_used: 3, model: 'text-embedding-3-small' },
    ],
    [
      'RERANKER',
      {
        'reranker.model_name': 'rerank-v3',
        'reranker.output_documents.0.document.id': 'a',
        'reranker.output_documents.1.document.id': 'b',
      },
      'knowledge_access',
      { operation: 'reranker', document_count: 2, model: 'rerank-v3' },
      {},
    ],
    ['GUARDRAIL', {}, 'agent_decision', { operation: 'guardrail', decision_name: 'span-name' }, {}],
    [
      'DECISION',
      {
        'decision.model_name': 'jev-1',
        'decision.token_count.input': 40,
        'decision.token_count.output': 2,
      },
      'agent_decision',
      { operation: 'decision', decision_name: 'span-name' },
      { input_tokens: 40, output_tokens: 2, tokens_used: 42, model: 'jev-1' },
    ],
    [
      'EVALUATOR',
      {},
      'custom.evaluation',
      { operation: 'evaluator', evaluator_name: 'span-name' },
      {},
    ],
  ])('maps %s to %s', (kind, attributes, eventType, payload, metrics) => {
    const [sut] = mapSpans([
      span('2300000000000001', 'span-name', { 'openinference.span.kind': kind, ...attributes }),
    ]);
    expect(events(sut)).toHaveLength(1);
    expect(events(sut)[0]).toMatchObject({
      event_type: eventType,
      source_agent: { id: 'oi-service' },
      payload,
      performance_metrics: { latency_ms: 2000, success: true, ...metrics },
    });
    expect(parseEvent(events(sut)[0]).ok).toBe(true);
  });

  it('does not map CHAIN, PROMPT and UNKNOWN spans, and says why', () => {
    const sut = mapSpans([
      span('2400000000000001', 'RunnableSequence', { 'openinference.span.kind': 'CHAIN' }),
      span('2400000000000002', 'template', { 'openinference.span.kind': 'PROMPT' }),
      span('2400000000000003', 'x', { 'openinference.span.kind': 'UNKNOWN' }),
    ]);
    expect(sut.map((m) => [m.outcome, m.outcome === 'skipped' ? m.reason : ''])).toEqual([
      [
        'skipped',
        'openinference.span.kind CHAIN is a step of a pipeline, not an agent event (the AGENT, LLM and TOOL spans inside it are mapped)',
      ],
      ['skipped', 'openinference.span.kind "PROMPT" has no AUREN event type'],
      ['skipped', 'openinference.span.kind "UNKNOWN" has no AUREN event type'],
    ]);
  });
});
