import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { AlertTransition } from '@auren/contracts';
import { ALERT_TRANSITION_PATTERN } from '@auren/streaming';
import { AlertDeliveryService } from './alert-delivery.service';

/**
 * The thin consumer of the alerts log: the alerts transport (AlertTransportStrategy) has parsed,
 * checked and de-duplicated the transition; this hands it to delivery.
 */
@Controller()
export class AlertsController {
  constructor(private readonly alerts: AlertDeliveryService) {}

  @EventPattern(ALERT_TRANSITION_PATTERN)
  onAlertTransition(@Payload() alert: AlertTransition): void {
    this.alerts.deliver(alert);
  }
}
