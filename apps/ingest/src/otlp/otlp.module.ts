import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { IngestAuthGuard } from '../credentials/ingest-auth.guard';
import { OtlpController } from './otlp.controller';
import { OtlpService } from './otlp.service';

/** OTLP/HTTP trace ingest (POST /v1/traces); body handling in otlp-http.ts. */
@Module({
  imports: [EventsModule],
  controllers: [OtlpController],
  providers: [OtlpService, IngestAuthGuard],
})
export class OtlpModule {}
