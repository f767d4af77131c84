import { Injectable } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { EVENT_LIMITS, parseEvent } from '@auren/contracts';
import type { Principal } from '@auren/auth';
import { EventsService } from '../events/events.service';
import { EventInput, mapSpans } from './genai-mapping';
import { DecodedExport, OtlpSpan, SPAN_KIND_NAMES } from './otlp-model';

/**
 * What one export did. `skipped`: spans no convention maps (not stored); `rejected`: spans that
 * could not be read or failed validation. Both count in `partialSuccess.rejectedSpans`, since
 * neither is stored, and `errorMessage` names the first few of each with the reason.
 */
export interface OtlpExportResult {
  spans: number;
  events: number;
  skipped: number;
  rejected: number;
  partialSuccess?: { rejectedSpans: number; errorMessage: string };
}

/** How many spans of each outcome `errorMessage` names; it counts all of them. */
const MAX_REASONS = 5;

/**
 * Turns a decoded export into events and writes them through {@link EventsService}, the path
 * every ingest door shares (validation, user binding, idempotent append, 503).
 *
 * Per span, not per export: a span whose events fail validation is refused alone and counted
 * in `partialSuccess.rejectedSpans` (OTLP's partial success), the others are written. Spans
 * that map to no AUREN event (HTTP spans, pipeline steps...) are counted there too, and
 * `errorMessage` names the first of them with the reason, so the exporter's log says why.
 */
@Injectable()
export class OtlpService {
  private readonly spans: Counter<'outcome'>;

  constructor(
    private readonly events: EventsService,
    registry: Registry,
  ) {
    this.spans = new Counter({
      name: 'auren_otlp_spans_total',
      help: 'OTLP spans received on POST /v1/traces, by outcome (mapped, skipped, rejected)',
      labelNames: ['outcome'],
      registers: [registry],
    });
  }

  async ingest(
    decoded: DecodedExport,
    principal: Principal,
    address?: string,
  ): Promise<OtlpExportResult> {
    const reasons = [...decoded.unreadable];
    const unmapped: string[] = [];
    const accepted: EventInput[] = [];
    let mapped = 0;
    for (const mapping of mapSpans(decoded.spans)) {
      if (mapping.outcome === 'skipped') {
        unmapped.push(describeSpan(mapping.span, mapping.reason));
        continue;
      }
      if (mapping.outcome === 'invalid') {
        reasons.push(mapping.reason);
        continue;
      }
      const problems = mapping.events.flatMap((event) => {
        const parsed = parseEvent(event);
        if (parsed.ok) return [];
        return parsed.errors.map((e) =>
          e.message.startsWith(e.field) ? e.message : `${e.field}: ${e.message}`,
        );
      });
      if (problems.length > 0) {
        reasons.push(`span ${mapping.span.spanId} (${mapping.span.name}): ${problems.join('; ')}`);
        continue;
      }
      mapped += 1;
      accepted.push(...mapping.events);
    }
    // Batches of the contract's size; one append each. Event ids are derived from span ids, so
    // an export retried after a 503 between two batches stores each event once.
    for (let i = 0; i < accepted.length; i += EVENT_LIMITS.maxBatchSize) {
      await this.events.publishBatch(
        { events: accepted.slice(i, i + EVENT_LIMITS.maxBatchSize) },
        principal,
        address,
      );
    }
    this.spans.inc({ outcome: 'mapped' }, mapped);
    this.spans.inc({ outcome: 'skipped' }, unmapped.length);
    this.spans.inc({ outcome: 'rejected' }, reasons.length);

    const result: OtlpExportResult = {
      spans: decoded.spans.length + decoded.unreadable.length,
      events: accepted.length,
      skipped: unmapped.length,
      rejected: reasons.length,
    };
    if (reasons.length > 0 || unmapped.length > 0) {
      result.partialSuccess = {
        rejectedSpans: reasons.length + unmapped.length,
        errorMessage: describe(reasons, unmapped),
      };
    }
    return result;
  }
}

/** `span 00f067aa0ba902b7 "GET /users" (server): why`, the span's name cut to 80 characters. */
function describeSpan(span: OtlpSpan, reason: string): string {
  const name = span.name.length > 80 ? `${span.name.slice(0, 80)}...` : span.name;
  const kind = SPAN_KIND_NAMES[span.kind] ?? String(span.kind);
  return `span ${span.spanId} ${JSON.stringify(name)} (${kind}): ${reason}`;
}

function list(items: string[]): string {
  const shown = items.slice(0, MAX_REASONS).join(' | ');
  return items.length > MAX_REASONS ? `${shown} | and ${items.length - MAX_REASONS} more` : shown;
}

function describe(reasons: string[], unmapped: string[]): string {
  const parts: string[] = [];
  if (reasons.length > 0) parts.push(`${reasons.length} span(s) rejected: ${list(reasons)}`);
  if (unmapped.length > 0) {
    parts.push(
      `${unmapped.length} span(s) not mapped to AUREN events, not stored (docs/otlp.md): ${list(unmapped)}`,
    );
  }
  return parts.join('. ');
}
