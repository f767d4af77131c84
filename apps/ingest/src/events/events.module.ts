import { Module } from '@nestjs/common';
import { EventsController } from './events.controller';
import { EventsService } from './events.service';
import { IngestMetrics } from './ingest-metrics';
import { IngestAuthGuard } from '../credentials/ingest-auth.guard';

@Module({
  controllers: [EventsController],
  providers: [EventsService, IngestMetrics, IngestAuthGuard],
  exports: [EventsService, IngestMetrics],
})
export class EventsModule {}
