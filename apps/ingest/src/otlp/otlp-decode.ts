import { ExportTraceServiceRequest, ExportTraceServiceResponse, TO_OBJECT } from './otlp-proto';
import {
  Attributes,
  AttributeValue,
  DecodedExport,
  OtlpSpan,
  UndecodableExportError,
} from './otlp-model';

/**
 * Reads an OTLP ExportTraceServiceRequest, protobuf or JSON, into {@link DecodedExport}.
 * Both encodings become the same camelCase object first (protobufjs `toObject` gives the
 * OTLP/JSON field names), and one reader walks it; the encodings only differ in how ids are
 * written (protobuf bytes arrive as base64 here, OTLP/JSON writes them as hex).
 */

type IdEncoding = 'base64' | 'hex';
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** A repeated field of the export: absent is empty; another JSON type is a 400 naming it. */
function repeated(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw new UndecodableExportError(`${path} must be an array, not ${typeName(value)}`);
  }
  return value;
}

export function decodeProtobufExport(body: Buffer): DecodedExport {
  let raw: Obj;
  try {
    const message = ExportTraceServiceRequest.decode(body);
    raw = ExportTraceServiceRequest.toObject(message, TO_OBJECT);
  } catch (error) {
    throw new UndecodableExportError(
      `the body is not a protobuf ExportTraceServiceRequest: ${(error as Error).message}`,
    );
  }
  return readExport(raw, 'base64');
}

export function decodeJsonExport(body: unknown): DecodedExport {
  if (!isObj(body)) {
    throw new UndecodableExportError(
      'the body must be an OTLP/JSON ExportTraceServiceRequest object ({"resourceSpans": [...]})',
    );
  }
  return readExport(body, 'hex');
}

/** ExportTraceServiceResponse as protobuf; partialSuccess only when something was refused. */
export function encodeProtobufResponse(partial?: {
  rejectedSpans: number;
  errorMessage: string;
}): Buffer {
  const message = ExportTraceServiceResponse.fromObject(partial ? { partialSuccess: partial } : {});
  return Buffer.from(ExportTraceServiceResponse.encode(message).finish());
}

function readExport(raw: Obj, ids: IdEncoding): DecodedExport {
  const out: DecodedExport = { spans: [], unreadable: [] };
  repeated(raw.resourceSpans, 'resourceSpans').forEach((resourceSpans, r) => {
    const at = `resourceSpans[${r}]`;
    if (!isObj(resourceSpans)) {
      throw new UndecodableExportError(`${at} must be an object, not ${typeName(resourceSpans)}`);
    }
    const resource = isObj(resourceSpans.resource)
      ? readAttributes(resourceSpans.resource.attributes)
      : {};
    repeated(resourceSpans.scopeSpans, `${at}.scopeSpans`).forEach((scopeSpans, s) => {
      if (!isObj(scopeSpans)) {
        throw new UndecodableExportError(
          `${at}.scopeSpans[${s}] must be an object, not ${typeName(scopeSpans)}`,
        );
      }
      const scope = isObj(scopeSpans.scope) ? scopeSpans.scope : {};
      const scopeRef = {
        name: typeof scope.name === 'string' && scope.name ? scope.name : undefined,
        version: typeof scope.version === 'string' && scope.version ? scope.version : undefined,
      };
      for (const span of repeated(scopeSpans.spans, `${at}.scopeSpans[${s}].spans`)) {
        const read = readSpan(span, ids, resource, scopeRef);
        if (typeof read === 'string') out.unreadable.push(read);
        else out.spans.push(read);
      }
    });
  });
  return out;
}

function readSpan(
  raw: unknown,
  ids: IdEncoding,
  resource: Attributes,
  scope: OtlpSpan['scope'],
): OtlpSpan | string {
  if (!isObj(raw)) return 'a span is not an object';
  const name = typeof raw.name === 'string' ? raw.name : '';
  const traceId = readId(raw.traceId, ids, 16);
  const spanId = readId(raw.spanId, ids, 8);
  if (!traceId) return `span "${name}": traceId must be 16 bytes, not all zero`;
  if (!spanId) return `span "${name}": spanId must be 8 bytes, not all zero`;
  const parentSpanId = readId(raw.parentSpanId, ids, 8) || undefined;
  const start = readNanos(raw.startTimeUnixNano);
  const end = readNanos(raw.endTimeUnixNano);
  if (start === undefined || end === undefined || start === 0n) {
    return `span ${spanId}: startTimeUnixNano and endTimeUnixNano must be Unix nanoseconds`;
  }
  if (end < start) return `span ${spanId}: endTimeUnixNano is before startTimeUnixNano`;
  const status = isObj(raw.status) ? raw.status : {};
  return {
    traceId,
    spanId,
    parentSpanId,
    name,
    kind: typeof raw.kind === 'number' ? raw.kind : 0,
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    attributes: readAttributes(raw.attributes),
    status: {
      code: typeof status.code === 'number' ? status.code : 0,
      message: typeof status.message === 'string' && status.message ? status.message : undefined,
    },
    resource,
    scope,
  };
}

/** An id as lowercase hex of `bytes` bytes; '' when absent, wrong or all zero. */
function readId(value: unknown, encoding: IdEncoding, bytes: number): string {
  if (typeof value !== 'string' || value === '') return '';
  const hex =
    encoding === 'hex' ? value.toLowerCase() : Buffer.from(value, 'base64').toString('hex');
  if (hex.length !== bytes * 2 || !/^[0-9a-f]+$/.test(hex) || /^0+$/.test(hex)) return '';
  return hex;
}

function readNanos(value: unknown): bigint | undefined {
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  return undefined;
}

function readAttributes(raw: unknown): Attributes {
  const out: Attributes = {};
  for (const kv of list(raw)) {
    if (isObj(kv) && typeof kv.key === 'string') out[kv.key] = readValue(kv.value, 0);
  }
  return out;
}

/** AnyValue to JSON; nesting below 16 levels is cut (events allow 32 in total). */
function readValue(raw: unknown, depth: number): AttributeValue {
  if (!isObj(raw) || depth > 16) return null;
  if (typeof raw.stringValue === 'string') return raw.stringValue;
  if (typeof raw.boolValue === 'boolean') return raw.boolValue;
  if (raw.intValue !== undefined) return readInt(raw.intValue);
  // JSON.stringify turns NaN and Infinity into null; OTLP/JSON may send them as strings.
  if (typeof raw.doubleValue === 'number')
    return Number.isFinite(raw.doubleValue) ? raw.doubleValue : null;
  if (typeof raw.doubleValue === 'string') {
    const n = Number(raw.doubleValue);
    return Number.isFinite(n) ? n : raw.doubleValue;
  }
  if (typeof raw.bytesValue === 'string') return raw.bytesValue;
  if (isObj(raw.arrayValue)) return list(raw.arrayValue.values).map((v) => readValue(v, depth + 1));
  if (isObj(raw.kvlistValue)) {
    const out: Record<string, AttributeValue> = {};
    for (const kv of list(raw.kvlistValue.values)) {
      if (isObj(kv) && typeof kv.key === 'string') out[kv.key] = readValue(kv.value, depth + 1);
    }
    return out;
  }
  return null;
}

/** int64 as a number when it fits exactly, else as its decimal string. */
function readInt(value: unknown): AttributeValue {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : null;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value;
  }
  return null;
}
