import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { decodeJsonExport, decodeProtobufExport, encodeProtobufResponse } from './otlp-decode';
import { UndecodableExportError } from './otlp-model';

/** Spans made by the real SDK, serialised by the SDK's own OTLP serialisers. */
async function sdkSpans(): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'crew-service', 'service.version': '1.2' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('unit-test', '0.1');
  const agent = tracer.startSpan('invoke_agent researcher', {
    kind: SpanKind.INTERNAL,
    startTime: [1_700_000_000, 123_456_789],
    attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'researcher' },
  });
  agent.end([1_700_000_002, 0]);
  const chat = tracer.startSpan('chat gpt-4o', {
    kind: SpanKind.CLIENT,
    startTime: [1_700_000_000, 500_000_000],
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 30,
      'gen_ai.request.temperature': 0.5,
      'gen_ai.request.stream': false,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.request.model': '',
    },
  });
  chat.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
  chat.end([1_700_000_001, 0]);
  await provider.forceFlush();
  return exporter.getFinishedSpans();
}

describe('OTLP decoding', () => {
  let spans: ReadableSpan[];
  beforeAll(async () => {
    spans = await sdkSpans();
  });

  const expectDecoded = (decoded: ReturnType<typeof decodeJsonExport>) => {
    expect(decoded.unreadable).toEqual([]);
    expect(decoded.spans).toHaveLength(2);
    const [agent, chat] = decoded.spans;
    expect(agent.traceId).toBe(spans[0].spanContext().traceId);
    expect(agent.spanId).toBe(spans[0].spanContext().spanId);
    expect(agent.parentSpanId).toBeUndefined();
    expect(agent.startTimeUnixNano).toBe(1_700_000_000_123_456_789n);
    expect(agent.endTimeUnixNano).toBe(1_700_000_002_000_000_000n);
    expect(agent.kind).toBe(1);
    expect(agent.attributes).toEqual({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.id': 'researcher',
    });
    expect(agent.resource).toMatchObject({
      'service.name': 'crew-service',
      'service.version': '1.2',
    });
    expect(agent.scope).toEqual({ name: 'unit-test', version: '0.1' });
    expect(chat.kind).toBe(3);
    expect(chat.status).toEqual({ code: 2, message: 'rate limited' });
    expect(chat.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 30,
      'gen_ai.request.temperature': 0.5,
      'gen_ai.request.stream': false,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.request.model': '',
    });
  };

  it('reads what the SDK protobuf serialiser writes', () => {
    const bytes = ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array;
    expectDecoded(decodeProtobufExport(Buffer.from(bytes)));
  });

  it('reads what the SDK JSON serialiser writes', () => {
    const bytes = JsonTraceSerializer.serializeRequest(spans) as Uint8Array;
    expectDecoded(decodeJsonExport(JSON.parse(Buffer.from(bytes).toString('utf8'))));
  });

  it('refuses bytes that are not protobuf', () => {
    expect(() => decodeProtobufExport(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]))).toThrow(
      UndecodableExportError,
    );
  });

  it('refuses JSON that is not an export', () => {
    expect(() => decodeJsonExport([1, 2])).toThrow(/resourceSpans/);
    expect(() => decodeJsonExport({ resourceSpans: 'x' })).toThrow(/must be an array/);
  });

  it('counts spans with bad ids or times as unreadable, keeps the others', () => {
    const decoded = decodeJsonExport({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: 'abc',
                  spanId: '0102030405060708',
                  startTimeUnixNano: '1',
                  endTimeUnixNano: '2',
                },
                {
                  traceId: '0102030405060708090a0b0c0d0e0f10',
                  spanId: '0102030405060708',
                  startTimeUnixNano: '5',
                  endTimeUnixNano: '4',
                },
                {
                  traceId: '0102030405060708090A0B0C0D0E0F10',
                  spanId: '0102030405060709',
                  startTimeUnixNano: 1_000,
                  endTimeUnixNano: '2000',
                  attributes: [{ key: 'big', value: { intValue: '9007199254740993' } }],
                },
              ],
            },
          ],
        },
      ],
    });
    expect(decoded.unreadable).toEqual([
      expect.stringContaining('traceId must be 16 bytes'),
      expect.stringContaining('endTimeUnixNano is before'),
    ]);
    expect(decoded.spans).toHaveLength(1);
    expect(decoded.spans[0].traceId).toBe('0102030405060708090a0b0c0d0e0f10');
    expect(decoded.spans[0].attributes.big).toBe('9007199254740993');
  });

  it('encodes a response the SDK reads back, with and without partial success', () => {
    expect(ProtobufTraceSerializer.deserializeResponse(encodeProtobufResponse())).toEqual({});
    const partial = ProtobufTraceSerializer.deserializeResponse(
      encodeProtobufResponse({ rejectedSpans: 3, errorMessage: 'three bad spans' }),
    );
    expect(partial.partialSuccess).toMatchObject({ errorMessage: 'three bad spans' });
    expect(Number(partial.partialSuccess?.rejectedSpans)).toBe(3);
  });
});
