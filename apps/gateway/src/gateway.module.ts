import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@auren/auth';
import { AurenConfig, AurenConfigModule } from '@auren/config';
import { HealthModule, MetricsModule } from '@auren/platform';
import {
  EVENT_LOG,
  EventLog,
  StreamingModule,
  StreamingModuleOptions,
  StreamTransportStrategy,
} from '@auren/streaming';
import { ConnectionsModule } from './connections/connections.module';
import { DeliveryModule } from './delivery/delivery.module';
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
        ConnectionsModule,
        HealthModule.forRoot({
          imports: [DeliveryModule],
          inject: [EVENT_LOG, StreamTransportStrategy],
          useFactory: (log: EventLog, transport: StreamTransportStrategy) => async () => {
            if (!transport.isConnected) throw new Error('not reading the stream');
            await log.ping();
          },
        }),
      ],
      controllers: [PageController],
    };
  }
}
