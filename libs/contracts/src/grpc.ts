import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_LIMITS } from './agent-event';
import type { FieldError } from './validate-event';

/**
 * gRPC ingest (CONTRACT §2, docs/grpc.md): where the .proto lives, how to load it, and the
 * conversion between its messages and the JSON agent event.
 */

/** The proto package and service names. */
export const AUREN_EVENTS_PROTO_PACKAGE = 'auren.events.v1';
export const AUREN_EVENTS_SERVICE = 'EventIngest';
/** The .proto file, relative to {@link AUREN_PROTO_ROOT} (its import path). */
export const AUREN_EVENTS_PROTO_FILE = 'auren/events/v1/events.proto';

function protoRoot(): string {
  // Beside this file: the source tree, or dist/ once scripts/build.mjs copied it there. A build
  // that did not copy it (a bare `tsc`) still finds the source tree.
  const beside = join(__dirname, 'proto');
  if (existsSync(join(beside, AUREN_EVENTS_PROTO_FILE))) return beside;
  const source = join(__dirname, '..', '..', '..', '..', 'libs', 'contracts', 'src', 'proto');
  return existsSync(join(source, AUREN_EVENTS_PROTO_FILE)) ? source : beside;
}

/** Directory to pass as an include/import path (grpcurl `-import-path`, protoc `-I`). */
export const AUREN_PROTO_ROOT = protoRoot();
/** Absolute path of `auren/events/v1/events.proto`. */
export const AUREN_EVENTS_PROTO_PATH = join(AUREN_PROTO_ROOT, AUREN_EVENTS_PROTO_FILE);

/**
 * `@grpc/proto-loader` options the server uses; clients that use the helpers below must load
 * the .proto with the same ones (snake_case field names, int64 as numbers, oneof `kind`).
 */
export const AUREN_PROTO_LOADER_OPTIONS = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: false,
  arrays: true,
  objects: true,
  oneofs: true,
  includeDirs: [AUREN_PROTO_ROOT],
};

// ---------------------------------------------------------------------------------------------
// google.protobuf.Struct <-> JSON
// ---------------------------------------------------------------------------------------------

/**
 * A `google.protobuf.Value`. proto-loader takes the well-known types from protobufjs, whose
 * field names are camelCase whatever `keepCase` says; a struct.proto parsed from source with
 * keepCase has snake_case names. Decoding accepts both; {@link jsonToStruct} writes camelCase.
 */
export interface ProtoValue {
  kind?: string;
  nullValue?: unknown;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: ProtoStruct;
  listValue?: { values?: ProtoValue[] };
  [snakeCase: string]: unknown;
}

export interface ProtoStruct {
  fields?: Record<string, ProtoValue>;
}

/** A Struct could not become JSON: too deep, or a number JSON cannot hold. */
export class StructConversionError extends Error {
  constructor(readonly fieldError: FieldError) {
    super(fieldError.message);
    this.name = 'StructConversionError';
  }
}

const VALUE_KINDS: Record<string, string> = {
  nullValue: 'null_value',
  numberValue: 'number_value',
  stringValue: 'string_value',
  boolValue: 'bool_value',
  structValue: 'struct_value',
  listValue: 'list_value',
};

/** Which member of the Value oneof is set, as a snake_case name. */
function valueKind(value: ProtoValue): string | undefined {
  if (typeof value.kind === 'string') return VALUE_KINDS[value.kind] ?? value.kind;
  for (const [camel, snake] of Object.entries(VALUE_KINDS)) {
    if (value[snake] !== undefined) return snake;
    if (value[camel] !== undefined) return snake;
  }
  return undefined;
}

function member(value: ProtoValue, snake: string): unknown {
  if (value[snake] !== undefined) return value[snake];
  const camel = Object.keys(VALUE_KINDS).find((c) => VALUE_KINDS[c] === snake) as string;
  return value[camel];
}

function valueToJson(value: ProtoValue | undefined, field: string, depth: number): unknown {
  if (!value || typeof value !== 'object') return null;
  const kind = valueKind(value);
  switch (kind) {
    case 'number_value': {
      const n = Number(member(value, kind));
      if (!Number.isFinite(n)) {
        throw new StructConversionError({
          field,
          message: `${field} must be a finite number (JSON has no NaN or Infinity)`,
        });
      }
      return n;
    }
    case 'string_value':
      return String(member(value, kind));
    case 'bool_value':
      return Boolean(member(value, kind));
    case 'struct_value':
      return structLevel(member(value, kind) as ProtoStruct, field, depth + 1);
    case 'list_value': {
      if (depth + 1 > EVENT_LIMITS.maxNestingDepth) throw tooDeep(field);
      const list = member(value, kind) as { values?: ProtoValue[] } | undefined;
      return (list?.values ?? []).map((item, i) => valueToJson(item, `${field}[${i}]`, depth + 1));
    }
    default:
      // null_value, or a Value with nothing set: JSON null, as the protobuf JSON mapping does.
      return null;
  }
}

function tooDeep(field: string): StructConversionError {
  const root = field.split(/[.[]/)[0];
  return new StructConversionError({
    field: root,
    message: `${root} nests deeper than ${EVENT_LIMITS.maxNestingDepth} levels`,
  });
}

function structLevel(
  struct: ProtoStruct | undefined,
  field: string,
  depth: number,
): Record<string, unknown> {
  if (depth > EVENT_LIMITS.maxNestingDepth) throw tooDeep(field);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(struct?.fields ?? {})) {
    out[key] = valueToJson(value, `${field}.${key}`, depth);
  }
  return out;
}

/**
 * A decoded `google.protobuf.Struct` as a plain JSON object. `field` names it in errors. Throws
 * {@link StructConversionError} past the contract's nesting depth (32) or on NaN/Infinity.
 */
export function structToJson(
  struct: ProtoStruct | undefined,
  field = 'payload',
): Record<string, unknown> {
  return structLevel(struct, field, 1);
}

function jsonToValue(value: unknown): ProtoValue {
  if (value === null || value === undefined) return { nullValue: 'NULL_VALUE' };
  switch (typeof value) {
    case 'number':
      return { numberValue: value };
    case 'string':
      return { stringValue: value };
    case 'boolean':
      return { boolValue: value };
    case 'bigint':
      return { numberValue: Number(value) };
    case 'object':
      if (Array.isArray(value)) return { listValue: { values: value.map(jsonToValue) } };
      if (value instanceof Date) return { stringValue: value.toISOString() };
      return { structValue: jsonToStruct(value as Record<string, unknown>) };
    default:
      // Functions and symbols have no JSON form; JSON.stringify drops them too.
      return { nullValue: 'NULL_VALUE' };
  }
}

/** A plain JSON object as a `google.protobuf.Struct` message object for a proto-loader client. */
export function jsonToStruct(object: Record<string, unknown> | undefined | null): ProtoStruct {
  const fields: Record<string, ProtoValue> = {};
  for (const [key, value] of Object.entries(object ?? {})) {
    if (value !== undefined) fields[key] = jsonToValue(value);
  }
  return { fields };
}

// ---------------------------------------------------------------------------------------------
// AgentEvent message <-> JSON event
// ---------------------------------------------------------------------------------------------

export interface ProtoAgentRef {
  id?: string;
  role?: string;
  extra?: ProtoStruct;
}

/** `auren.events.v1.AgentEvent` as decoded with {@link AUREN_PROTO_LOADER_OPTIONS}. */
export interface ProtoAgentEvent {
  event_id?: string;
  event_type?: string;
  timestamp?: string;
  trace_id?: string;
  session_id?: string;
  parent_event_id?: string;
  user_id?: string;
  source_agent?: ProtoAgentRef | null;
  target_agent?: ProtoAgentRef | null;
  payload?: ProtoStruct | null;
  metadata?: ProtoStruct | null;
  performance_metrics?: Record<string, unknown> | null;
  received_at?: string;
  stream_id?: string;
}

const STRING_FIELDS = [
  'event_id',
  'event_type',
  'timestamp',
  'trace_id',
  'session_id',
  'parent_event_id',
  'user_id',
] as const;

function agentToJson(ref: ProtoAgentRef, field: string): Record<string, unknown> {
  const out: Record<string, unknown> = structToJson(ref.extra ?? undefined, `${field}.extra`);
  if (ref.id !== undefined) out.id = ref.id;
  else delete out.id;
  if (ref.role !== undefined) out.role = ref.role;
  else delete out.role;
  return out;
}

/**
 * The JSON event a decoded `AgentEvent` message stands for, ready for `parseEvent` (which then
 * applies every rule of CONTRACT §1). `received_at` and `stream_id` are dropped: the server sets
 * them. Throws {@link StructConversionError} when a Struct cannot become JSON.
 */
export function protoEventToJson(message: ProtoAgentEvent): Record<string, unknown> {
  const event: Record<string, unknown> = {};
  for (const key of STRING_FIELDS) {
    if (message[key] !== undefined && message[key] !== null) event[key] = message[key];
  }
  if (message.source_agent) event.source_agent = agentToJson(message.source_agent, 'source_agent');
  if (message.target_agent) event.target_agent = agentToJson(message.target_agent, 'target_agent');
  if (message.payload) event.payload = structToJson(message.payload, 'payload');
  if (message.metadata) event.metadata = structToJson(message.metadata, 'metadata');
  if (message.performance_metrics) {
    const metrics: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(message.performance_metrics)) {
      if (value !== undefined && value !== null) metrics[key] = value;
    }
    event.performance_metrics = metrics;
  }
  return event;
}

/** A proto string field from JSON: strings as they are, anything else as its JSON text. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
}

function agentToProto(agent: unknown): ProtoAgentRef | undefined {
  if (!agent || typeof agent !== 'object') return undefined;
  const { id, role, ...extra } = agent as Record<string, unknown>;
  const ref: ProtoAgentRef = {};
  if (id !== undefined) ref.id = text(id);
  if (role !== undefined && role !== null) ref.role = text(role);
  if (Object.keys(extra).length > 0) ref.extra = jsonToStruct(extra);
  return ref;
}

/**
 * A JSON event (CONTRACT §1) as an `AgentEvent` message object for a grpc-js client that loaded
 * the .proto with {@link AUREN_PROTO_LOADER_OPTIONS}.
 */
export function jsonEventToProto(event: Record<string, unknown>): ProtoAgentEvent {
  const message: ProtoAgentEvent = {};
  for (const key of STRING_FIELDS) {
    const value = event[key];
    if (value !== undefined && value !== null) message[key] = text(value);
  }
  const source = agentToProto(event.source_agent);
  if (source) message.source_agent = source;
  const target = agentToProto(event.target_agent);
  if (target) message.target_agent = target;
  if (event.payload && typeof event.payload === 'object') {
    message.payload = jsonToStruct(event.payload as Record<string, unknown>);
  }
  if (event.metadata && typeof event.metadata === 'object') {
    message.metadata = jsonToStruct(event.metadata as Record<string, unknown>);
  }
  if (event.performance_metrics && typeof event.performance_metrics === 'object') {
    message.performance_metrics = { ...(event.performance_metrics as Record<string, unknown>) };
  }
  return message;
}
