import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { StreamedEvent } from '@auren/contracts';
import { STREAM_EVENT_PATTERN } from '@auren/streaming';
import { DeliveryService } from './delivery.service';

/**
 * The thin consumer: the stream transport has parsed and checked the record; this hands it to
 * delivery. Kept free of pipes and interceptors: it runs once per event on the hot path.
 */
@Controller()
export class StreamController {
  constructor(private readonly delivery: DeliveryService) {}

  @EventPattern(STREAM_EVENT_PATTERN)
  onStreamEvent(@Payload() event: StreamedEvent): void {
    this.delivery.deliver(event);
  }
}
