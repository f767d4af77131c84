import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** OpenAPI shape of the contract's error body (CONTRACT §2), for every HTTP app. */
export class FieldErrorDto {
  @ApiProperty({ example: 'source_agent.id' }) field!: string;
  @ApiProperty({ example: 'source_agent.id is required' }) message!: string;
  @ApiPropertyOptional({ description: 'Index in the batch' }) index?: number;
}

export class ErrorBodyDto {
  @ApiProperty({ example: 400 }) statusCode!: number;
  @ApiProperty({ example: 'Bad Request' }) error!: string;
  @ApiProperty() message!: string;
  @ApiPropertyOptional({ type: [FieldErrorDto] }) details?: FieldErrorDto[];
}
