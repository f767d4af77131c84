import { Module } from '@nestjs/common';
import { EventsController } from './events.controller';
import { EventsService } from './events.service';
import { IngestMetrics } from './ingest-metrics';
import { IngestAuthGuard } from '../credentials/ingest-auth.guard';
import { RateLimitModule } from '../rate-limit/rate-limit.module';

@Module({
  imports: [RateLimitModule],
  controllers: [EventsController],
  providers: [EventsService, IngestMetrics, IngestAuthGuard],
  exports: [EventsService, IngestMetrics, RateLimitModule],
})
export class EventsModule {}
