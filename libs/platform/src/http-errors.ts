import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { EVENT_LIMITS } from '@auren/contracts';
import { ApiError, ErrorBody, RejectReason } from './api-error';

export type RejectListener = (reason: RejectReason, status: number) => void;

/** Maps anything thrown to the contract's error body (CONTRACT §2). */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HttpException) {
    // Fastify's own errors (body parsing, limits) reach Nest's filters as plain HttpExceptions.
    const status = error.getStatus();
    switch (status) {
      case 413:
        return new ApiError(
          413,
          `the request body is over the ${EVENT_LIMITS.maxBodyBytes}-byte (1 MiB) limit`,
          'too_large',
        );
      case 415:
        return new ApiError(
          415,
          'send JSON with Content-Type: application/json',
          'unsupported_media_type',
        );
      case 400:
        return new ApiError(400, `malformed JSON body: ${error.message}`, 'malformed_json');
      case 401:
        return new ApiError(401, error.message, 'unauthorized');
      case 403:
        return new ApiError(403, error.message, 'forbidden');
      case 404:
        return new ApiError(404, error.message, 'not_found');
      default:
        return new ApiError(status, error.message, status >= 500 ? 'internal' : 'validation');
    }
  }
  return new ApiError(500, 'internal error', 'internal');
}

function send(reply: FastifyReply, error: ApiError): void {
  for (const [name, value] of Object.entries(error.headers)) void reply.header(name, value);
  const body: ErrorBody = error.body;
  void reply.status(error.getStatus()).type('application/json; charset=utf-8').send(body);
}

/** Nest exception filter: errors thrown by controllers, guards and pipes. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  constructor(private readonly onReject?: RejectListener) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    // A global filter also sees what GraphQL resolvers throw: that goes back to the GraphQL
    // engine, which answers it in the `errors` array (apps/history/src/graphql/graphql-errors.ts).
    if (host.getType<string>() !== 'http') throw exception;
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (
      exception instanceof HttpException &&
      !(exception instanceof ApiError) &&
      exception.getStatus() === 503
    ) {
      // Terminus's "not ready" answer: its body says which check is down, and it is no crash.
      void reply.status(503).send(exception.getResponse());
      return;
    }
    const error = toApiError(exception);
    if (error.getStatus() >= 500 && error.reason === 'internal') {
      this.logger.error((exception as Error)?.stack ?? String(exception));
    }
    this.onReject?.(error.reason, error.getStatus());
    send(reply, error);
  }
}
