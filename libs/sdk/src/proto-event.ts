import type { AgentRef, AurenEvent } from './types';

/**
 * Field names of `google.protobuf.Value` as the loaded definition spells them: protobufjs's
 * bundled well-known types use camelCase (`stringValue`) even with keepCase; a struct.proto
 * parsed from disk with keepCase uses snake_case (`string_value`).
 */
export type ValueNaming = 'camel' | 'snake';

type ProtoValue = Record<string, unknown>;
interface ProtoStruct {
  fields: Record<string, ProtoValue>;
}

const NAMES = {
  camel: ['nullValue', 'numberValue', 'stringValue', 'boolValue', 'structValue', 'listValue'],
  snake: ['null_value', 'number_value', 'string_value', 'bool_value', 'struct_value', 'list_value'],
} as const;

function toValue(value: unknown, naming: ValueNaming): ProtoValue {
  const [nul, num, str, bool, struct, list] = NAMES[naming];
  if (value === null || value === undefined) return { [nul]: 'NULL_VALUE' };
  switch (typeof value) {
    case 'number':
      return { [num]: value };
    case 'string':
      return { [str]: value };
    case 'boolean':
      return { [bool]: value };
    case 'bigint':
      return { [num]: Number(value) };
    case 'object':
      if (Array.isArray(value)) return { [list]: { values: value.map((v) => toValue(v, naming)) } };
      if (value instanceof Date) return { [str]: value.toISOString() };
      return { [struct]: toStruct(value as Record<string, unknown>, naming) };
    default:
      return { [nul]: 'NULL_VALUE' }; // functions and symbols have no JSON form either
  }
}

/** A JSON object as a Struct; keys whose value is undefined are left out, as JSON.stringify does. */
export function toStruct(object: Record<string, unknown>, naming: ValueNaming): ProtoStruct {
  const fields: Record<string, ProtoValue> = {};
  for (const [key, value] of Object.entries(object)) {
    if (value !== undefined) fields[key] = toValue(value, naming);
  }
  return { fields };
}

function toAgent(agent: AgentRef, naming: ValueNaming): Record<string, unknown> {
  const { id, role, ...extra } = agent;
  const out: Record<string, unknown> = { id };
  if (role !== undefined) out.role = role;
  if (Object.keys(extra).length > 0) out.extra = toStruct(extra, naming);
  return out;
}

/** The JSON event as an `auren.events.v1.AgentEvent` message object. */
export function toProtoEvent(event: AurenEvent, naming: ValueNaming): Record<string, unknown> {
  const message: Record<string, unknown> = {
    event_id: event.event_id,
    event_type: event.event_type,
    timestamp: event.timestamp,
    source_agent: toAgent(event.source_agent, naming),
    payload: toStruct(event.payload, naming),
    metadata: toStruct(event.metadata, naming),
  };
  for (const key of ['trace_id', 'session_id', 'parent_event_id', 'user_id'] as const) {
    if (event[key] !== undefined) message[key] = event[key];
  }
  if (event.target_agent) message.target_agent = toAgent(event.target_agent, naming);
  if (event.performance_metrics) message.performance_metrics = { ...event.performance_metrics };
  return message;
}
