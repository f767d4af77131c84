import { Field, Float, ObjectType, registerEnumType } from '@nestjs/graphql';
import { DateTimeScalar } from '../scalars';

export enum CostDimensionEnum {
  AGENT = 'AGENT',
  MODEL = 'MODEL',
  USER = 'USER',
  DAY = 'DAY',
}
registerEnumType(CostDimensionEnum, { name: 'CostDimension' });

@ObjectType({ description: 'One group of a cost breakdown (fields not grouped on are null).' })
export class CostRow {
  @Field(() => String, { nullable: true }) agent!: string | null;
  @Field(() => String, { nullable: true, description: 'null: no model (or not grouped).' })
  model!: string | null;
  @Field(() => String, { nullable: true, description: 'null: no owner (or not grouped).' })
  user!: string | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'The UTC day.' })
  day!: Date | null;
  @Field(() => Float) events!: number;
  @Field(() => Float) inputTokens!: number;
  @Field(() => Float) outputTokens!: number;
  @Field(() => Float) tokens!: number;
  @Field(() => Float, { description: 'USD' }) cost!: number;
}

@ObjectType()
export class CostBreakdown {
  @Field(() => [CostDimensionEnum]) by!: CostDimensionEnum[];
  @Field(() => DateTimeScalar) from!: Date;
  @Field(() => DateTimeScalar) to!: Date;
  @Field(() => [CostRow], { description: 'By day, then by cost (highest first).' })
  rows!: CostRow[];
  @Field(() => CostRow) total!: CostRow;
  @Field(() => Boolean, { description: 'More than 10,000 groups: the first are here.' })
  truncated!: boolean;
}

@ObjectType({ description: 'Agent → agent collaborations (agent_collaboration events).' })
export class CollaborationEdge {
  @Field(() => String, { description: 'source_agent.id' }) source!: string;
  @Field(() => String, { description: 'target_agent.id or one of payload.collaborating_agents' })
  target!: string;
  @Field(() => Float) count!: number;
  @Field(() => Float, {
    description: 'payload.consensus_reached true (else performance_metrics.success true).',
  })
  successes!: number;
  @Field(() => Float) failures!: number;
  @Field(() => Float, { description: 'No outcome reported.' }) unknown!: number;
  @Field(() => Float, { nullable: true }) successRate!: number | null;
  @Field(() => DateTimeScalar, { nullable: true }) lastAt!: Date | null;
}
