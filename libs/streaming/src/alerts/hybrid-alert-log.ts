import { Logger } from '@nestjs/common';
import type { AlertTransition } from '@auren/contracts';
import type { AlertLog, AlertLogPublisher, AlertLogReader, AlertPublishOutcome } from './alert-log';

/**
 * Hybrid mode: each transition goes to both logs (Redis and Kafka), and a gateway reads both,
 * delivering each alert_id once (the first copy to arrive). `publish` follows
 * `AUREN_HYBRID_ACK` as ingest does: `any` resolves once one log stored it, `all` only once both
 * did. A rejected publish is retried by publishing again; the log that already had it answers
 * `duplicate` (Redis) or holds a second copy that readers drop (Kafka).
 */
export class HybridAlertLog implements AlertLog, AlertLogPublisher {
  readonly backendName = 'hybrid';
  private readonly logger = new Logger('HybridAlertLog');

  constructor(
    private readonly redis: AlertLog,
    private readonly kafka: AlertLog,
    private readonly ack: 'any' | 'all',
  ) {}

  get publisher(): AlertLogPublisher {
    return this;
  }

  async publish(transition: AlertTransition): Promise<AlertPublishOutcome> {
    const results = await Promise.allSettled([
      this.redis.publisher.publish(transition),
      this.kafka.publisher.publish(transition),
    ]);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length === 2 || (failed.length === 1 && this.ack === 'all'))
      throw failed[0].reason as Error;
    if (failed.length === 1) {
      const which = results[0].status === 'rejected' ? 'Redis' : 'Kafka';
      this.logger.warn(
        `Alert ${transition.alert_id} is only in one alerts log: ${which} failed (${(failed[0].reason as Error).message})`,
      );
    }
    return results.some((r) => r.status === 'fulfilled' && r.value === 'published')
      ? 'published'
      : 'duplicate';
  }

  createReaders(): AlertLogReader[] {
    return [...this.redis.createReaders(), ...this.kafka.createReaders()];
  }

  async close(): Promise<void> {
    await Promise.all([this.redis.close(), this.kafka.close()]);
  }
}
