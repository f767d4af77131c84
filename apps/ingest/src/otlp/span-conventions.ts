import type { OtlpSpan } from './otlp-model';
import { text } from './span-attributes';

/**
 * Which AUREN event a span is, by the convention that describes it (docs/otlp.md, "Which
 * convention decides"). Each convention looks only at its own marker attribute and answers:
 * not mine (undefined), mine and mapped to a kind, or mine but no AUREN event (a reason).
 */

/** The AUREN event family a span becomes; span-events.ts has one builder per kind. */
export type EventKind =
  'agent' | 'llm' | 'tool' | 'retrieval' | 'memory' | 'decision' | 'task' | 'evaluation';

export type Convention = 'genai' | 'openinference' | 'openllmetry';

/** A span the mapping knows: its convention, the AUREN kind and the operation as the span said it. */
export interface Classified {
  convention: Convention;
  kind: EventKind;
  operation: string;
}

/** A span a convention recognised but has no AUREN event for, and why. */
export interface Unmapped {
  convention?: Convention;
  reason: string;
}

type Classifier = (span: OtlpSpan) => Classified | Unmapped | undefined;

export const LLM_OPERATIONS = new Set([
  'chat',
  'text_completion',
  'generate_content',
  'embeddings',
]);
/**
 * Memory operations of the GenAI memory conventions (create_memory_store, search_memory,
 * update_memory, delete_memory, delete_memory_store; create_memory and upsert_memory as the
 * vendors name them), plus any name that ends in `_memory`/`_memory_store` or starts with `memory_`.
 */
const MEMORY_OPERATION = /^(memory_[a-z_]+|[a-z_]+_memory|[a-z_]+_memory_store)$/;
const KNOWN_OPERATIONS = new Set(['invoke_agent', 'execute_tool', 'retrieval', ...LLM_OPERATIONS]);

/** The AUREN kind of a GenAI operation name. */
function genAiKind(operation: string): EventKind | undefined {
  if (operation === 'invoke_agent') return 'agent';
  if (LLM_OPERATIONS.has(operation)) return 'llm';
  if (operation === 'execute_tool') return 'tool';
  if (operation === 'retrieval') return 'retrieval';
  if (MEMORY_OPERATION.test(operation)) return 'memory';
  return undefined;
}

const genAi = (operation: string): Classified | Unmapped => {
  const kind = genAiKind(operation);
  return kind
    ? { convention: 'genai', kind, operation }
    : {
        convention: 'genai',
        reason: `gen_ai.operation.name "${operation}" has no AUREN event type`,
      };
};

/** GenAI semantic conventions, declared: `gen_ai.operation.name`. */
const genAiDeclared: Classifier = (span) => {
  const declared = text(span.attributes['gen_ai.operation.name']);
  return declared ? genAi(declared) : undefined;
};

/**
 * GenAI, inferred: spans with `gen_ai.*` attributes but no operation name (older
 * instrumentations), named "{operation} {target}" as the conventions name spans.
 */
const genAiInferred: Classifier = (span) => {
  const inferred = inferredOperation(span);
  return inferred ? genAi(inferred) : undefined;
};

function inferredOperation(span: OtlpSpan): string | undefined {
  if (text(span.attributes['gen_ai.operation.name'])) return undefined;
  if (!Object.keys(span.attributes).some((key) => key.startsWith('gen_ai.'))) return undefined;
  const first = span.name.split(' ')[0];
  return KNOWN_OPERATIONS.has(first) || MEMORY_OPERATION.test(first) ? first : undefined;
}

/** OpenInference: `openinference.span.kind`, upper case; the operation is the kind in lower case. */
const OPENINFERENCE_KINDS: Record<string, EventKind> = {
  AGENT: 'agent',
  LLM: 'llm',
  EMBEDDING: 'llm',
  TOOL: 'tool',
  RETRIEVER: 'retrieval',
  RERANKER: 'retrieval',
  GUARDRAIL: 'decision',
  DECISION: 'decision',
  EVALUATOR: 'evaluation',
};

const openInference: Classifier = (span) => {
  const declared = text(span.attributes['openinference.span.kind']);
  if (!declared) return undefined;
  const spanKind = declared.toUpperCase();
  const kind = OPENINFERENCE_KINDS[spanKind];
  if (kind) return { convention: 'openinference', kind, operation: spanKind.toLowerCase() };
  return {
    convention: 'openinference',
    reason:
      spanKind === 'CHAIN'
        ? 'openinference.span.kind CHAIN is a step of a pipeline, not an agent event (the AGENT, LLM and TOOL spans inside it are mapped)'
        : `openinference.span.kind "${declared}" has no AUREN event type`,
  };
};

/** OpenLLMetry (Traceloop): the SDK's decorators set `traceloop.span.kind`. */
const TRACELOOP_KINDS: Record<string, EventKind> = {
  workflow: 'agent',
  agent: 'agent',
  task: 'task',
  tool: 'tool',
};

const openLlmetrySpanKind: Classifier = (span) => {
  const declared = text(span.attributes['traceloop.span.kind']);
  if (!declared) return undefined;
  const kind = TRACELOOP_KINDS[declared];
  return kind
    ? { convention: 'openllmetry', kind, operation: declared }
    : {
        convention: 'openllmetry',
        reason: `traceloop.span.kind "${declared}" has no AUREN event type`,
      };
};

/** OpenLLMetry's LLM instrumentations before they set `gen_ai.operation.name`: `llm.request.type`. */
const LLM_REQUEST_TYPES: Record<string, EventKind> = {
  chat: 'llm',
  completion: 'llm',
  embedding: 'llm',
  rerank: 'retrieval',
};

const openLlmetryRequestType: Classifier = (span) => {
  const declared = text(span.attributes['llm.request.type']);
  if (!declared) return undefined;
  const kind = LLM_REQUEST_TYPES[declared];
  return kind
    ? { convention: 'openllmetry', kind, operation: declared }
    : {
        convention: 'openllmetry',
        reason: `llm.request.type "${declared}" has no AUREN event type`,
      };
};

/**
 * The order in which conventions are asked (docs/otlp.md): the standard's explicit operation
 * first, then each vendor's explicit kind, then the weak hint of a GenAI span name. The first
 * one that maps the span decides; a convention that knows the span but not its kind lets the
 * next one try.
 */
const CLASSIFIERS: Classifier[] = [
  genAiDeclared,
  openInference,
  openLlmetrySpanKind,
  openLlmetryRequestType,
  genAiInferred,
];

export const NO_CONVENTION =
  'no GenAI, OpenInference or OpenLLMetry operation (gen_ai.operation.name, openinference.span.kind, traceloop.span.kind or llm.request.type)';

/** What the span is: the first convention that maps it, else the first reason given, else none. */
export function classify(span: OtlpSpan): Classified | Unmapped {
  let unmapped: Unmapped | undefined;
  for (const classifier of CLASSIFIERS) {
    const answer = classifier(span);
    if (!answer) continue;
    if ('kind' in answer) return answer;
    unmapped ??= answer;
  }
  return unmapped ?? { reason: NO_CONVENTION };
}

/** The GenAI operation of a span: `gen_ai.operation.name`, else the span name's first word. */
export function operationOf(span: OtlpSpan): string | undefined {
  return text(span.attributes['gen_ai.operation.name']) ?? inferredOperation(span);
}
