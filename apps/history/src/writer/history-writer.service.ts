import { Inject, Injectable, Logger } from '@nestjs/common';
import type { StreamedEvent } from '@auren/contracts';
import { AUREN_CONFIG, AurenConfig } from '@auren/config';
import { PartitionKeeper, writeEvents, WriteOutcome } from '../store/event-writer';
import type { SqlDatabase } from '../store/sql-database';
import { SQL_DATABASE } from '../store/store.module';
import { WriterMetrics } from './writer-metrics';

/**
 * SQLSTATE classes 22 (data exception: a value out of range, bad text) and 23 (integrity) mean
 * this batch cannot be stored as it is, now or later. 23514 is not one of them: a partition
 * dropped by retention meanwhile, which writeEvents handles and a retry settles.
 */
export function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23]/.test(code) && code !== '23514';
}

/** Stores batches of stream events: one transaction per batch, idempotent by (event_id, ts). */
@Injectable()
export class HistoryWriter {
  private readonly logger = new Logger('HistoryWriter');

  constructor(
    @Inject(SQL_DATABASE) private readonly db: SqlDatabase,
    private readonly partitions: PartitionKeeper,
    @Inject(AUREN_CONFIG) private readonly config: AurenConfig,
    private readonly metrics: WriterMetrics,
  ) {}

  /**
   * Resolves once the batch is committed (the reader then acknowledges it); rejects when it could
   * not be (the reader retries the same batch). An event the database refuses for its values is
   * isolated by splitting the batch, logged and counted, so that it never blocks the others.
   */
  async write(events: StreamedEvent[]): Promise<WriteOutcome> {
    const stop = this.metrics.writeSeconds.startTimer();
    try {
      const outcome = await this.writeIsolating(events);
      stop();
      this.metrics.eventsWritten.inc(outcome.inserted);
      this.metrics.duplicates.inc(outcome.duplicates);
      return outcome;
    } catch (error) {
      this.metrics.writeFailures.inc();
      throw error;
    }
  }

  private async writeIsolating(events: StreamedEvent[]): Promise<WriteOutcome> {
    try {
      return await writeEvents(this.db, this.partitions, events, this.config.history.retentionDays);
    } catch (error) {
      if (!isDataError(error)) throw error;
      if (events.length === 1) {
        this.logger.warn(
          `Event ${events[0].event_id} (${events[0].stream_id}) refused by the database (${(error as Error).message}); skipped`,
        );
        this.metrics.poison.inc({ reason: 'rejected_by_database' });
        return { inserted: 0, duplicates: 0 };
      }
      const middle = events.length >>> 1;
      const first = await this.writeIsolating(events.slice(0, middle));
      const second = await this.writeIsolating(events.slice(middle));
      return {
        inserted: first.inserted + second.inserted,
        duplicates: first.duplicates + second.duplicates,
      };
    }
  }
}
