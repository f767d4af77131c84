import { mapSpans } from './genai-mapping';
import { Attributes, OtlpSpan } from './otlp-model';
import { classify, NO_CONVENTION } from './span-conventions';

const T0 = 1_732_441_800_000_000_000n;

function span(attributes: Attributes, name = 'a span'): OtlpSpan {
  return {
    traceId: '7c2c3e4f5a6b7c8d9e0f1a2b3c4d5e6f',
    spanId: '3100000000000001',
    name,
    kind: 1,
    startTimeUnixNano: T0,
    endTimeUnixNano: T0 + 1_000_000n,
    attributes,
    status: { code: 0 },
    resource: { 'service.name': 'svc' },
    scope: {},
  };
}

describe('classify', () => {
  it.each<[string, Attributes, string, string, string]>([
    [
      'gen_ai.operation.name over openinference.span.kind',
      { 'gen_ai.operation.name': 'chat', 'openinference.span.kind': 'TOOL' },
      'genai',
      'llm',
      'chat',
    ],
    [
      'openinference.span.kind over traceloop.span.kind',
      { 'openinference.span.kind': 'TOOL', 'traceloop.span.kind': 'agent' },
      'openinference',
      'tool',
      'tool',
    ],
    [
      'traceloop.span.kind over llm.request.type',
      { 'traceloop.span.kind': 'tool', 'llm.request.type': 'chat' },
      'openllmetry',
      'tool',
      'tool',
    ],
    [
      'the next convention when the first has no AUREN event for the span',
      { 'gen_ai.operation.name': 'invoke_workflow', 'traceloop.span.kind': 'workflow' },
      'openllmetry',
      'agent',
      'workflow',
    ],
    [
      'an OpenInference CHAIN that OpenLLMetry calls a chat',
      { 'openinference.span.kind': 'CHAIN', 'llm.request.type': 'chat' },
      'openllmetry',
      'llm',
      'chat',
    ],
    [
      'the span name of a GenAI span without an operation, last',
      { 'gen_ai.system': 'openai' },
      'genai',
      'llm',
      'chat',
    ],
  ])('takes %s', (_what, attributes, convention, kind, operation) => {
    expect(classify(span(attributes, 'chat gpt-4o'))).toEqual({ convention, kind, operation });
  });

  it('lowers OpenInference kinds to the operation whatever their case', () => {
    expect(classify(span({ 'openinference.span.kind': 'llm' }))).toEqual({
      convention: 'openinference',
      kind: 'llm',
      operation: 'llm',
    });
  });

  it('gives the first reason when conventions know the span but none maps it', () => {
    expect(
      classify(
        span({ 'gen_ai.operation.name': 'create_agent', 'openinference.span.kind': 'CHAIN' }),
      ),
    ).toEqual({
      convention: 'genai',
      reason: 'gen_ai.operation.name "create_agent" has no AUREN event type',
    });
  });

  it('says which attributes it looked for when no convention applies', () => {
    expect(classify(span({ 'http.request.method': 'GET' }, 'GET /'))).toEqual({
      reason: NO_CONVENTION,
    });
    expect(NO_CONVENTION).toContain('openinference.span.kind');
  });
});

describe('mapSpans across conventions (which attribute wins)', () => {
  it('reads GenAI attributes first, then OpenInference, then OpenLLMetry', () => {
    const [sut] = mapSpans([
      span({
        'gen_ai.operation.name': 'chat',
        'gen_ai.agent.name': 'genai-agent',
        'agent.name': 'oi-agent',
        'gen_ai.provider.name': 'openai',
        'llm.provider': 'azure',
        'gen_ai.usage.input_tokens': 10,
        'llm.token_count.prompt': 99,
        'gen_ai.usage.prompt_tokens': 98,
        'llm.token_count.completion': 4,
        'gen_ai.conversation.id': 'conv',
        'session.id': 'oi-session',
        'gen_ai.request.model': 'gpt-4o',
        'llm.model_name': 'gpt-4o-oi',
      }),
    ]);
    expect(sut.outcome === 'mapped' && sut.events[0]).toMatchObject({
      source_agent: { id: 'genai-agent' },
      session_id: 'conv',
      payload: { provider: 'openai', request_model: 'gpt-4o', response_model: 'gpt-4o-oi' },
      performance_metrics: {
        input_tokens: 10,
        output_tokens: 4,
        tokens_used: 14,
        model: 'gpt-4o-oi',
      },
    });
  });
});
