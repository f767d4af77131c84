import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@auren/auth';
import { AurenConfig, AurenConfigModule } from '@auren/config';
import { HealthModule, MetricsModule } from '@auren/platform';
import { EVENT_SINK, EventSink, StreamingModule, StreamingModuleOptions } from '@auren/streaming';
import { EventsModule } from './events/events.module';
import { OtlpModule } from './otlp/otlp.module';
import { GrpcIngestModule } from './grpc/grpc-ingest.module';

@Module({})
export class IngestModule {
  static forRoot(config: AurenConfig, streaming: StreamingModuleOptions = {}): DynamicModule {
    return {
      module: IngestModule,
      imports: [
        AurenConfigModule.forRoot(config),
        StreamingModule.forRoot(streaming),
        AuthModule,
        MetricsModule,
        HealthModule.forRoot({
          inject: [EVENT_SINK],
          useFactory: (sink: EventSink) => () => sink.ping(),
        }),
        EventsModule,
        OtlpModule,
        GrpcIngestModule,
      ],
    };
  }
}
