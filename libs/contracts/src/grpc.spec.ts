import { existsSync } from 'node:fs';
import {
  AUREN_EVENTS_PROTO_PATH,
  jsonEventToProto,
  jsonToStruct,
  protoEventToJson,
  StructConversionError,
  structToJson,
} from './grpc';

describe('gRPC conversions', () => {
  it('the .proto path points at the file', () => {
    expect(existsSync(AUREN_EVENTS_PROTO_PATH)).toBe(true);
  });

  it('round-trips JSON through Struct (objects, arrays, numbers, booleans, null)', () => {
    const json = { a: 'x', n: 1.5, ok: false, none: null, list: [1, 'two', [true], { k: {} }] };
    expect(structToJson(jsonToStruct(json))).toEqual(json);
  });

  it('reads snake_case Values and Values with nothing set (null)', () => {
    const struct = {
      fields: {
        s: { kind: 'string_value', string_value: 'hi' },
        n: { number_value: 2 },
        empty: {},
      },
    };
    expect(structToJson(struct)).toEqual({ s: 'hi', n: 2, empty: null });
  });

  it('refuses nesting past 32 levels and non-finite numbers, naming the field', () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 1; i < 32; i++) deep = { next: deep }; // 32 levels: the limit
    expect(() => structToJson(jsonToStruct(deep), 'metadata')).not.toThrow();
    const deeper = { next: deep };
    expect(() => structToJson(jsonToStruct(deeper), 'metadata')).toThrow(
      'metadata nests deeper than 32 levels',
    );
    const nan = { fields: { score: { numberValue: NaN } } };
    try {
      structToJson(nan, 'payload');
      throw new Error('no error');
    } catch (error) {
      expect(error).toBeInstanceOf(StructConversionError);
      expect((error as StructConversionError).fieldError.field).toBe('payload.score');
    }
  });

  it('maps an event both ways; agent extras ride in extra; received_at/stream_id are dropped', () => {
    const event = {
      event_id: 'e1',
      event_type: 'llm_call',
      source_agent: { id: 'a', role: 'r', goal: 'g' },
      target_agent: { id: 'b' },
      payload: { q: 'x' },
      performance_metrics: { tokens_used: 3, success: true },
    };
    const message = jsonEventToProto(event);
    expect(message.source_agent?.extra).toEqual(jsonToStruct({ goal: 'g' }));
    expect(protoEventToJson({ ...message, received_at: 'then', stream_id: '1-0' })).toEqual(event);
    // id and role win over extras of the same name
    expect(
      protoEventToJson({
        event_type: 'x',
        source_agent: { id: 'a', extra: jsonToStruct({ id: 'z' }) },
      }).source_agent,
    ).toEqual({ id: 'a' });
  });
});
