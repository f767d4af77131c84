import * as protobuf from 'protobufjs';

/**
 * The OTLP trace messages AUREN reads, as protobuf schema text handed to protobufjs.
 *
 * Why not the decoder of @opentelemetry/otlp-transformer? Its 0.2xx line (the one for Node 20)
 * only ships client code: a hand-rolled writer that serialises requests and a reader for the
 * response. It has no ExportTraceServiceRequest decoder and no generated protobufjs root any
 * more. So the server side does what a collector does: it takes the message definitions of
 * opentelemetry-proto (collector/trace/v1, trace/v1, common/v1, resource/v1; field numbers are
 * the wire contract and are stable since OTLP 1.0) and lets a general protobuf library decode
 * them. Only the fields AUREN uses are declared: protobufjs skips the rest (events, links,
 * trace_state, entity_refs...), as protobuf requires. The unit tests decode what the
 * OpenTelemetry SDK's own serialiser writes, so a wrong number here fails a test.
 */
const SCHEMA = `
syntax = "proto3";
package opentelemetry.proto;

message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message InstrumentationScope { string name = 1; string version = 2; }
message Resource { repeated KeyValue attributes = 1; }

message Status {
  string message = 2;
  int32 code = 3;
}
message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  bytes parent_span_id = 4;
  string name = 5;
  int32 kind = 6;
  fixed64 start_time_unix_nano = 7;
  fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9;
  Status status = 15;
}
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }

message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ExportTracePartialSuccess {
  int64 rejected_spans = 1;
  string error_message = 2;
}
message ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }
`;

const root = protobuf.parse(SCHEMA, { keepCase: false }).root;

export const ExportTraceServiceRequest = root.lookupType(
  'opentelemetry.proto.ExportTraceServiceRequest',
);
export const ExportTraceServiceResponse = root.lookupType(
  'opentelemetry.proto.ExportTraceServiceResponse',
);

/**
 * Options for `toObject`: int64 as decimal strings (nanosecond times do not fit a double),
 * bytes as base64 (turned into hex ids by the reader), enums as numbers, as in OTLP/JSON.
 */
export const TO_OBJECT: protobuf.IConversionOptions = { longs: String, bytes: String };
