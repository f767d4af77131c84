import { Controller, Inject, Logger } from '@nestjs/common';
import { GrpcMethod, GrpcStreamCall, RpcException } from '@nestjs/microservices';
import { Metadata, status } from '@grpc/grpc-js';
import type { sendUnaryData, ServerReadableStream, ServerUnaryCall } from '@grpc/grpc-js';
import {
  AUREN_EVENTS_SERVICE,
  EVENT_LIMITS,
  FieldError,
  ProtoAgentEvent,
  protoEventToJson,
  StructConversionError,
} from '@auren/contracts';
import { AuthFailure, CredentialVerifier, Principal } from '@auren/auth';
import { AUREN_CONFIG, AurenConfig } from '@auren/config';
import { ApiError } from '@auren/platform';
import { EventsService, PublishOneResult } from '../events/events.service';
import { IngestMetrics } from '../events/ingest-metrics';
import { GrpcError, invalidArgument, toGrpcError } from './grpc-errors';
import { RateLimiter } from '../rate-limit/rate-limiter';
import { GrpcIngestMetrics } from './grpc-metrics';
import { PublishBatchAck, StreamIngest, StreamOutcome } from './grpc-stream';

type Method = 'Publish' | 'PublishBatch' | 'PublishStream';

/**
 * gRPC ingest, `auren.events.v1.EventIngest` (CONTRACT §2, docs/grpc.md). Each message becomes
 * the JSON event and goes through the same {@link EventsService} as HTTP: same validation,
 * limits, idempotency and credentials; errors map to gRPC status codes.
 */
@Controller()
export class GrpcIngestController {
  private readonly logger = new Logger('GrpcIngest');

  constructor(
    private readonly events: EventsService,
    private readonly verifier: CredentialVerifier,
    private readonly metrics: IngestMetrics,
    private readonly grpcMetrics: GrpcIngestMetrics,
    @Inject(AUREN_CONFIG) private readonly config: AurenConfig,
    private readonly limiter: RateLimiter,
  ) {}

  @GrpcMethod(AUREN_EVENTS_SERVICE, 'Publish')
  publish(
    message: ProtoAgentEvent,
    metadata: Metadata,
    call: ServerUnaryCall<unknown, unknown>,
  ): Promise<PublishOneResult> {
    return this.unary('Publish', async () => {
      const principal = await this.authenticate(metadata);
      return this.events.publishOne(protoEventToJson(message), principal, peerAddress(call));
    });
  }

  @GrpcMethod(AUREN_EVENTS_SERVICE, 'PublishBatch')
  publishBatch(
    message: { events?: ProtoAgentEvent[] },
    metadata: Metadata,
    call: ServerUnaryCall<unknown, unknown>,
  ): Promise<PublishBatchAck> {
    return this.unary('PublishBatch', async () => {
      const principal = await this.authenticate(metadata);
      const input = message.events ?? [];
      // An oversized batch is refused by its length alone (EventsService), before any conversion.
      const events = input.length > EVENT_LIMITS.maxBatchSize ? input : this.toJson(input);
      const { accepted, results } = await this.events.publishBatch(
        { events },
        principal,
        peerAddress(call),
      );
      return { accepted, results: results.map((r, index) => ({ index, ...r })), rejected: [] };
    });
  }

  @GrpcStreamCall(AUREN_EVENTS_SERVICE, 'PublishStream')
  publishStream(
    call: ServerReadableStream<ProtoAgentEvent, PublishBatchAck>,
    callback: sendUnaryData<PublishBatchAck>,
  ): void {
    // Messages wait in the (paused) call until StreamIngest listens, after the credential check.
    this.authenticate(call.metadata).then(
      (principal) => {
        if (!call.cancelled) this.ingestStream(call, callback, principal);
      },
      (error: unknown) => callback(this.fail('PublishStream', error)),
    );
  }

  private ingestStream(
    call: ServerReadableStream<ProtoAgentEvent, PublishBatchAck>,
    callback: sendUnaryData<PublishBatchAck>,
    principal: Principal,
  ): void {
    const answer = (outcome: StreamOutcome): void => {
      if (outcome.ok) {
        this.count('PublishStream', status.OK);
        callback(null, outcome.ack);
        return;
      }
      const error = this.fail('PublishStream', outcome.error);
      if (outcome.ack.results.length > 0 || outcome.ack.rejected.length > 0) {
        const done = `${outcome.ack.accepted} accepted, ${outcome.ack.results.length} results and ${outcome.ack.rejected.length} rejected before it`;
        error.details = `${error.details}; stopped at event index ${outcome.failedAt} (${done}): resend from index ${outcome.failedAt}; events with an event_id are deduplicated`;
        error.message = error.details;
      }
      callback(error);
    };
    new StreamIngest(
      call,
      {
        // Each write counts against the credential's rate limit; a refusal stops the stream.
        write: async (events) => {
          const limited = this.limiter.take(principal, peerAddress(call), events.length);
          if (limited) await limited;
          return this.events.write(events, principal);
        },
        onRejected: () => this.metrics.reject('validation'),
      },
      answer,
    ).start();
  }

  /** The same check as IngestAuthGuard, on the `authorization` metadata. */
  private async authenticate(metadata: Metadata): Promise<Principal> {
    const value = metadata.get('authorization')[0];
    const header = typeof value === 'string' ? value : value?.toString('utf8');
    const result = await this.verifier.verifyIngest(header);
    if (result instanceof AuthFailure) throw new ApiError(401, result.message, 'unauthorized');
    return result;
  }

  /** Batch messages as JSON events; Struct problems of every event at once. */
  private toJson(messages: ProtoAgentEvent[]): Array<Record<string, unknown>> {
    const errors: FieldError[] = [];
    const events = messages.map((message, index) => {
      try {
        return protoEventToJson(message);
      } catch (error) {
        if (!(error instanceof StructConversionError)) throw error;
        const { field, message: why } = error.fieldError;
        errors.push({ index, field: `events[${index}].${field}`, message: why });
        return {};
      }
    });
    if (errors.length > 0) throw invalidArgument(errors);
    return events;
  }

  private async unary<T>(method: Method, work: () => Promise<T>): Promise<T> {
    try {
      const result = await work();
      this.count(method, status.OK);
      return result;
    } catch (error) {
      throw new RpcException(this.fail(method, error));
    }
  }

  /** Maps and counts a failure, like HttpErrorFilter does for HTTP. */
  private fail(method: Method, error: unknown): GrpcError {
    const mapped = toGrpcError(error, this.config.retryAfterSeconds);
    if (mapped.reason === 'internal') {
      this.logger.error(`${method}: ${(error as Error)?.stack ?? String(error)}`);
    }
    this.metrics.reject(mapped.reason);
    this.count(method, mapped.code);
    return mapped;
  }

  private count(method: Method, code: status): void {
    this.grpcMetrics.calls.inc({ method, code: status[code] });
  }
}

/** The client's address without the port (`127.0.0.1:5301`, `[::1]:5301`, `ipv4:...`): for anonymous rate limits. */
export function peerAddress(call: { getPeer(): string }): string | undefined {
  const peer = call.getPeer().replace(/^ipv[46]:/, '');
  const match = /^\[(.+)\]:\d+$/.exec(peer) ?? /^([^:]+):\d+$/.exec(peer);
  return match ? match[1] : peer || undefined;
}
