import { Module } from '@nestjs/common';
import { EVENT_LOG, EventLog, StreamTransportStrategy } from '@auren/streaming';
import { DeliveryService } from './delivery.service';
import { GatewayMetrics } from './gateway-metrics';
import { HistoryService } from '../history/history.service';
import { StreamController } from './stream.controller';
import { StreamLagMetric } from './stream-lag.metric';
import { SummariesModule } from '../summaries/summaries.module';
import { SummaryService } from '../summaries/summary.service';

/** Reading the stream and emitting each event to its rooms. */
@Module({
  imports: [SummariesModule],
  controllers: [StreamController],
  providers: [
    DeliveryService,
    HistoryService,
    StreamLagMetric,
    GatewayMetrics,
    {
      provide: StreamTransportStrategy,
      inject: [EVENT_LOG, GatewayMetrics, SummaryService, DeliveryService],
      useFactory: (
        log: EventLog,
        metrics: GatewayMetrics,
        summaries: SummaryService,
        delivery: DeliveryService,
      ) =>
        new StreamTransportStrategy(log, {
          onPoison: () => metrics.poisonRecords.inc(),
          beforeStart: async (position) => {
            await summaries.warmUp(position);
            delivery.startAt(position);
          },
        }),
    },
  ],
  exports: [DeliveryService, GatewayMetrics, HistoryService, StreamTransportStrategy],
})
export class DeliveryModule {}
