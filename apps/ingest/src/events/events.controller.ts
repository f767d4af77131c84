import { Body, Controller, HttpCode, Ip, Post, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { AgentEventDto, EventBatchDto } from '@auren/contracts';
import type { Principal } from '@auren/auth';
import { IngestAuthGuard } from '../credentials/ingest-auth.guard';
import { CurrentPrincipal } from '../credentials/principal.decorator';
import { ErrorBodyDto } from '@auren/platform';
import { BatchAcceptedDto, EventAcceptedDto } from './dto/responses.dto';
import { EventsService, PublishBatchResult, PublishOneResult } from './events.service';

/**
 * HTTP ingest (CONTRACT §2). Bodies are validated by {@link EventsService} rather than a global
 * ValidationPipe: a batch error must name the index of each bad event, and every ingest door
 * shares one validation path.
 */
@ApiTags('events')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorBodyDto, description: 'Missing or bad credential' })
@ApiBadRequestResponse({
  type: ErrorBodyDto,
  description: 'Malformed JSON or invalid event; details name each field',
})
@ApiPayloadTooLargeResponse({ type: ErrorBodyDto, description: 'Body over 1 MiB' })
@ApiUnsupportedMediaTypeResponse({
  type: ErrorBodyDto,
  description: 'Body is not application/json',
})
@ApiTooManyRequestsResponse({
  type: ErrorBodyDto,
  description:
    'Credential over its rate limit (a batch counts as its events); nothing written; see Retry-After, RateLimit, RateLimit-Policy',
})
@ApiServiceUnavailableResponse({
  type: ErrorBodyDto,
  description: 'Stream backend down; nothing accepted; see Retry-After',
})
@UseGuards(IngestAuthGuard)
@Controller('v1/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Publish one event; 202 once the stream backend stored it' })
  @ApiBody({ type: AgentEventDto })
  @ApiAcceptedResponse({ type: EventAcceptedDto })
  publish(
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
    @Ip() address: string,
  ): Promise<PublishOneResult> {
    return this.events.publishOne(body, principal, address);
  }

  @Post('batch')
  @HttpCode(202)
  @ApiOperation({ summary: 'Publish up to 1,000 events; all-or-nothing validation' })
  @ApiBody({ type: EventBatchDto })
  @ApiAcceptedResponse({ type: BatchAcceptedDto })
  publishBatch(
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
    @Ip() address: string,
  ): Promise<PublishBatchResult> {
    return this.events.publishBatch(body, principal, address);
  }
}
