import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsDefined,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { EVENT_LIMITS } from './agent-event';
import { ALLOWED_EVENT_TYPES_TEXT, KNOWN_EVENT_TYPES } from './event-types';
import { CodePoints, IsEventType, IsRfc3339DateTime, MaxNestingDepth } from './validators';

const ID = EVENT_LIMITS.idMaxLength;

export class AgentRefDto {
  @ApiProperty({ example: 'neuroscientist', minLength: 1, maxLength: ID })
  @IsString()
  @CodePoints(1, ID)
  id!: string;

  @ApiPropertyOptional({ example: 'Neuroscientist', maxLength: EVENT_LIMITS.roleMaxLength })
  @IsOptional()
  @IsString()
  @CodePoints(0, EVENT_LIMITS.roleMaxLength)
  role?: string;
}

export class PerformanceMetricsDto {
  @ApiPropertyOptional({ minimum: 0 }) @IsOptional() @IsNumber() @Min(0) latency_ms?: number;
  @ApiPropertyOptional({ minimum: 0, description: 'USD' })
  @IsOptional()
  @IsNumber()
  @Min(0)
  token_cost?: number;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() success?: boolean;
  @ApiPropertyOptional({ minimum: 0, maximum: 1 })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  confidence_score?: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  tokens_used?: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  input_tokens?: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  output_tokens?: number;
  @ApiPropertyOptional({ maxLength: EVENT_LIMITS.modelMaxLength })
  @IsOptional()
  @IsString()
  @CodePoints(0, EVENT_LIMITS.modelMaxLength)
  model?: string;
  @ApiPropertyOptional({ minimum: 0 }) @IsOptional() @IsNumber() @Min(0) memory_usage_mb?: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 100 })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(100)
  cpu_percentage?: number;
  @ApiPropertyOptional({ maxLength: EVENT_LIMITS.errorTypeMaxLength })
  @IsOptional()
  @IsString()
  @CodePoints(0, EVENT_LIMITS.errorTypeMaxLength)
  error_type?: string;
}

/** One agent event as sent to ingest (CONTRACT §1). The single source of the wire shape. */
export class AgentEventDto {
  @ApiPropertyOptional({
    minLength: 1,
    maxLength: ID,
    description: 'Idempotency key; assigned when absent',
  })
  @IsOptional()
  @IsString()
  @CodePoints(1, ID)
  event_id?: string;

  @ApiProperty({
    example: 'llm_call',
    description: `One of ${ALLOWED_EVENT_TYPES_TEXT}`,
    enum: [...KNOWN_EVENT_TYPES, 'custom.<name>'],
  })
  @IsDefined({ message: '$property is required' })
  @IsString()
  @IsEventType()
  event_type!: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'RFC 3339 date-time with an offset; the receive time when absent',
  })
  @IsOptional()
  @IsString()
  @IsRfc3339DateTime()
  timestamp?: string;

  @ApiPropertyOptional({ maxLength: ID })
  @IsOptional()
  @IsString()
  @CodePoints(0, ID)
  trace_id?: string;

  @ApiPropertyOptional({ maxLength: ID })
  @IsOptional()
  @IsString()
  @CodePoints(0, ID)
  session_id?: string;

  @ApiPropertyOptional({ maxLength: ID })
  @IsOptional()
  @IsString()
  @CodePoints(0, ID)
  parent_event_id?: string;

  @ApiPropertyOptional({
    maxLength: ID,
    description: 'Owner; overridden by a user-bound credential',
  })
  @IsOptional()
  @IsString()
  @CodePoints(0, ID)
  user_id?: string;

  @ApiProperty({ type: AgentRefDto })
  @IsDefined({ message: '$property is required' })
  @ValidateNested()
  source_agent!: AgentRefDto;

  @ApiPropertyOptional({ type: AgentRefDto, nullable: true })
  @IsOptional()
  @ValidateNested()
  target_agent?: AgentRefDto | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject({ message: '$property must be a JSON object' })
  @MaxNestingDepth(EVENT_LIMITS.maxNestingDepth)
  payload?: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject({ message: '$property must be a JSON object' })
  @MaxNestingDepth(EVENT_LIMITS.maxNestingDepth)
  metadata?: Record<string, unknown>;

  @ApiPropertyOptional({ type: PerformanceMetricsDto })
  @IsOptional()
  @ValidateNested()
  performance_metrics?: PerformanceMetricsDto;
}

export class EventBatchDto {
  @ApiProperty({ type: [AgentEventDto], maxItems: EVENT_LIMITS.maxBatchSize, minItems: 1 })
  events!: AgentEventDto[];
}
