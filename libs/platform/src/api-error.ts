import { HttpException, HttpStatus } from '@nestjs/common';
import type { FieldError } from '@auren/contracts';

/** Why a request was refused; the label of `auren_ingest_requests_rejected_total`. */
export type RejectReason =
  | 'validation'
  | 'malformed_json'
  | 'too_large'
  | 'unsupported_media_type'
  | 'batch_too_large'
  | 'unauthorized'
  | 'forbidden'
  | 'backend_unavailable'
  | 'rate_limited'
  | 'not_found'
  | 'method_not_allowed'
  | 'forbidden_key'
  | 'internal';

/** The error body of CONTRACT §2. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: FieldError[];
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? 'Error';
}

/** An HTTP error that carries its contract body, its reject reason and optional headers. */
export class ApiError extends HttpException {
  constructor(
    status: HttpStatus,
    message: string,
    readonly reason: RejectReason,
    readonly details?: FieldError[],
    readonly headers: Record<string, string> = {},
  ) {
    const body: ErrorBody = { statusCode: status, error: statusText(status), message };
    if (details) body.details = details;
    super(body, status);
  }

  get body(): ErrorBody {
    return this.getResponse() as ErrorBody;
  }
}
