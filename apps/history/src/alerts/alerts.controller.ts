import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { StreamedEvent } from '@auren/contracts';
import { STREAM_EVENT_PATTERN } from '@auren/streaming';
import { AlertEngine } from './alert-engine.service';

/**
 * The alert evaluator's consumer: {@link LeaderStreamTransport} hands it every stream event in
 * order while this replica leads. The writers' transports dispatch STREAM_BATCH_PATTERN only, so
 * this handler sees each event once.
 */
@Controller()
export class AlertsController {
  constructor(private readonly engine: AlertEngine) {}

  @EventPattern(STREAM_EVENT_PATTERN)
  onStreamEvent(@Payload() event: StreamedEvent): Promise<void> | void {
    return this.engine.observe(event);
  }
}
