import * as protobuf from 'protobufjs';

/**
 * `google.rpc.Status` with `google.rpc.BadRequest` (field violations) and `google.rpc.RetryInfo`
 * details, as gRPC's rich error model
 * (`grpc-status-details-bin` trailer) and OTLP/HTTP error bodies use them. Only the messages and
 * fields needed are declared; field numbers are those of googleapis' status.proto,
 * error_details.proto and protobuf's any.proto / duration.proto (the package names do not reach
 * the wire: an `Any` names its type in `type_url`).
 */
const SCHEMA = `
syntax = "proto3";
package google.rpc;
message Any { string type_url = 1; bytes value = 2; }
message Duration { int64 seconds = 1; int32 nanos = 2; }
message RetryInfo { Duration retry_delay = 1; }
message BadRequest {
  message FieldViolation { string field = 1; string description = 2; string reason = 3; }
  repeated FieldViolation field_violations = 1;
}
message Status { int32 code = 1; string message = 2; repeated Any details = 3; }
`;

const root = protobuf.parse(SCHEMA, { keepCase: false }).root;
const StatusMessage = root.lookupType('google.rpc.Status');
const RetryInfoMessage = root.lookupType('google.rpc.RetryInfo');
const BadRequestMessage = root.lookupType('google.rpc.BadRequest');

export const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';
export const BAD_REQUEST_TYPE_URL = 'type.googleapis.com/google.rpc.BadRequest';

/** One `BadRequest.FieldViolation`: the field (dotted path, `events[2].source_agent.id`) and why. */
export interface FieldViolation {
  field: string;
  description: string;
}

export interface RpcStatus {
  /** A gRPC status code (`RESOURCE_EXHAUSTED` is 8). */
  code: number;
  message: string;
  /** Seconds to wait before retrying: a RetryInfo detail. */
  retryAfterSeconds?: number;
  /** Invalid fields: a BadRequest detail. */
  fieldViolations?: FieldViolation[];
}

/** The protobuf encoding (the `grpc-status-details-bin` value, an OTLP/HTTP protobuf error body). */
export function encodeRpcStatus(status: RpcStatus): Buffer {
  const details: Array<{ typeUrl: string; value: Uint8Array }> = [];
  if (status.fieldViolations && status.fieldViolations.length > 0) {
    details.push({
      typeUrl: BAD_REQUEST_TYPE_URL,
      value: BadRequestMessage.encode(
        BadRequestMessage.fromObject({ fieldViolations: status.fieldViolations }),
      ).finish(),
    });
  }
  if (status.retryAfterSeconds !== undefined) {
    details.push({
      typeUrl: RETRY_INFO_TYPE_URL,
      value: RetryInfoMessage.encode(
        RetryInfoMessage.fromObject({ retryDelay: { seconds: status.retryAfterSeconds } }),
      ).finish(),
    });
  }
  const message = StatusMessage.fromObject({ code: status.code, message: status.message, details });
  return Buffer.from(StatusMessage.encode(message).finish());
}

/**
 * {@link encodeRpcStatus} within `maxBytes` (trailers must stay well under the client's
 * metadata limit, 8 KiB by default in grpc-js): the first field violations that fit, at least
 * halving until they do, then none.
 */
export function encodeRpcStatusWithin(status: RpcStatus, maxBytes: number): Buffer {
  let violations = status.fieldViolations ?? [];
  let bytes = encodeRpcStatus({ ...status, fieldViolations: violations });
  while (bytes.length > maxBytes && violations.length > 0) {
    violations = violations.slice(0, Math.floor(violations.length / 2));
    bytes = encodeRpcStatus({ ...status, fieldViolations: violations });
  }
  return bytes;
}

/** The proto3 JSON form (an OTLP/HTTP JSON error body). */
export function rpcStatusJson(status: RpcStatus): Record<string, unknown> {
  const json: Record<string, unknown> = { code: status.code, message: status.message };
  if (status.retryAfterSeconds !== undefined) {
    json.details = [{ '@type': RETRY_INFO_TYPE_URL, retryDelay: `${status.retryAfterSeconds}s` }];
  }
  return json;
}

/** Reads an encoded Status back (tests, and clients written in TypeScript). */
export function decodeRpcStatus(bytes: Uint8Array): RpcStatus {
  const status = StatusMessage.toObject(StatusMessage.decode(bytes), { longs: Number }) as {
    code?: number;
    message?: string;
    details?: Array<{ typeUrl: string; value: Uint8Array }>;
  };
  const result: RpcStatus = { code: status.code ?? 0, message: status.message ?? '' };
  const bad = status.details?.find((d) => d.typeUrl === BAD_REQUEST_TYPE_URL);
  if (bad) {
    const request = BadRequestMessage.toObject(BadRequestMessage.decode(bad.value)) as {
      fieldViolations?: Array<{ field?: string; description?: string }>;
    };
    result.fieldViolations = (request.fieldViolations ?? []).map((v) => ({
      field: v.field ?? '',
      description: v.description ?? '',
    }));
  }
  const retry = status.details?.find((d) => d.typeUrl === RETRY_INFO_TYPE_URL);
  if (retry) {
    const info = RetryInfoMessage.toObject(RetryInfoMessage.decode(retry.value), {
      longs: Number,
    }) as { retryDelay?: { seconds?: number } };
    result.retryAfterSeconds = info.retryDelay?.seconds ?? 0;
  }
  return result;
}
