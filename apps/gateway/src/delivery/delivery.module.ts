import { Module } from '@nestjs/common';
import { EVENT_LOG, EventLog, StreamTransportStrategy } from '@auren/streaming';
import { DeliveryService } from './delivery.service';
import { GatewayMetrics } from './gateway-metrics';
import { StreamController } from './stream.controller';
import { SummariesModule } from '../summaries/summaries.module';
import { SummaryService } from '../summaries/summary.service';

/** Reading the stream and emitting each event to its rooms. */
@Module({
  imports: [SummariesModule],
  controllers: [StreamController],
  providers: [
    DeliveryService,
    GatewayMetrics,
    {
      provide: StreamTransportStrategy,
      inject: [EVENT_LOG, GatewayMetrics, SummaryService],
      useFactory: (log: EventLog, metrics: GatewayMetrics, summaries: SummaryService) =>
        new StreamTransportStrategy(log, {
          onPoison: () => metrics.poisonRecords.inc(),
          beforeStart: (position) => summaries.warmUp(position),
        }),
    },
  ],
  exports: [DeliveryService, GatewayMetrics, StreamTransportStrategy],
})
export class DeliveryModule {}
