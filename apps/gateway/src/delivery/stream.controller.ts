import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { StreamedEvent } from '@auren/contracts';
import { STREAM_EVENT_PATTERN } from '@auren/streaming';
import { CopyMerger } from './copy-merger';

/**
 * The thin consumer: a stream reader (Redis, Kafka, or both in hybrid mode) has parsed and checked
 * the record; this hands it to delivery through the copy merger. Kept free of pipes and interceptors: it runs once per event on the hot path.
 */
@Controller()
export class StreamController {
  constructor(private readonly copies: CopyMerger) {}

  @EventPattern(STREAM_EVENT_PATTERN)
  onStreamEvent(@Payload() event: StreamedEvent): void {
    this.copies.offer(event);
  }
}
