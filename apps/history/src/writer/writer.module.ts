import { Module } from '@nestjs/common';
import { AUREN_CONFIG, AurenConfig } from '@auren/config';
import { EVENT_LOG, EventLog } from '@auren/streaming';
import { createHistoryReaders, HistoryReaders } from './history-readers';
import { HistoryWriter } from './history-writer.service';
import { RetentionService } from './retention.service';
import { WriterController } from './writer.controller';
import { HistoryLagMetric, WriterMetrics } from './writer-metrics';

const POISON_REASONS: Record<string, string> = {
  'not JSON': 'not_json',
  'not an AUREN event': 'not_an_event',
};

/**
 * Stream → database: the shared readers (connected as microservices by createHistoryApp), the
 * batch handler, the writer's metrics and retention.
 */
@Module({
  controllers: [WriterController],
  providers: [
    WriterMetrics,
    HistoryLagMetric,
    HistoryWriter,
    RetentionService,
    {
      provide: HistoryReaders,
      inject: [AUREN_CONFIG, EVENT_LOG, WriterMetrics],
      useFactory: (config: AurenConfig, log: EventLog, metrics: WriterMetrics) =>
        createHistoryReaders(config, log, (_entry, reason) =>
          metrics.poison.inc({ reason: POISON_REASONS[reason] ?? 'not_an_event' }),
        ),
    },
  ],
  exports: [HistoryReaders, HistoryWriter, WriterMetrics],
})
export class WriterModule {}
