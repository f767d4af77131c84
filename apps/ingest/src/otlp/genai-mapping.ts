import type { OtlpSpan } from './otlp-model';
import { SPAN_KIND_NAMES, SPAN_STATUS } from './otlp-model';
import { agentOf, compact, sessionOf, SpanIndex, text } from './span-attributes';
import { Classified, classify } from './span-conventions';
import { BUILDERS, EventInput, SpanContext } from './span-events';

export { operationOf } from './span-conventions';
export type { EventInput } from './span-events';

/**
 * OpenTelemetry spans to AUREN events (docs/otlp.md has the tables). Three conventions are
 * read: the GenAI semantic conventions, OpenInference and OpenLLMetry (span-conventions.ts
 * decides which applies, span-events.ts builds the events of each kind). Pure: no I/O, no
 * clock, no randomness, so the same export always gives the same events and the same ids.
 */

export type SpanMapping =
  | { outcome: 'mapped'; span: OtlpSpan; events: EventInput[] }
  | { outcome: 'skipped'; span: OtlpSpan; reason: string }
  | { outcome: 'invalid'; span: OtlpSpan; reason: string };

/** Maps every span of one export; spans may borrow their agent from an ancestor in the export. */
export function mapSpans(spans: OtlpSpan[]): SpanMapping[] {
  const byId: SpanIndex = new Map();
  for (const span of spans) byId.set(`${span.traceId}/${span.spanId}`, span);
  return spans.map((span) => mapSpan(span, byId));
}

/** The dispatcher: which kind the span is, then the fields every event shares, then its builder. */
function mapSpan(span: OtlpSpan, byId: SpanIndex): SpanMapping {
  const classified = classify(span);
  if (!('kind' in classified)) return { outcome: 'skipped', span, reason: classified.reason };
  const agent = agentOf(span, byId);
  if (!agent) {
    return {
      outcome: 'invalid',
      span,
      reason: `span ${span.spanId}: no agent id (set gen_ai.agent.id, gen_ai.agent.name or the resource's service.name)`,
    };
  }
  const endMs = span.endTimeUnixNano / 1_000_000n;
  if (endMs > 8_640_000_000_000_000n) {
    return { outcome: 'invalid', span, reason: `span ${span.spanId}: time out of range` };
  }
  const context: SpanContext = {
    span,
    a: span.attributes,
    classified,
    base: {
      trace_id: span.traceId,
      session_id: sessionOf(span, byId),
      parent_event_id: span.parentSpanId ? eventIdOf(span.traceId, span.parentSpanId) : undefined,
      source_agent: agent,
      metadata: metadataOf(span, classified),
    },
    id: eventIdOf(span.traceId, span.spanId),
    started: new Date(Number(span.startTimeUnixNano / 1_000_000n)).toISOString(),
    ended: new Date(Number(endMs)).toISOString(),
    latency_ms: Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e6,
  };
  return { outcome: 'mapped', span, events: BUILDERS[classified.kind](context) };
}

/** `otlp-<trace id>-<span id>`: a re-sent export gives the same ids, so it is stored once. */
export function eventIdOf(traceId: string, spanId: string): string {
  return `otlp-${traceId}-${spanId}`;
}

function metadataOf(span: OtlpSpan, classified: Classified): Record<string, unknown> {
  return {
    source: 'otlp',
    otel: compact({
      trace_id: span.traceId,
      span_id: span.spanId,
      parent_span_id: span.parentSpanId,
      span_name: span.name,
      span_kind: SPAN_KIND_NAMES[span.kind] ?? String(span.kind),
      operation: classified.operation,
      convention: classified.convention,
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
