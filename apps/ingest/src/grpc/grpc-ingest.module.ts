import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { GrpcIngestController } from './grpc-ingest.controller';
import { GrpcIngestMetrics } from './grpc-metrics';

/** gRPC ingest handlers; the transport is connected by `connectGrpcIngest` (ingest.app.ts). */
@Module({
  imports: [EventsModule],
  controllers: [GrpcIngestController],
  providers: [GrpcIngestMetrics],
})
export class GrpcIngestModule {}
