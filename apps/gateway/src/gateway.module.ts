import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@auren/auth';
import { AurenConfig, AurenConfigModule } from '@auren/config';
import { HealthModule, MetricsModule } from '@auren/platform';
import { EVENT_LOG, EventLog, StreamingModule, StreamingModuleOptions } from '@auren/streaming';
import { AlertsModule } from './alerts/alerts.module';
import { ConnectionRegistry } from './connections/connection-registry';
import { ConnectionsModule } from './connections/connections.module';
import { DeliveryModule } from './delivery/delivery.module';
import { StreamReaders } from './delivery/stream-readers';
import { DashboardSettings } from './page/dashboard-settings';
import { PageController } from './page/page.controller';

@Module({})
export class GatewayModule {
  static forRoot(config: AurenConfig, streaming: StreamingModuleOptions = {}): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        AurenConfigModule.forRoot(config),
        StreamingModule.forRoot(streaming),
        AuthModule,
        MetricsModule,
        DeliveryModule,
        AlertsModule,
        ConnectionsModule,
        HealthModule.forRoot({
          imports: [DeliveryModule, ConnectionsModule],
          inject: [EVENT_LOG, StreamReaders, ConnectionRegistry],
          useFactory: (log: EventLog, readers: StreamReaders, registry: ConnectionRegistry) => ({
            stream: async () => {
              if (!readers.isConnected) throw new Error('not reading the stream');
              // Hybrid: Kafka alone keeps delivery going while Redis (history) is away.
              if (readers.all.length === 1) await log.ping();
            },
            // A pod at capacity or draining takes no new clients: out of the load balancer.
            connections: () => {
              const reason = registry.notAdmittingReason;
              return reason ? Promise.reject(new Error(reason)) : Promise.resolve();
            },
          }),
        }),
      ],
      controllers: [PageController],
      providers: [DashboardSettings],
      exports: [DashboardSettings],
    };
  }
}
