import { Attributes, AttributeValue, OtlpSpan, SPAN_STATUS } from './otlp-model';

/**
 * Reading event fields out of span attributes, across conventions. Where several conventions
 * name the same thing, the first name in each list wins: GenAI semantic conventions, then
 * OpenInference, then OpenLLMetry (docs/otlp.md, "Which attribute wins").
 */

const MAX_ERROR_TYPE = 256;
const MAX_ANCESTRY = 64;

/** Spans of one export by `trace/span` id, for walking up to ancestors. */
export type SpanIndex = Map<string, OtlpSpan>;

/** The first attribute of `keys` that holds a non-empty string (numbers and booleans as text). */
export function firstText(a: Attributes, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const value = text(a[key]);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** The first attribute of `keys` that is set at all (validation judges its value). */
function firstSet(a: Attributes, ...keys: string[]): AttributeValue | undefined {
  for (const key of keys) if (a[key] !== undefined && a[key] !== null) return a[key];
  return undefined;
}

/**
 * The first answer of `pick` on the span or its nearest ancestor in the same export: a chat
 * span inside an agent span belongs to that agent and its conversation.
 */
export function fromAncestry<T>(
  span: OtlpSpan,
  byId: SpanIndex,
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

/** The agent a span itself names: GenAI ids and names, an OpenInference or Traceloop agent span. */
function declaredAgent(s: OtlpSpan): Record<string, string> | undefined {
  const a = s.attributes;
  const id = text(a['gen_ai.agent.id']);
  const name = text(a['gen_ai.agent.name']);
  if (id || name) {
    const ref: Record<string, string> = { id: (id ?? name) as string };
    if (id && name && name !== id) ref.name = name;
    return ref;
  }
  const openInference = text(a['agent.name']);
  if (openInference) return { id: openInference };
  if (text(a['openinference.span.kind'])?.toUpperCase() === 'AGENT' && s.name)
    return { id: s.name };
  const traceloopKind = text(a['traceloop.span.kind']);
  const entity = text(a['traceloop.entity.name']);
  if ((traceloopKind === 'agent' || traceloopKind === 'workflow') && entity) return { id: entity };
  return undefined;
}

/**
 * The agent of a span: one the span or its nearest ancestor names, else the Traceloop workflow
 * the span belongs to (`traceloop.workflow.name`, which the SDK sets on every span of the
 * workflow), else the resource's `service.name`.
 */
export function agentOf(span: OtlpSpan, byId: SpanIndex): Record<string, string> | undefined {
  const agent = fromAncestry(span, byId, declaredAgent);
  if (agent) return agent;
  const fallback =
    text(span.attributes['traceloop.workflow.name']) ?? text(span.resource['service.name']);
  return fallback ? { id: fallback } : undefined;
}

/** The conversation: GenAI's, OpenInference's `session.id`, or a Traceloop association property. */
export function sessionOf(span: OtlpSpan, byId: SpanIndex): string | undefined {
  return fromAncestry(span, byId, (s) =>
    firstText(
      s.attributes,
      'gen_ai.conversation.id',
      'session.id',
      'traceloop.association.properties.session_id',
    ),
  );
}

export function outcomeOf(span: OtlpSpan): { success: boolean; error_type?: string } {
  const failed = span.status.code === SPAN_STATUS.ERROR;
  const declared = text(span.attributes['error.type']);
  if (!failed && !declared) return { success: true };
  const errorType = declared ?? span.status.message ?? 'error';
  return { success: !failed, error_type: errorType.slice(0, MAX_ERROR_TYPE) };
}

/**
 * Token counts. `tokens_used` is input + output when either is known (so it always equals
 * their sum), else a total the span declares (OpenLLMetry's `llm.usage.total_tokens`...).
 */
export function tokensOf(a: Attributes): Record<string, unknown> {
  const input = count(
    firstSet(
      a,
      'gen_ai.usage.input_tokens',
      'gen_ai.usage.prompt_tokens',
      'llm.token_count.prompt',
      'llm.usage.prompt_tokens',
      'decision.token_count.input',
    ),
  );
  const output = count(
    firstSet(
      a,
      'gen_ai.usage.output_tokens',
      'gen_ai.usage.completion_tokens',
      'llm.token_count.completion',
      'llm.usage.completion_tokens',
      'decision.token_count.output',
    ),
  );
  const out: Record<string, unknown> = {};
  if (input !== undefined) out.input_tokens = input;
  if (output !== undefined) out.output_tokens = output;
  if (typeof input === 'number' || typeof output === 'number') {
    out.tokens_used =
      (typeof input === 'number' ? input : 0) + (typeof output === 'number' ? output : 0);
  } else {
    const total = count(
      firstSet(a, 'gen_ai.usage.total_tokens', 'llm.token_count.total', 'llm.usage.total_tokens'),
    );
    if (total !== undefined) out.tokens_used = total;
  }
  return out;
}

export function requestModelOf(a: Attributes): string | undefined {
  return firstText(
    a,
    'gen_ai.request.model',
    'llm.request.model_name',
    'decision.request.model_name',
  );
}

export function responseModelOf(a: Attributes): string | undefined {
  return firstText(
    a,
    'gen_ai.response.model',
    'llm.response.model_name',
    'llm.model_name',
    'embedding.model_name',
    'reranker.model_name',
    'decision.response.model_name',
    'decision.model_name',
  );
}

/** The model that answered, else the one asked for. */
export function modelOf(a: Attributes): string | undefined {
  return responseModelOf(a) ?? requestModelOf(a);
}

export function providerOf(a: Attributes): string | undefined {
  return firstText(
    a,
    'gen_ai.provider.name',
    'gen_ai.system',
    'llm.provider',
    'llm.system',
    'decision.provider',
    'decision.system',
  );
}

/**
 * How many documents a retrieval returned: GenAI's `gen_ai.retrieval.documents` array, or the
 * flattened OpenInference lists (`retrieval.documents.0.document.id`, ...; reranker output).
 */
export function documentCountOf(a: Attributes): number | undefined {
  for (const key of [
    'gen_ai.retrieval.documents',
    'retrieval.documents',
    'reranker.output_documents',
  ]) {
    const list = a[key];
    if (Array.isArray(list)) return list.length;
    const prefix = `${key}.`;
    const indices = new Set<string>();
    for (const name of Object.keys(a)) {
      if (!name.startsWith(prefix)) continue;
      const index = name.slice(prefix.length).split('.')[0];
      if (/^\d+$/.test(index)) indices.add(index);
    }
    if (indices.size > 0) return indices.size;
  }
  return undefined;
}

/** The memory tier: the store's name or id, else the database system, else "unknown". */
export function memoryTierOf(a: Attributes): string {
  return (
    firstText(
      a,
      'gen_ai.memory.store.name',
      'gen_ai.memory.store.id',
      'db.system.name',
      'db.system',
    ) ?? 'unknown'
  );
}

/** Whether a memory read found something: only known for searches that report records. */
export function memoryHitOf(a: Attributes, operation: string): boolean | undefined {
  const explicit = a['auren.memory.hit'];
  if (typeof explicit === 'boolean') return explicit;
  if (operation !== 'search_memory') return undefined;
  const records = a['gen_ai.memory.records'];
  return Array.isArray(records) ? records.length > 0 : undefined;
}

export function text(value: AttributeValue | undefined): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** A token count as sent: numbers as they are (validation judges them), numeric strings parsed. */
export function count(value: AttributeValue | undefined): unknown {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return value;
}

export function compact<T extends Record<string, unknown>>(object: T): T {
  for (const key of Object.keys(object)) if (object[key] === undefined) delete object[key];
  return object;
}
