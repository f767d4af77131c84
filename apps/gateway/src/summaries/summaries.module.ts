import { Module } from '@nestjs/common';
import { SummaryController } from './summary.controller';
import { SummaryService } from './summary.service';

/** Performance cache, `performance_summary` broadcasts and `GET /v1/summary` (docs/summaries.md). */
@Module({
  controllers: [SummaryController],
  providers: [SummaryService],
  exports: [SummaryService],
})
export class SummariesModule {}
