import { Injectable } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { EVENT_LIMITS, parseEvent } from '@auren/contracts';
import type { Principal } from '@auren/auth';
import { EventsService } from '../events/events.service';
import { EventInput, mapSpans } from './genai-mapping';
import type { DecodedExport } from './otlp-model';

/** What one export did; `partialSuccess` is present when a span was refused or skipped. */
export interface OtlpExportResult {
  spans: number;
  events: number;
  skipped: number;
  rejected: number;
  partialSuccess?: { rejectedSpans: number; errorMessage: string };
}

const MAX_REASONS = 5;

/**
 * Turns a decoded export into events and writes them through {@link EventsService}, the path
 * every ingest door shares (validation, user binding, idempotent append, 503).
 *
 * Per span, not per export: a span whose events fail validation is refused alone and counted
 * in `partialSuccess.rejectedSpans` (OTLP's partial success), the others are written. Spans
 * without a GenAI operation are skipped: not an error, but said in `errorMessage`.
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
    const accepted: EventInput[] = [];
    let skipped = 0;
    let mapped = 0;
    for (const mapping of mapSpans(decoded.spans)) {
      if (mapping.outcome === 'skipped') {
        skipped += 1;
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
    this.spans.inc({ outcome: 'skipped' }, skipped);
    this.spans.inc({ outcome: 'rejected' }, reasons.length);

    const result: OtlpExportResult = {
      spans: decoded.spans.length + decoded.unreadable.length,
      events: accepted.length,
      skipped,
      rejected: reasons.length,
    };
    if (reasons.length > 0 || skipped > 0) {
      result.partialSuccess = {
        rejectedSpans: reasons.length,
        errorMessage: describe(reasons, skipped),
      };
    }
    return result;
  }
}

function describe(reasons: string[], skipped: number): string {
  const parts: string[] = [];
  if (reasons.length > 0) {
    const shown = reasons.slice(0, MAX_REASONS).join(' | ');
    const more = reasons.length > MAX_REASONS ? ` | and ${reasons.length - MAX_REASONS} more` : '';
    parts.push(`${reasons.length} span(s) rejected: ${shown}${more}`);
  }
  if (skipped > 0) {
    parts.push(
      `${skipped} span(s) skipped: no GenAI operation AUREN maps (see docs/otlp.md); not an error`,
    );
  }
  return parts.join('. ');
}
