import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Inject, Injectable } from '@nestjs/common';
import {
  AgentEvent,
  EVENT_LIMITS,
  FieldError,
  parseEvent,
  toCanonicalEvent,
  ValidEvent,
} from '@auren/contracts';
import type { Principal } from '@auren/auth';
import { AUREN_CONFIG, AurenConfig } from '@auren/config';
import { ApiError } from '@auren/platform';
import { AppendOutcome, EVENT_SINK, EventSink, StreamUnavailableError } from '@auren/streaming';
import { RateLimiter } from '../rate-limit/rate-limiter';
import { IngestMetrics } from './ingest-metrics';

export interface PublishOneResult {
  accepted: number;
  event_id: string;
  stream_id: string;
  duplicate: boolean;
}

export interface PublishBatchResult {
  accepted: number;
  results: AppendOutcome[];
}

/**
 * Validation, canonical form and the durable write. Shared by every ingest door (HTTP now,
 * gRPC and OTLP later): each door only maps its input and its errors.
 */
@Injectable()
export class EventsService {
  constructor(
    @Inject(EVENT_SINK) private readonly sink: EventSink,
    @Inject(AUREN_CONFIG) private readonly config: AurenConfig,
    private readonly metrics: IngestMetrics,
    private readonly limiter: RateLimiter,
  ) {}

  /**
   * `address`: the client's, which the rate limit of anonymous (development) traffic goes by.
   * Every `publish*` counts against the credential's rate limit first (a batch as its events),
   * before validation, so a credential over its limit costs as little as possible; over it, a
   * 429 {@link RateLimitedError} and nothing is written.
   */
  async publishOne(
    body: unknown,
    principal: Principal,
    address?: string,
  ): Promise<PublishOneResult> {
    const limited = this.limiter.take(principal, address, 1);
    if (limited) await limited;
    const parsed = parseEvent(body);
    if (!parsed.ok) throw this.invalid(parsed.errors);
    const [outcome] = await this.write([parsed.value], principal);
    return { accepted: outcome.duplicate ? 0 : 1, ...outcome };
  }

  async publishBatch(
    body: unknown,
    principal: Principal,
    address?: string,
  ): Promise<PublishBatchResult> {
    const events = (body as { events?: unknown } | null)?.events;
    if (!Array.isArray(events) || events.length === 0) {
      throw this.invalid([
        { field: 'events', message: 'events must be a non-empty array of events' },
      ]);
    }
    if (events.length > EVENT_LIMITS.maxBatchSize) {
      throw new ApiError(
        400,
        `a batch holds at most ${EVENT_LIMITS.maxBatchSize} events; this one has ${events.length}`,
        'batch_too_large',
        [
          {
            field: 'events',
            message: `events must hold at most ${EVENT_LIMITS.maxBatchSize} items`,
          },
        ],
      );
    }
    const limited = this.limiter.take(principal, address, events.length);
    if (limited) await limited;
    const valid: ValidEvent[] = [];
    const errors: FieldError[] = [];
    events.forEach((input, index) => {
      const parsed = parseEvent(input);
      if (parsed.ok) valid.push(parsed.value);
      else
        for (const e of parsed.errors)
          errors.push({ index, field: `events[${index}].${e.field}`, message: e.message });
    });
    if (errors.length > 0) throw this.invalid(errors);
    const results = await this.write(valid, principal);
    return { accepted: results.filter((r) => !r.duplicate).length, results };
  }

  /**
   * Writes events that already passed `parseEvent`, all or none (503 when the backend is down).
   * For doors that validate event by event, such as gRPC PublishStream.
   */
  async write(valid: ValidEvent[], principal: Principal): Promise<AppendOutcome[]> {
    const receivedAt = new Date().toISOString();
    const boundUserId = principal.boundToUser ? principal.userId : undefined;
    const batch = valid.map((v) => {
      const event: AgentEvent = toCanonicalEvent(v, {
        receivedAt,
        newEventId: randomUUID,
        boundUserId,
      });
      return { event, dedupe: v.dto.event_id !== undefined };
    });
    const started = performance.now();
    try {
      const outcomes = await this.sink.append(batch);
      this.metrics.observeWrite(this.sink.backendName, 'ok', started);
      let fresh = 0;
      for (const o of outcomes) if (!o.duplicate) fresh += 1;
      this.metrics.accepted.inc(fresh);
      if (fresh < outcomes.length) this.metrics.duplicates.inc(outcomes.length - fresh);
      return outcomes;
    } catch (error) {
      this.metrics.observeWrite(this.sink.backendName, 'error', started);
      if (error instanceof StreamUnavailableError) {
        throw new ApiError(
          503,
          error.publicMessage ??
            'the stream backend is unavailable; nothing was accepted, retry later',
          'backend_unavailable',
          undefined,
          {
            'Retry-After': String(this.config.retryAfterSeconds),
          },
        );
      }
      throw error;
    }
  }

  private invalid(errors: FieldError[]): ApiError {
    const first = errors[0];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    const where = first.index === undefined ? '' : `events[${first.index}]: `;
    return new ApiError(400, `${where}${first.message}${more}`, 'validation', errors);
  }
}
