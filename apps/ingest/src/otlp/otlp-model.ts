/**
 * The part of an OTLP trace export that AUREN reads, the same whether it came as protobuf or
 * as JSON. Ids are lowercase hex, times are Unix nanoseconds as bigint.
 */

/** An OTLP AnyValue turned into plain JSON (int64 that do not fit a double stay strings). */
export type AttributeValue =
  string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };

export type Attributes = Record<string, AttributeValue>;

/** OTLP Status.code */
export const SPAN_STATUS = { UNSET: 0, OK: 1, ERROR: 2 } as const;

/** OTLP Span.kind, by number (the names AUREN writes into metadata). */
export const SPAN_KIND_NAMES = [
  'unspecified',
  'internal',
  'server',
  'client',
  'producer',
  'consumer',
] as const;

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  /** Absent for a root span. */
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attributes;
  status: { code: number; message?: string };
  /** Attributes of the resource the span came from (service.name...). */
  resource: Attributes;
  scope: { name?: string; version?: string };
}

/** A decoded export: the spans it could read, and one message per span it could not. */
export interface DecodedExport {
  spans: OtlpSpan[];
  /** Spans whose fields could not be read (bad ids, times...): counted as rejected. */
  unreadable: string[];
}

/** A body that is not an OTLP export at all (HTTP 400). */
export class UndecodableExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UndecodableExportError';
  }
}
