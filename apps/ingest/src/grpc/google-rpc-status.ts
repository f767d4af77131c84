import * as protobuf from 'protobufjs';

/**
 * `google.rpc.Status` with `google.rpc.RetryInfo` details, as gRPC's rich error model
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
message Status { int32 code = 1; string message = 2; repeated Any details = 3; }
`;

const root = protobuf.parse(SCHEMA, { keepCase: false }).root;
const StatusMessage = root.lookupType('google.rpc.Status');
const RetryInfoMessage = root.lookupType('google.rpc.RetryInfo');

export const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

export interface RpcStatus {
  /** A gRPC status code (`RESOURCE_EXHAUSTED` is 8). */
  code: number;
  message: string;
  /** Seconds to wait before retrying: a RetryInfo detail. */
  retryAfterSeconds?: number;
}

/** The protobuf encoding (the `grpc-status-details-bin` value, an OTLP/HTTP protobuf error body). */
export function encodeRpcStatus(status: RpcStatus): Buffer {
  const details =
    status.retryAfterSeconds === undefined
      ? []
      : [
          {
            typeUrl: RETRY_INFO_TYPE_URL,
            value: RetryInfoMessage.encode(
              RetryInfoMessage.fromObject({ retryDelay: { seconds: status.retryAfterSeconds } }),
            ).finish(),
          },
        ];
  const message = StatusMessage.fromObject({ code: status.code, message: status.message, details });
  return Buffer.from(StatusMessage.encode(message).finish());
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
  const retry = status.details?.find((d) => d.typeUrl === RETRY_INFO_TYPE_URL);
  if (retry) {
    const info = RetryInfoMessage.toObject(RetryInfoMessage.decode(retry.value), {
      longs: Number,
    }) as { retryDelay?: { seconds?: number } };
    result.retryAfterSeconds = info.retryDelay?.seconds ?? 0;
  }
  return result;
}
