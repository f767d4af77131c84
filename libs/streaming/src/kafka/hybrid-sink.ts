import { Logger } from '@nestjs/common';
import type { AgentEvent } from '@auren/contracts';
import type { RedisStream } from '../redis-stream';
import { AppendOutcome, EventSink, StreamUnavailableError } from '../stream.interfaces';
import { KafkaSink } from './kafka-sink';
import { TOMBSTONE_FIELD } from './kafka-constants';

export type HybridAck = 'any' | 'all';

/**
 * Writes each event to Redis and to Kafka at once (CONTRACT §3, hybrid). `any`: accepted as soon
 * as one backend stored it (the answer carries that backend's position); the other write goes on
 * in the background. `all`:
 * accepted only when both did; when one failed, the other's copy is cancelled with a tombstone
 * record, which gateways in `all` mode honour: they deliver an event once both copies, or one
 * copy and no tombstone within the pairing wait, have arrived (docs/kafka.md).
 */
export class HybridSink implements EventSink {
  readonly backendName = 'hybrid';
  private readonly logger = new Logger('HybridSink');

  constructor(
    private readonly redis: RedisStream,
    private readonly kafka: KafkaSink,
    private readonly ack: HybridAck,
  ) {}

  async append(
    events: ReadonlyArray<{ event: AgentEvent; dedupe: boolean }>,
  ): Promise<AppendOutcome[]> {
    const writes = [this.redis.append(events), this.kafka.append(events)] as const;
    if (this.ack === 'any') {
      // The first backend to confirm answers; the other write goes on (a backend that is down
      // costs it its retries, not the caller).
      try {
        return await Promise.any(writes);
      } catch (error) {
        const [redis, kafka] = (error as AggregateError).errors as unknown[];
        throw new StreamUnavailableError(
          `neither backend stored the events (Redis: ${message(redis)}; Kafka: ${message(kafka)})`,
        );
      }
    }
    const [redis, kafka] = await Promise.allSettled(writes);
    if (redis.status === 'fulfilled' && kafka.status === 'fulfilled') return redis.value;
    if (redis.status === 'rejected' && kafka.status === 'rejected') {
      throw new StreamUnavailableError(
        `neither backend stored the events (Redis: ${message(redis.reason)}; Kafka: ${message(kafka.reason)})`,
      );
    }
    const stored =
      redis.status === 'fulfilled'
        ? redis.value
        : (kafka as PromiseFulfilledResult<AppendOutcome[]>).value;
    // One backend failed: take back what the other stored, then refuse.
    const written = events.filter((_, i) => !stored[i].duplicate).map(({ event }) => event);
    const failed = redis.status === 'rejected' ? 'Redis' : 'Kafka';
    if (written.length > 0) {
      try {
        if (redis.status === 'fulfilled') await this.redis.cancel(written, TOMBSTONE_FIELD);
        else await this.kafka.cancel(written);
      } catch (error) {
        this.logger.error(
          `Could not cancel ${written.length} event(s) written only to ${failed === 'Redis' ? 'Kafka' : 'Redis'}: ${message(error)}; gateways deliver them after the pairing wait`,
        );
      }
    }
    const reason: unknown =
      redis.status === 'rejected' ? redis.reason : (kafka as PromiseRejectedResult).reason;
    throw new StreamUnavailableError(
      `${failed} did not store the events and AUREN_HYBRID_ACK=all: ${message(reason)}`,
    );
  }

  async ping(): Promise<void> {
    const results = await Promise.allSettled([this.redis.ping(), this.kafka.ping()]);
    const up = results.filter((r) => r.status === 'fulfilled').length;
    if (up === 2 || (up === 1 && this.ack === 'any')) return;
    throw new Error(
      results
        .map((r, i) =>
          r.status === 'rejected' ? `${i === 0 ? 'Redis' : 'Kafka'}: ${message(r.reason)}` : '',
        )
        .filter(Boolean)
        .join('; '),
    );
  }

  async close(): Promise<void> {
    this.redis.close();
    await this.kafka.close();
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
