import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { StreamedEvent } from '@auren/contracts';
import { STREAM_BATCH_PATTERN } from '@auren/streaming';
import { HistoryWriter } from './history-writer.service';

/**
 * The thin consumer: a shared reader (Redis group, Kafka group, or the memory stream) has parsed
 * and checked a batch of records; this stores it. The reader acknowledges the records only once
 * this resolves, and retries the batch when it rejects.
 */
@Controller()
export class WriterController {
  constructor(private readonly writer: HistoryWriter) {}

  @EventPattern(STREAM_BATCH_PATTERN)
  async onBatch(@Payload() events: StreamedEvent[]): Promise<void> {
    await this.writer.write(events);
  }
}
