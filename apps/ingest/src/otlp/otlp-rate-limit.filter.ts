import { ArgumentsHost, Catch, ExceptionFilter, Injectable } from '@nestjs/common';
import { status } from '@grpc/grpc-js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IngestMetrics } from '../events/ingest-metrics';
import { encodeRpcStatus, rpcStatusJson } from '../grpc/google-rpc-status';
import { RateLimitedError } from '../rate-limit/rate-limited.error';
import { mediaTypeOf, PROTOBUF_TYPE } from './otlp-http';

/**
 * OTLP/HTTP's answer to a throttled export (OTLP specification, "Failures" and "OTLP/HTTP
 * Throttling"): 429 with `Retry-After` (plus the IETF RateLimit fields ingest sends everywhere),
 * and a `google.rpc.Status` body encoded like the request, protobuf or JSON, whose RetryInfo
 * carries the same delay. OTLP exporters retry a 429 after that delay. Other errors keep the
 * contract's error body (HttpErrorFilter).
 */
@Injectable()
@Catch(RateLimitedError)
export class OtlpRateLimitFilter implements ExceptionFilter {
  constructor(private readonly metrics: IngestMetrics) {}

  catch(error: RateLimitedError, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    this.metrics.reject(error.reason);
    const rpc = {
      code: status.RESOURCE_EXHAUSTED,
      message: error.body.message,
      retryAfterSeconds: error.retryAfterSeconds,
    };
    for (const [name, value] of Object.entries(error.headers)) void reply.header(name, value);
    void reply.status(429);
    if (mediaTypeOf(request.headers['content-type']) === PROTOBUF_TYPE) {
      void reply.type(PROTOBUF_TYPE).send(encodeRpcStatus(rpc));
    } else {
      void reply.type('application/json; charset=utf-8').send(rpcStatusJson(rpc));
    }
  }
}
