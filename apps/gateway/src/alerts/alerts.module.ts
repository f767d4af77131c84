import { Module } from '@nestjs/common';
import { ALERT_LOG, AlertLog, AlertTransportStrategy } from '@auren/streaming';
import { DeliveryModule } from '../delivery/delivery.module';
import { AlertDeliveryService } from './alert-delivery.service';
import { AlertMetrics } from './alert-metrics';
import { AlertsController } from './alerts.controller';

/**
 * Alert transitions to Socket.IO: the alerts log is read through its own NestJS transport
 * (AlertTransportStrategy, connected to the gateway app beside the stream readers), whose
 * `@EventPattern` handler is AlertsController. Not part of readiness: see docs/gateway.md.
 */
@Module({
  imports: [DeliveryModule],
  controllers: [AlertsController],
  providers: [
    AlertDeliveryService,
    AlertMetrics,
    {
      provide: AlertTransportStrategy,
      inject: [ALERT_LOG, AlertMetrics],
      useFactory: (log: AlertLog, metrics: AlertMetrics) =>
        new AlertTransportStrategy(log.createReaders(), {
          onPoison: (backend) => metrics.logErrors.inc({ backend, kind: 'invalid' }),
          onReadError: (backend) => metrics.logErrors.inc({ backend, kind: 'read' }),
          onRepeat: (backend) => metrics.repeats.inc({ backend }),
          onReading: (backend, reading) => metrics.reading.set({ backend }, reading ? 1 : 0),
        }),
    },
  ],
  exports: [AlertTransportStrategy],
})
export class AlertsModule {}
