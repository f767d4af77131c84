import { Field, Float, ObjectType, registerEnumType } from '@nestjs/graphql';
import { DateTimeScalar } from '../scalars';

export enum StatsBucketEnum {
  MINUTE = 'MINUTE',
  HOUR = 'HOUR',
  DAY = 'DAY',
}
registerEnumType(StatsBucketEnum, {
  name: 'StatsBucket',
  description: 'Bucket size: MINUTE (ranges ≤ 2 days), HOUR (≤ 92 days), DAY (≤ 366 days).',
});

@ObjectType({
  description:
    'Latency of the events that reported latency_ms. Percentiles come from the rollups’ histograms: within ±5 % of the exact value.',
})
export class Latency {
  @Field(() => Float) count!: number;
  @Field(() => Float, { nullable: true }) averageMs!: number | null;
  @Field(() => Float, { nullable: true }) p50Ms!: number | null;
  @Field(() => Float, { nullable: true }) p95Ms!: number | null;
  @Field(() => Float, { nullable: true }) p99Ms!: number | null;
}

@ObjectType({ isAbstract: true })
export abstract class FigureFields {
  @Field(() => Float, { description: 'Operations: events.' }) events!: number;
  @Field(() => Float) successes!: number;
  @Field(() => Float) failures!: number;
  @Field(() => Float, {
    nullable: true,
    description: 'successes / (successes + failures); null when no event reported success.',
  })
  successRate!: number | null;
  @Field(() => Latency) latency!: Latency;
  @Field(() => Float) inputTokens!: number;
  @Field(() => Float) outputTokens!: number;
  @Field(() => Float) tokens!: number;
  @Field(() => Float, { description: 'USD' }) cost!: number;
}

@ObjectType()
export class Figures extends FigureFields {}

@ObjectType()
export class AgentSummary extends FigureFields {
  @Field(() => String) agent!: string;
  @Field(() => DateTimeScalar, {
    nullable: true,
    description:
      'Start of the newest rollup bucket (minute, hour or whole day) with events of this agent in the range.',
  })
  lastSeen!: Date | null;
}

@ObjectType()
export class ModelStats extends FigureFields {
  @Field(() => String, { nullable: true, description: 'null: events without a model.' })
  model!: string | null;
}

@ObjectType()
export class BucketStats extends FigureFields {
  @Field(() => DateTimeScalar) start!: Date;
  @Field(() => [ModelStats]) models!: ModelStats[];
}

@ObjectType()
export class AgentStats {
  @Field(() => String) agent!: string;
  @Field(() => StatsBucketEnum) bucket!: StatsBucketEnum;
  @Field(() => DateTimeScalar) from!: Date;
  @Field(() => DateTimeScalar) to!: Date;
  @Field(() => Figures) totals!: Figures;
  @Field(() => [BucketStats], { description: 'Buckets with events, oldest first.' })
  buckets!: BucketStats[];
  @Field(() => [ModelStats], { description: 'The whole range, per model.' })
  models!: ModelStats[];
}
