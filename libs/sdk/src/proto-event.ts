import type { AgentRef, AurenEvent } from './types';

/** `google.protobuf.Value` / `Struct` as @grpc/proto-loader objects with keepCase. */
type ProtoValue =
  | { null_value: 'NULL_VALUE' }
  | { number_value: number }
  | { string_value: string }
  | { bool_value: boolean }
  | { struct_value: ProtoStruct }
  | { list_value: { values: ProtoValue[] } };
interface ProtoStruct {
  fields: Record<string, ProtoValue>;
}

function toValue(value: unknown): ProtoValue {
  if (value === null || value === undefined) return { null_value: 'NULL_VALUE' };
  switch (typeof value) {
    case 'number':
      return { number_value: value };
    case 'string':
      return { string_value: value };
    case 'boolean':
      return { bool_value: value };
    case 'bigint':
      return { number_value: Number(value) };
    case 'object':
      if (Array.isArray(value)) return { list_value: { values: value.map(toValue) } };
      if (value instanceof Date) return { string_value: value.toISOString() };
      return { struct_value: toStruct(value as Record<string, unknown>) };
    default:
      return { null_value: 'NULL_VALUE' }; // functions and symbols have no JSON form either
  }
}

/** A JSON object as a Struct; keys whose value is undefined are left out, as JSON.stringify does. */
export function toStruct(object: Record<string, unknown>): ProtoStruct {
  const fields: Record<string, ProtoValue> = {};
  for (const [key, value] of Object.entries(object)) {
    if (value !== undefined) fields[key] = toValue(value);
  }
  return { fields };
}

function toAgent(agent: AgentRef): Record<string, unknown> {
  const { id, role, ...extra } = agent;
  const out: Record<string, unknown> = { id };
  if (role !== undefined) out.role = role;
  if (Object.keys(extra).length > 0) out.extra = toStruct(extra);
  return out;
}

/** The JSON event as an `auren.events.v1.AgentEvent` message object. */
export function toProtoEvent(event: AurenEvent): Record<string, unknown> {
  const message: Record<string, unknown> = {
    event_id: event.event_id,
    event_type: event.event_type,
    timestamp: event.timestamp,
    source_agent: toAgent(event.source_agent),
    payload: toStruct(event.payload),
    metadata: toStruct(event.metadata),
  };
  for (const key of ['trace_id', 'session_id', 'parent_event_id', 'user_id'] as const) {
    if (event[key] !== undefined) message[key] = event[key];
  }
  if (event.target_agent) message.target_agent = toAgent(event.target_agent);
  if (event.performance_metrics) message.performance_metrics = { ...event.performance_metrics };
  return message;
}
