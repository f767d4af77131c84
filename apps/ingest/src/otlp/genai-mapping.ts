import type { EventType } from '@auren/contracts';
import { Attributes, AttributeValue, OtlpSpan, SPAN_KIND_NAMES, SPAN_STATUS } from './otlp-model';

/**
 * OpenTelemetry GenAI spans to AUREN events (docs/otlp.md has the table). Pure: no I/O, no
 * clock, no randomness, so the same export always gives the same events and the same ids.
 */

/** An event as ingest input (CONTRACT §1), before validation. */
export type EventInput = Record<string, unknown> & { event_id: string; event_type: EventType };

export type SpanMapping =
  | { outcome: 'mapped'; span: OtlpSpan; events: EventInput[] }
  | { outcome: 'skipped'; span: OtlpSpan; reason: string }
  | { outcome: 'invalid'; span: OtlpSpan; reason: string };

const LLM_OPERATIONS = new Set(['chat', 'text_completion', 'generate_content', 'embeddings']);
/**
 * Memory operations of the GenAI memory conventions (create_memory_store, search_memory,
 * update_memory, delete_memory, delete_memory_store; create_memory and upsert_memory as the
 * vendors name them), plus any name that ends in `_memory`/`_memory_store` or starts with `memory_`.
 */
const MEMORY_OPERATION = /^(memory_[a-z_]+|[a-z_]+_memory|[a-z_]+_memory_store)$/;
const KNOWN_OPERATIONS = new Set(['invoke_agent', 'execute_tool', 'retrieval', ...LLM_OPERATIONS]);

const MAX_ERROR_TYPE = 256;
const MAX_ANCESTRY = 64;

/** Maps every span of one export; spans may borrow their agent from an ancestor in the export. */
export function mapSpans(spans: OtlpSpan[]): SpanMapping[] {
  const byId = new Map<string, OtlpSpan>();
  for (const span of spans) byId.set(`${span.traceId}/${span.spanId}`, span);
  return spans.map((span) => mapSpan(span, byId));
}

/** The GenAI operation of a span: `gen_ai.operation.name`, else the span name's first word. */
export function operationOf(span: OtlpSpan): string | undefined {
  const declared = text(span.attributes['gen_ai.operation.name']);
  if (declared) return declared;
  if (!Object.keys(span.attributes).some((key) => key.startsWith('gen_ai.'))) return undefined;
  // Conventions name spans "{operation} {model or agent or tool}"; older instrumentations
  // set gen_ai.* attributes without gen_ai.operation.name.
  const first = span.name.split(' ')[0];
  return KNOWN_OPERATIONS.has(first) || MEMORY_OPERATION.test(first) ? first : undefined;
}

function mapSpan(span: OtlpSpan, byId: Map<string, OtlpSpan>): SpanMapping {
  const operation = operationOf(span);
  if (!operation) {
    return { outcome: 'skipped', span, reason: 'no gen_ai.operation.name' };
  }
  const kind = eventKind(operation);
  if (!kind) {
    return {
      outcome: 'skipped',
      span,
      reason: `gen_ai.operation.name "${operation}" has no AUREN event type`,
    };
  }
  const agent = agentOf(span, byId);
  if (!agent) {
    return {
      outcome: 'invalid',
      span,
      reason: `span ${span.spanId}: no agent id (set gen_ai.agent.id, gen_ai.agent.name or the resource's service.name)`,
    };
  }
  const startMs = span.startTimeUnixNano / 1_000_000n;
  const endMs = span.endTimeUnixNano / 1_000_000n;
  if (endMs > 8_640_000_000_000_000n) {
    return { outcome: 'invalid', span, reason: `span ${span.spanId}: time out of range` };
  }
  const base = {
    trace_id: span.traceId,
    session_id: fromAncestry(span, byId, (s) => text(s.attributes['gen_ai.conversation.id'])),
    parent_event_id: span.parentSpanId ? eventIdOf(span.traceId, span.parentSpanId) : undefined,
    source_agent: agent,
    metadata: metadataOf(span, operation),
  };
  const id = eventIdOf(span.traceId, span.spanId);
  const started = new Date(Number(startMs)).toISOString();
  const ended = new Date(Number(endMs)).toISOString();
  const outcome = outcomeOf(span);
  const latency_ms = Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e6;
  const a = span.attributes;

  const event = (
    event_id: string,
    event_type: EventType,
    timestamp: string,
    payload: Record<string, unknown>,
    metrics?: Record<string, unknown>,
  ): EventInput =>
    compact({
      event_id,
      event_type,
      timestamp,
      ...base,
      payload: compact(payload),
      performance_metrics: metrics && compact(metrics),
    });

  switch (kind) {
    case 'agent': {
      const payload = {
        operation,
        agent_name: text(a['gen_ai.agent.name']),
        agent_description: text(a['gen_ai.agent.description']),
        provider: providerOf(a),
        request_model: text(a['gen_ai.request.model']),
      };
      return {
        outcome: 'mapped',
        span,
        events: [
          event(id, 'agent_execution_started', started, payload),
          event(`${id}-end`, 'agent_execution_completed', ended, payload, {
            latency_ms,
            ...outcome,
            ...tokensOf(a),
            model: modelOf(a),
          }),
        ],
      };
    }
    case 'llm':
      return {
        outcome: 'mapped',
        span,
        events: [
          event(
            id,
            'llm_call',
            ended,
            {
              operation,
              provider: providerOf(a),
              request_model: text(a['gen_ai.request.model']),
              response_model: text(a['gen_ai.response.model']),
              response_id: text(a['gen_ai.response.id']),
              finish_reasons: a['gen_ai.response.finish_reasons'] ?? undefined,
            },
            { latency_ms, ...outcome, ...tokensOf(a), model: modelOf(a) },
          ),
        ],
      };
    case 'tool':
      return {
        outcome: 'mapped',
        span,
        events: [
          event(
            id,
            'tool_usage',
            ended,
            {
              operation,
              tool_name: text(a['gen_ai.tool.name']) ?? span.name.replace(/^execute_tool\s*/, ''),
              tool_call_id: text(a['gen_ai.tool.call.id']),
              tool_type: text(a['gen_ai.tool.type']),
            },
            { latency_ms, ...outcome },
          ),
        ],
      };
    case 'retrieval': {
      const documents = a['gen_ai.retrieval.documents'];
      return {
        outcome: 'mapped',
        span,
        events: [
          event(
            id,
            'knowledge_access',
            ended,
            {
              operation,
              data_source_id: text(a['gen_ai.data_source.id']),
              provider: providerOf(a),
              document_count: Array.isArray(documents) ? documents.length : undefined,
            },
            { latency_ms, ...outcome },
          ),
        ],
      };
    }
    case 'memory':
      return {
        outcome: 'mapped',
        span,
        events: [
          event(
            id,
            'memory_tier_access',
            ended,
            {
              tier: memoryTierOf(a),
              operation,
              hit: memoryHitOf(a, operation),
              store_id: text(a['gen_ai.memory.store.id']),
              record_id: text(a['gen_ai.memory.record.id']),
            },
            { latency_ms, ...outcome },
          ),
        ],
      };
  }
}

type EventKind = 'agent' | 'llm' | 'tool' | 'retrieval' | 'memory';

function eventKind(operation: string): EventKind | undefined {
  if (operation === 'invoke_agent') return 'agent';
  if (LLM_OPERATIONS.has(operation)) return 'llm';
  if (operation === 'execute_tool') return 'tool';
  if (operation === 'retrieval') return 'retrieval';
  if (MEMORY_OPERATION.test(operation)) return 'memory';
  return undefined;
}

/** `otlp-<trace id>-<span id>`: a re-sent export gives the same ids, so it is stored once. */
export function eventIdOf(traceId: string, spanId: string): string {
  return `otlp-${traceId}-${spanId}`;
}

/**
 * The first answer of `pick` on the span or its nearest ancestor in the same export: a chat
 * span inside an invoke_agent span belongs to that agent and its conversation.
 */
function fromAncestry<T>(
  span: OtlpSpan,
  byId: Map<string, OtlpSpan>,
  pick: (s: OtlpSpan) => T | undefined,
): T | undefined {
  let current: OtlpSpan | undefined = span;
  for (let hops = 0; current && hops < MAX_ANCESTRY; hops += 1) {
    const found = pick(current);
    if (found !== undefined) return found;
    current = current.parentSpanId
      ? byId.get(`${current.traceId}/${current.parentSpanId}`)
      : undefined;
  }
  return undefined;
}

/** gen_ai.agent.id, else gen_ai.agent.name (span or ancestor), else the resource's service.name. */
function agentOf(span: OtlpSpan, byId: Map<string, OtlpSpan>): Record<string, string> | undefined {
  const agent = fromAncestry(span, byId, (s) => {
    const id = text(s.attributes['gen_ai.agent.id']);
    const name = text(s.attributes['gen_ai.agent.name']);
    if (!id && !name) return undefined;
    const ref: Record<string, string> = { id: (id ?? name) as string };
    if (id && name && name !== id) ref.name = name;
    return ref;
  });
  const service = text(span.resource['service.name']);
  return agent ?? (service ? { id: service } : undefined);
}

function outcomeOf(span: OtlpSpan): { success: boolean; error_type?: string } {
  const failed = span.status.code === SPAN_STATUS.ERROR;
  const declared = text(span.attributes['error.type']);
  if (!failed && !declared) return { success: true };
  const errorType = declared ?? span.status.message ?? 'error';
  return { success: !failed, error_type: errorType.slice(0, MAX_ERROR_TYPE) };
}

function tokensOf(a: Attributes): Record<string, unknown> {
  const input = count(a['gen_ai.usage.input_tokens'] ?? a['gen_ai.usage.prompt_tokens']);
  const output = count(a['gen_ai.usage.output_tokens'] ?? a['gen_ai.usage.completion_tokens']);
  const out: Record<string, unknown> = {};
  if (input !== undefined) out.input_tokens = input;
  if (output !== undefined) out.output_tokens = output;
  if (typeof input === 'number' || typeof output === 'number') {
    out.tokens_used =
      (typeof input === 'number' ? input : 0) + (typeof output === 'number' ? output : 0);
  }
  return out;
}

function modelOf(a: Attributes): string | undefined {
  return text(a['gen_ai.response.model']) ?? text(a['gen_ai.request.model']);
}

function providerOf(a: Attributes): string | undefined {
  return text(a['gen_ai.provider.name']) ?? text(a['gen_ai.system']);
}

/** The memory tier: the store's name or id, else the database system, else "unknown". */
function memoryTierOf(a: Attributes): string {
  return (
    text(a['gen_ai.memory.store.name']) ??
    text(a['gen_ai.memory.store.id']) ??
    text(a['db.system.name']) ??
    text(a['db.system']) ??
    'unknown'
  );
}

/** Whether a memory read found something: only known for searches that report records. */
function memoryHitOf(a: Attributes, operation: string): boolean | undefined {
  const explicit = a['auren.memory.hit'];
  if (typeof explicit === 'boolean') return explicit;
  if (operation !== 'search_memory') return undefined;
  const records = a['gen_ai.memory.records'];
  return Array.isArray(records) ? records.length > 0 : undefined;
}

function metadataOf(span: OtlpSpan, operation: string): Record<string, unknown> {
  return {
    source: 'otlp',
    otel: compact({
      trace_id: span.traceId,
      span_id: span.spanId,
      parent_span_id: span.parentSpanId,
      span_name: span.name,
      span_kind: SPAN_KIND_NAMES[span.kind] ?? String(span.kind),
      operation,
      status:
        span.status.code === SPAN_STATUS.ERROR
          ? 'error'
          : span.status.code === SPAN_STATUS.OK
            ? 'ok'
            : 'unset',
      status_message: span.status.message,
      scope: span.scope.name,
      service_name: text(span.resource['service.name']),
      service_version: text(span.resource['service.version']),
    }),
  };
}

function text(value: AttributeValue | undefined): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** A token count as sent: numbers as they are (validation judges them), numeric strings parsed. */
function count(value: AttributeValue | undefined): unknown {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return value;
}

function compact<T extends Record<string, unknown>>(object: T): T {
  for (const key of Object.keys(object)) if (object[key] === undefined) delete object[key];
  return object;
}
