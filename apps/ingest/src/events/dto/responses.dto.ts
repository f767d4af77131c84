import { ApiProperty } from '@nestjs/swagger';

/** OpenAPI shapes of ingest's answers (CONTRACT §2). */
export class EventAcceptedDto {
  @ApiProperty({ example: 1, description: '0 when the event was a duplicate' }) accepted!: number;
  @ApiProperty() event_id!: string;
  @ApiProperty({ example: '1732441800000-0' }) stream_id!: string;
  @ApiProperty() duplicate!: boolean;
}

export class AppendOutcomeDto {
  @ApiProperty() event_id!: string;
  @ApiProperty() stream_id!: string;
  @ApiProperty() duplicate!: boolean;
}

export class BatchAcceptedDto {
  @ApiProperty() accepted!: number;
  @ApiProperty({ type: [AppendOutcomeDto] }) results!: AppendOutcomeDto[];
}
