import { Controller, Get, Header, Headers, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { PerformanceSummaryMessage, Viewer } from '@auren/contracts';
import { AuthFailure, CredentialVerifier } from '@auren/auth';
import { ApiError, ErrorBodyDto } from '@auren/platform';
import { parseAgentFilter } from '../connections/client-input';
import {
  AgentSummaryDto,
  CollaborationSummaryDto,
  ModelSummaryDto,
  PerformanceSummaryDto,
} from './dto/summary.dto';
import { SummaryService } from './summary.service';

/** `GET /v1/summary`: the caller's `performance_summary`, as the broadcast would carry it. */
@ApiTags('summary')
@ApiBearerAuth()
@ApiExtraModels(AgentSummaryDto, CollaborationSummaryDto, ModelSummaryDto)
@Controller('v1/summary')
export class SummaryController {
  constructor(
    private readonly verifier: CredentialVerifier,
    private readonly summaries: SummaryService,
  ) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: "Performance and collaboration figures of the caller's visible agents",
  })
  @ApiQuery({
    name: 'agent_filter',
    required: false,
    description: 'Comma-separated agent ids; absent: every agent the credential may see',
    example: 'neuroscientist,training_coach',
  })
  @ApiOkResponse({ type: PerformanceSummaryDto })
  @ApiUnauthorizedResponse({ type: ErrorBodyDto, description: 'Missing or bad credential' })
  @ApiBadRequestResponse({ type: ErrorBodyDto, description: 'Bad agent_filter' })
  async summary(
    @Headers('authorization') authorization: string | undefined,
    @Query('agent_filter') agentFilter: unknown,
  ): Promise<PerformanceSummaryMessage> {
    if (!authorization) {
      throw new ApiError(
        401,
        'an Authorization: Bearer <token> header is required',
        'unauthorized',
      );
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) {
      throw new ApiError(401, 'the Authorization header must be "Bearer <token>"', 'unauthorized');
    }
    const principal = await this.verifier.verifyHandshake(match[1]);
    if (principal instanceof AuthFailure)
      throw new ApiError(401, principal.message, 'unauthorized');
    const filter = parseAgentFilter(
      Array.isArray(agentFilter) ? agentFilter.join(',') : agentFilter,
    );
    if (!filter.ok) throw new ApiError(400, filter.message, 'validation');
    const viewer: Viewer = {
      userId: principal.userId,
      seesAllUsers: principal.seesAllUsers,
      allowedAgents: principal.allowedAgents === null ? null : new Set(principal.allowedAgents),
      subscriptions: new Set(['agent_performance']),
      agentFilter: new Set(filter.value),
      threshold: 0,
    };
    return this.summaries.messageFor(viewer);
  }
}
