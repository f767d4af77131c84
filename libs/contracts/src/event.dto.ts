import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsDefined,
  IsISO8601,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { EVENT_LIMITS } from './agent-event';
import { ALLOWED_EVENT_TYPES_TEXT, KNOWN_EVENT_TYPES } from './event-types';
import { IsEventType, MaxNestingDepth } from './validators';

const ID = EVENT_LIMITS.idMaxLength;

export class AgentRefDto {
  @ApiProperty({ example: 'neuroscientist', minLength: 1, maxLength: ID })
  @IsString({ message: '$property must be a string' })
  @Length(1, ID, { message: `$property must be 1..${ID} characters` })
  id!: string;

  @ApiPropertyOptional({ example: 'Neuroscientist', maxLength: EVENT_LIMITS.roleMaxLength })
  @IsOptional()
  @IsString({ message: '$property must be a string' })
  @MaxLength(EVENT_LIMITS.roleMaxLength, {
    message: `$property must be at most ${EVENT_LIMITS.roleMaxLength} characters`,
  })
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
  @ApiPropertyOptional({ minimum: 0 }) @IsOptional() @IsInt() @Min(0) tokens_used?: number;
  @ApiPropertyOptional({ minimum: 0 }) @IsOptional() @IsInt() @Min(0) input_tokens?: number;
  @ApiPropertyOptional({ minimum: 0 }) @IsOptional() @IsInt() @Min(0) output_tokens?: number;
  @ApiPropertyOptional({ maxLength: EVENT_LIMITS.modelMaxLength })
  @IsOptional()
  @IsString()
  @MaxLength(EVENT_LIMITS.modelMaxLength)
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
  @MaxLength(EVENT_LIMITS.errorTypeMaxLength)
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
  @Length(1, ID, { message: `$property must be 1..${ID} characters` })
  event_id?: string;

  @ApiProperty({
    example: 'llm_call',
    description: `One of ${ALLOWED_EVENT_TYPES_TEXT}`,
    enum: [...KNOWN_EVENT_TYPES, 'custom.<name>'],
  })
  @IsEventType()
  event_type!: string;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: '$property must be an ISO-8601 date-time string' })
  timestamp?: string;

  @ApiPropertyOptional({ maxLength: ID })
  @IsOptional()
  @IsString()
  @MaxLength(ID, { message: `$property must be at most ${ID} characters` })
  trace_id?: string;

  @ApiPropertyOptional({ maxLength: ID })
  @IsOptional()
  @IsString()
  @MaxLength(ID, { message: `$property must be at most ${ID} characters` })
  session_id?: string;

  @ApiPropertyOptional({ maxLength: ID })
  @IsOptional()
  @IsString()
  @MaxLength(ID, { message: `$property must be at most ${ID} characters` })
  parent_event_id?: string;

  @ApiPropertyOptional({
    maxLength: ID,
    description: 'Owner; overridden by a user-bound credential',
  })
  @IsOptional()
  @IsString()
  @MaxLength(ID, { message: `$property must be at most ${ID} characters` })
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
