import { Module } from '@nestjs/common';
import { EVENT_LOG, EventLog, StreamTransportStrategy } from '@auren/streaming';
import { DeliveryService } from './delivery.service';
import { GatewayMetrics } from './gateway-metrics';
import { StreamController } from './stream.controller';

/** Reading the stream and emitting each event to its rooms. */
@Module({
  controllers: [StreamController],
  providers: [
    DeliveryService,
    GatewayMetrics,
    {
      provide: StreamTransportStrategy,
      inject: [EVENT_LOG, GatewayMetrics],
      useFactory: (log: EventLog, metrics: GatewayMetrics) =>
        new StreamTransportStrategy(log, { onPoison: () => metrics.poisonRecords.inc() }),
    },
  ],
  exports: [DeliveryService, GatewayMetrics, StreamTransportStrategy],
})
export class DeliveryModule {}
