import { Module } from '@nestjs/common';
import { SummaryService } from './summary.service';

/** Performance cache, `performance_summary` broadcasts and `GET /v1/summary`. */
@Module({
  providers: [SummaryService],
  exports: [SummaryService],
})
export class SummariesModule {}
