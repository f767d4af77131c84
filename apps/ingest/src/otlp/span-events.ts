import type { EventType } from '@auren/contracts';
import type { Attributes, OtlpSpan } from './otlp-model';
import {
  compact,
  documentCountOf,
  firstText,
  memoryHitOf,
  memoryTierOf,
  modelOf,
  outcomeOf,
  providerOf,
  requestModelOf,
  responseModelOf,
  text,
  tokensOf,
} from './span-attributes';
import type { Classified, EventKind } from './span-conventions';

/** An event as ingest input (CONTRACT §1), before validation. */
export type EventInput = Record<string, unknown> & { event_id: string; event_type: EventType };

/** What every builder gets: the span, how it was classified, and the fields all its events share. */
export interface SpanContext {
  span: OtlpSpan;
  a: Attributes;
  classified: Classified;
  /** trace_id, session_id, parent_event_id, source_agent, metadata. */
  base: Record<string, unknown>;
  /** `otlp-<trace>-<span>`; events at a span's end add `-end` when its start is an event too. */
  id: string;
  started: string;
  ended: string;
  latency_ms: number;
}

type Builder = (c: SpanContext) => EventInput[];

function event(
  c: SpanContext,
  event_id: string,
  event_type: EventType,
  timestamp: string,
  payload: Record<string, unknown>,
  metrics?: Record<string, unknown>,
): EventInput {
  return compact({
    event_id,
    event_type,
    timestamp,
    ...c.base,
    payload: compact(payload),
    performance_metrics: metrics && compact(metrics),
  });
}

/** latency, success and error type: every event at a span's end has them. */
const timing = (c: SpanContext) => ({ latency_ms: c.latency_ms, ...outcomeOf(c.span) });

/** Started at the span's start, completed (with latency, outcome, tokens) at its end. */
const agent: Builder = (c) => {
  const { a, classified } = c;
  const payload = {
    operation: classified.operation,
    agent_name: firstText(a, 'gen_ai.agent.name', 'agent.name') ?? entityName(c),
    agent_description: text(a['gen_ai.agent.description']),
    provider: providerOf(a),
    request_model: requestModelOf(a),
  };
  return [
    event(c, c.id, 'agent_execution_started', c.started, payload),
    event(c, `${c.id}-end`, 'agent_execution_completed', c.ended, payload, {
      ...timing(c),
      ...tokensOf(a),
      model: modelOf(a),
    }),
  ];
};

const llm: Builder = (c) => {
  const { a } = c;
  const finish = a['gen_ai.response.finish_reasons'] ?? undefined;
  const openInferenceFinish = text(a['llm.finish_reason']);
  return [
    event(
      c,
      c.id,
      'llm_call',
      c.ended,
      {
        operation: c.classified.operation,
        provider: providerOf(a),
        request_model: requestModelOf(a),
        response_model: responseModelOf(a),
        response_id: text(a['gen_ai.response.id']),
        finish_reasons: finish ?? (openInferenceFinish ? [openInferenceFinish] : undefined),
      },
      { ...timing(c), ...tokensOf(a), model: modelOf(a) },
    ),
  ];
};

const tool: Builder = (c) => {
  const { a, span } = c;
  return [
    event(
      c,
      c.id,
      'tool_usage',
      c.ended,
      {
        operation: c.classified.operation,
        tool_name:
          firstText(a, 'gen_ai.tool.name', 'tool.name') ??
          entityName(c) ??
          span.name.replace(/^execute_tool\s*/, ''),
        tool_call_id: firstText(a, 'gen_ai.tool.call.id', 'tool.id'),
        tool_type: text(a['gen_ai.tool.type']),
      },
      timing(c),
    ),
  ];
};

/** Retrieval and reranking: the knowledge an agent looked up. */
const retrieval: Builder = (c) => {
  const { a } = c;
  return [
    event(
      c,
      c.id,
      'knowledge_access',
      c.ended,
      {
        operation: c.classified.operation,
        data_source_id: text(a['gen_ai.data_source.id']),
        provider: providerOf(a),
        document_count: documentCountOf(a),
        model: modelOf(a),
      },
      timing(c),
    ),
  ];
};

const memory: Builder = (c) => {
  const { a } = c;
  const operation = c.classified.operation;
  return [
    event(
      c,
      c.id,
      'memory_tier_access',
      c.ended,
      {
        tier: memoryTierOf(a),
        operation,
        hit: memoryHitOf(a, operation),
        store_id: text(a['gen_ai.memory.store.id']),
        record_id: text(a['gen_ai.memory.record.id']),
      },
      timing(c),
    ),
  ];
};

/** OpenInference GUARDRAIL and DECISION spans: a check or choice made on the agent's way. */
const decision: Builder = (c) => {
  const { a } = c;
  return [
    event(
      c,
      c.id,
      'agent_decision',
      c.ended,
      {
        operation: c.classified.operation,
        decision_name: c.span.name || undefined,
        provider: providerOf(a),
      },
      { ...timing(c), ...tokensOf(a), model: modelOf(a) },
    ),
  ];
};

/** Traceloop tasks, as the CrewAI listener sends tasks: the contract has no task event type. */
const task: Builder = (c) => {
  const payload = { operation: c.classified.operation, task_name: entityName(c) ?? c.span.name };
  return [
    event(c, c.id, 'custom.task_started', c.started, payload),
    event(c, `${c.id}-end`, 'custom.task_completed', c.ended, payload, timing(c)),
  ];
};

/** OpenInference EVALUATOR spans: an evaluation run on the agent's output. */
const evaluation: Builder = (c) => [
  event(
    c,
    c.id,
    'custom.evaluation',
    c.ended,
    { operation: c.classified.operation, evaluator_name: c.span.name || undefined },
    timing(c),
  ),
];

function entityName(c: SpanContext): string | undefined {
  return c.classified.convention === 'openllmetry'
    ? text(c.a['traceloop.entity.name'])
    : c.classified.convention === 'openinference' && c.classified.kind === 'agent'
      ? c.span.name || undefined
      : undefined;
}

export const BUILDERS: Record<EventKind, Builder> = {
  agent,
  llm,
  tool,
  retrieval,
  memory,
  decision,
  task,
  evaluation,
};
