import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { AUREN_CONFIG, AurenConfig } from '@auren/config';
import { applyRetention, PartitionKeeper } from '../store/event-writer';
import type { SqlDatabase } from '../store/sql-database';
import { SQL_DATABASE } from '../store/store.module';

const HOUR_MS = 3_600_000;

/**
 * Drops the history older than AUREN_HISTORY_RETENTION_DAYS (whole daily partitions and their
 * rollup rows) at start and every hour. Every replica runs it; an advisory lock serialises them
 * and a second run finds nothing to drop.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly logger = new Logger('Retention');

  constructor(
    @Inject(SQL_DATABASE) private readonly db: SqlDatabase,
    private readonly partitions: PartitionKeeper,
    @Inject(AUREN_CONFIG) private readonly config: AurenConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.running = this.run();
    this.timer = setInterval(() => {
      this.running ??= this.run();
    }, HOUR_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; never throws (a database away is retried at the next hour). */
  async run(): Promise<void> {
    try {
      const dropped = await applyRetention(this.db, this.config.history.retentionDays);
      if (dropped.length > 0) {
        this.partitions.reset();
        this.logger.log(
          `Dropped ${dropped.length} partition(s) older than ${this.config.history.retentionDays} days: ${dropped.join(', ')}`,
        );
      }
    } catch (error) {
      this.logger.warn(`Retention pass failed (${(error as Error).message}); next in an hour`);
    } finally {
      this.running = undefined;
    }
  }
}
