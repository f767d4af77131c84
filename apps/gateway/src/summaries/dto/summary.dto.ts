import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';

/** OpenAPI shapes of `GET /v1/summary` (the `performance_summary` body of CONTRACT §4). */
export class ModelSummaryDto {
  @ApiProperty({ example: 12 }) calls!: number;
  @ApiProperty({ example: 18000 }) total_tokens!: number;
  @ApiProperty({ example: 0.054, description: 'USD, rounded to 6 decimals' })
  total_token_cost!: number;
}

export class AgentSummaryDto {
  @ApiProperty({ example: 840.5, description: 'Mean of the newest 100 latencies; 0 when none' })
  average_latency_ms!: number;
  @ApiProperty({ example: 0.95, description: '1 when no operation reported success' })
  success_rate!: number;
  @ApiProperty({ example: 40, description: 'Events of the agent with performance_metrics' })
  total_operations!: number;
  @ApiProperty({ example: 0.12, description: 'USD, rounded to 6 decimals' })
  total_token_cost!: number;
  @ApiProperty({ example: 52000 }) total_tokens!: number;
  @ApiProperty({ example: '2025-01-24T10:30:00.000Z' }) last_update!: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(ModelSummaryDto) },
    description: 'Per performance_metrics.model',
  })
  models?: Record<string, ModelSummaryDto>;
}

export class CollaborationSummaryDto {
  @ApiProperty({ example: 7 }) total_collaborations!: number;
  @ApiProperty({ example: 0.714286, description: 'Share with consensus_reached: true' })
  success_rate!: number;
  @ApiProperty({ example: 3 }) unique_partners!: number;
  @ApiProperty({ example: '2025-01-24T10:30:00.000Z' }) last_collaboration!: string;
}

export class SystemSummaryDto {
  @ApiProperty({ description: 'Socket.IO connections on this gateway pod' })
  active_connections!: number;
  @ApiProperty({ description: 'Events this pod read live from the stream' })
  events_received!: number;
  @ApiProperty({ description: 'stream_event messages this pod sent' }) events_sent!: number;
  @ApiProperty() uptime_seconds!: number;
}

export class SummaryDataDto {
  @ApiProperty({ type: 'object', additionalProperties: { $ref: getSchemaPath(AgentSummaryDto) } })
  agents!: Record<string, AgentSummaryDto>;
  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(CollaborationSummaryDto) },
  })
  collaboration!: Record<string, CollaborationSummaryDto>;
  @ApiProperty({ type: SystemSummaryDto }) system!: SystemSummaryDto;
}

export class PerformanceSummaryDto {
  @ApiProperty({ enum: ['performance_summary'] }) type!: 'performance_summary';
  @ApiProperty({ example: '2025-01-24T10:30:00.000Z' }) timestamp!: string;
  @ApiProperty({ type: SummaryDataDto }) data!: SummaryDataDto;
}
