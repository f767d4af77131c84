import { Metadata, status } from '@grpc/grpc-js';
import { FieldError, StructConversionError } from '@auren/contracts';
import { ApiError, RejectReason } from '@auren/platform';
import { RateLimitedError } from '../rate-limit/rate-limited.error';
import { encodeRpcStatusWithin } from './google-rpc-status';

/** What grpc-js sends for a failed call: status code, message and trailing metadata. */
export interface GrpcError {
  code: status;
  details: string;
  /** grpc-js reads `message` when `details` is absent; both are set. */
  message: string;
  metadata: Metadata;
  /** For metrics: the same reasons HTTP counts. */
  reason: RejectReason;
}

/** Trailing metadata key holding the field errors as JSON (`[{index?, field, message}]`). */
export const GRPC_ERROR_DETAILS_KEY = 'auren-error-details';
/** Trailing metadata key: seconds to wait before retrying an UNAVAILABLE or RESOURCE_EXHAUSTED call. */
export const GRPC_RETRY_AFTER_KEY = 'retry-after';
/**
 * gRPC's rich error model: a serialized google.rpc.Status on every error from the contract, with
 * BadRequest field violations when fields are wrong and RetryInfo when a retry delay applies
 * (Go `status.FromError(err).Details()`, Java `StatusProto.fromThrowable`).
 */
export const GRPC_STATUS_DETAILS_KEY = 'grpc-status-details-bin';

// Trailers must stay well under the client's metadata limit (8 KiB by default in grpc-js).
const MAX_MESSAGE_ERRORS = 10;
const MAX_DETAILS_CHARS = 4096;

const CODES: Record<number, status> = {
  400: status.INVALID_ARGUMENT,
  401: status.UNAUTHENTICATED,
  403: status.PERMISSION_DENIED,
  413: status.RESOURCE_EXHAUSTED,
  429: status.RESOURCE_EXHAUSTED,
  503: status.UNAVAILABLE,
};

/** HTTP status of the contract → gRPC status code (docs/grpc.md lists the mapping). */
export function grpcCodeFor(httpStatus: number): status {
  return CODES[httpStatus] ?? status.INTERNAL;
}

/** One field error as a sentence that names the field: `events[2]: source_agent.id is required`. */
export function describeFieldError(error: FieldError): string {
  const prefix = error.index === undefined ? '' : `events[${error.index}]: `;
  const field =
    error.index === undefined ? error.field : error.field.replace(/^events\[\d+\]\./, '');
  const text = error.message.includes(field) ? error.message : `${field}: ${error.message}`;
  return prefix + text;
}

/** The status message: every field error (up to ten), so a plain gRPC client sees which and why. */
export function describeFieldErrors(errors: FieldError[]): string {
  const shown = errors.slice(0, MAX_MESSAGE_ERRORS).map(describeFieldError);
  const more = errors.length - shown.length;
  return `invalid event: ${shown.join('; ')}${more > 0 ? ` (and ${more} more)` : ''}`;
}

function detailsJson(errors: FieldError[]): string {
  let kept = errors;
  let json = JSON.stringify(kept);
  while (json.length > MAX_DETAILS_CHARS && kept.length > 1) {
    kept = kept.slice(0, Math.ceil(kept.length / 2));
    json = JSON.stringify(kept);
  }
  return json.length > MAX_DETAILS_CHARS ? '[]' : json;
}

/** A contract error (what HTTP would answer) as a gRPC error. */
export function fromApiError(error: ApiError, retryAfterSeconds: number): GrpcError {
  const code = grpcCodeFor(error.getStatus());
  const metadata = new Metadata();
  const details = error.details;
  let text = error.body.message;
  if (details && details.length > 0) {
    text = error.reason === 'validation' ? describeFieldErrors(details) : text;
    metadata.set(GRPC_ERROR_DETAILS_KEY, detailsJson(details));
  }
  let retry: number | undefined;
  if (error instanceof RateLimitedError) {
    // Over the rate limit: when to retry as `retry-after` (like UNAVAILABLE), the IETF fields
    // as HTTP sends them, and google.rpc.RetryInfo for clients that read rich errors.
    for (const [name, value] of Object.entries(error.headers))
      metadata.set(name.toLowerCase(), value);
    retry = error.retryAfterSeconds;
  } else if (code === status.UNAVAILABLE) {
    metadata.set(GRPC_RETRY_AFTER_KEY, String(retryAfterSeconds));
    retry = retryAfterSeconds;
  }
  metadata.set(
    GRPC_STATUS_DETAILS_KEY,
    encodeRpcStatusWithin(
      {
        code,
        message: text,
        retryAfterSeconds: retry,
        fieldViolations: details?.map((d) => ({ field: d.field, description: d.message })),
      },
      MAX_DETAILS_CHARS,
    ),
  );
  return { code, details: text, message: text, metadata, reason: error.reason };
}

/** An invalid-argument error from field errors (gRPC-only checks, e.g. Struct conversion). */
export function invalidArgument(errors: FieldError[]): ApiError {
  return new ApiError(400, describeFieldErrors(errors), 'validation', errors);
}

/** Anything thrown while handling a call, as a gRPC error. */
export function toGrpcError(error: unknown, retryAfterSeconds: number): GrpcError {
  if (error instanceof ApiError) return fromApiError(error, retryAfterSeconds);
  if (error instanceof StructConversionError) {
    return fromApiError(invalidArgument([error.fieldError]), retryAfterSeconds);
  }
  const metadata = new Metadata();
  return {
    code: status.INTERNAL,
    details: 'internal error',
    message: 'internal error',
    metadata,
    reason: 'internal',
  };
}
