import { parseEvent } from '@auren/contracts';
import { mapSpans, SpanMapping } from './genai-mapping';
import { Attributes, OtlpSpan } from './otlp-model';

const TRACE = '5a2c3e4f5a6b7c8d9e0f1a2b3c4d5e6f';
const T0 = 1_732_441_800_000_000_000n; // 2024-11-24T09:50:00.000Z

function span(spanId: string, name: string, attributes: Attributes, over: Partial<OtlpSpan> = {}) {
  return {
    traceId: TRACE,
    spanId,
    name,
    kind: 1,
    startTimeUnixNano: T0,
    endTimeUnixNano: T0 + 250_000_000n,
    attributes,
    status: { code: 0 },
    resource: { 'service.name': 'tl-service' },
    scope: { name: 'opentelemetry.instrumentation.openai.v1' },
    ...over,
  } satisfies OtlpSpan;
}

const events = (m: SpanMapping) => (m.outcome === 'mapped' ? m.events : []);
const id = (spanId: string) => `otlp-${TRACE}-${spanId}`;
const otel = (spanId: string, name: string, operation: string, over: object = {}) => ({
  source: 'otlp',
  otel: {
    trace_id: TRACE,
    span_id: spanId,
    span_name: name,
    span_kind: 'internal',
    operation,
    convention: 'openllmetry',
    status: 'unset',
    scope: 'opentelemetry.instrumentation.openai.v1',
    service_name: 'tl-service',
    ...over,
  },
});

/**
 * OpenLLMetry (Traceloop) spans, with the attributes its SDK and its OpenAI instrumentation
 * write: the decorators' `traceloop.span.kind` and the LLM spans' `llm.request.type`,
 * `gen_ai.usage.prompt_tokens` / `completion_tokens` and `llm.usage.total_tokens` (the versions
 * before they moved to `gen_ai.operation.name` and `gen_ai.usage.input_tokens`).
 */
describe('mapSpans (OpenLLMetry)', () => {
  // A workflow running an agent that makes one chat call and one tool call, inside a task.
  const workflow = span('1100000000000001', 'research_flow.workflow', {
    'traceloop.span.kind': 'workflow',
    'traceloop.entity.name': 'research_flow',
    'traceloop.workflow.name': 'research_flow',
    'traceloop.entity.input': '{"args": ["secret prompt"]}',
    'traceloop.association.properties.session_id': 'sess-7',
  });
  const task = span(
    '1100000000000002',
    'summarise.task',
    {
      'traceloop.span.kind': 'task',
      'traceloop.entity.name': 'summarise',
      'traceloop.workflow.name': 'research_flow',
    },
    { parentSpanId: '1100000000000001' },
  );
  const agent = span(
    '1100000000000003',
    'researcher.agent',
    {
      'traceloop.span.kind': 'agent',
      'traceloop.entity.name': 'researcher',
      'traceloop.workflow.name': 'research_flow',
      'traceloop.entity.output': 'secret answer',
    },
    { parentSpanId: '1100000000000002' },
  );
  const chat = span(
    '1100000000000004',
    'openai.chat',
    {
      'llm.request.type': 'chat',
      'gen_ai.system': 'OpenAI',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.response.id': 'chatcmpl-9',
      'gen_ai.usage.prompt_tokens': 12,
      'gen_ai.usage.completion_tokens': 5,
      'llm.usage.total_tokens': 17,
      'gen_ai.prompt.0.content': 'secret prompt',
      'traceloop.workflow.name': 'research_flow',
    },
    { parentSpanId: '1100000000000003', kind: 3 },
  );
  const tool = span(
    '1100000000000005',
    'word_count.tool',
    {
      'traceloop.span.kind': 'tool',
      'traceloop.entity.name': 'word_count',
      'traceloop.workflow.name': 'research_flow',
    },
    { parentSpanId: '1100000000000003', status: { code: 2, message: 'ValueError' } },
  );
  const mapped = mapSpans([chat, tool, agent, task, workflow]);
  const [chatM, toolM, agentM, taskM, workflowM] = mapped;

  it('maps an LLM span by llm.request.type: llm_call with the old token names and the total', () => {
    expect(events(chatM)).toEqual([
      {
        event_id: id('1100000000000004'),
        event_type: 'llm_call',
        timestamp: '2024-11-24T09:50:00.250Z',
        trace_id: TRACE,
        session_id: 'sess-7',
        parent_event_id: id('1100000000000003'),
        source_agent: { id: 'researcher' },
        payload: {
          operation: 'chat',
          provider: 'OpenAI',
          request_model: 'gpt-4o',
          response_model: 'gpt-4o-2024-08-06',
          response_id: 'chatcmpl-9',
        },
        metadata: otel('1100000000000004', 'openai.chat', 'chat', {
          span_kind: 'client',
          parent_span_id: '1100000000000003',
        }),
        performance_metrics: {
          latency_ms: 250,
          success: true,
          input_tokens: 12,
          output_tokens: 5,
          tokens_used: 17,
          model: 'gpt-4o-2024-08-06',
        },
      },
    ]);
  });

  it('maps a tool span to tool_usage named by traceloop.entity.name, failed by its status', () => {
    expect(events(toolM)).toEqual([
      expect.objectContaining({
        event_id: id('1100000000000005'),
        event_type: 'tool_usage',
        source_agent: { id: 'researcher' },
        payload: { operation: 'tool', tool_name: 'word_count' },
        performance_metrics: { latency_ms: 250, success: false, error_type: 'ValueError' },
      }),
    ]);
  });

  it('maps the agent span to started + completed with the entity name as agent id', () => {
    expect(events(agentM).map((e) => [e.event_id, e.event_type, e.timestamp])).toEqual([
      [id('1100000000000003'), 'agent_execution_started', '2024-11-24T09:50:00.000Z'],
      [`${id('1100000000000003')}-end`, 'agent_execution_completed', '2024-11-24T09:50:00.250Z'],
    ]);
    for (const e of events(agentM)) {
      expect(e.source_agent).toEqual({ id: 'researcher' });
      expect(e.payload).toEqual({ operation: 'agent', agent_name: 'researcher' });
    }
    expect(events(agentM)[1].performance_metrics).toEqual({ latency_ms: 250, success: true });
  });

  it('maps the workflow span as the agent of everything in it that has no agent of its own', () => {
    expect(events(workflowM).map((e) => e.event_type)).toEqual([
      'agent_execution_started',
      'agent_execution_completed',
    ]);
    expect(events(workflowM)[0]).toMatchObject({
      source_agent: { id: 'research_flow' },
      payload: { operation: 'workflow', agent_name: 'research_flow' },
      session_id: 'sess-7',
    });
    expect(events(workflowM)[0]).not.toHaveProperty('parent_event_id');
  });

  it('maps a task span to custom.task_started + custom.task_completed of the enclosing agent', () => {
    expect(events(taskM)).toEqual([
      expect.objectContaining({
        event_id: id('1100000000000002'),
        event_type: 'custom.task_started',
        timestamp: '2024-11-24T09:50:00.000Z',
        source_agent: { id: 'research_flow' },
        payload: { operation: 'task', task_name: 'summarise' },
      }),
      expect.objectContaining({
        event_id: `${id('1100000000000002')}-end`,
        event_type: 'custom.task_completed',
        payload: { operation: 'task', task_name: 'summarise' },
        performance_metrics: { latency_ms: 250, success: true },
      }),
    ]);
  });

  it('writes valid events and copies no prompt, completion, entity input or output', () => {
    for (const m of mapped) {
      expect(m.outcome).toBe('mapped');
      for (const e of events(m)) expect(parseEvent(e).ok).toBe(true);
    }
    expect(JSON.stringify(mapped.flatMap(events))).not.toContain('secret');
  });

  it('takes the agent of an LLM span exported without its agent span from traceloop.workflow.name', () => {
    const [sut] = mapSpans([{ ...chat, parentSpanId: 'ffff000000000001' }]);
    expect(events(sut)[0].source_agent).toEqual({ id: 'research_flow' });
  });

  it('prefers the GenAI agent name the current SDK sets on spans inside an agent', () => {
    const [sut] = mapSpans([
      span('1200000000000001', 'openai.chat', {
        'gen_ai.operation.name': 'chat',
        'gen_ai.agent.name': 'writer',
        'traceloop.workflow.name': 'research_flow',
        'gen_ai.usage.input_tokens': 3,
        'gen_ai.usage.output_tokens': 4,
        'gen_ai.usage.total_tokens': 7,
      }),
    ]);
    expect(events(sut)[0]).toMatchObject({
      source_agent: { id: 'writer' },
      payload: { operation: 'chat' },
      metadata: { otel: { convention: 'genai' } },
      performance_metrics: { input_tokens: 3, output_tokens: 4, tokens_used: 7 },
    });
  });

  it.each([
    ['completion', 'llm_call'],
    ['embedding', 'llm_call'],
    ['rerank', 'knowledge_access'],
  ])('maps llm.request.type %s to %s', (type, eventType) => {
    const [sut] = mapSpans([
      span('1300000000000001', `cohere.${type}`, {
        'llm.request.type': type,
        'gen_ai.request.model': 'm-1',
      }),
    ]);
    expect(events(sut)[0]).toMatchObject({ event_type: eventType, payload: { operation: type } });
  });

  it('uses llm.usage.total_tokens alone when the span has no input or output count', () => {
    const [sut] = mapSpans([
      span('1300000000000002', 'openai.chat', {
        'llm.request.type': 'chat',
        'llm.usage.total_tokens': 40,
      }),
    ]);
    expect(events(sut)[0].performance_metrics).toEqual({
      latency_ms: 250,
      success: true,
      tokens_used: 40,
    });
  });

  it('does not map kinds and request types AUREN has no event for, and says which', () => {
    const mapped2 = mapSpans([
      span('1400000000000001', 'x.unknown', { 'traceloop.span.kind': 'unknown' }),
      span('1400000000000002', 'openai.images', { 'llm.request.type': 'unknown' }),
    ]);
    expect(mapped2).toEqual([
      expect.objectContaining({
        outcome: 'skipped',
        reason: 'traceloop.span.kind "unknown" has no AUREN event type',
      }),
      expect.objectContaining({
        outcome: 'skipped',
        reason: 'llm.request.type "unknown" has no AUREN event type',
      }),
    ]);
  });
});
