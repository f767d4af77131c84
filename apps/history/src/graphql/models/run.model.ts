import { Field, Float, Int, ObjectType } from '@nestjs/graphql';
import { DateTimeScalar } from '../scalars';
import { Event } from './event.model';

@ObjectType({ description: 'Sums over an event and everything under it in the tree.' })
export class RunTotals {
  @Field(() => Int) events!: number;
  @Field(() => Int, { description: 'Events with success false.' }) failures!: number;
  @Field(() => Float) inputTokens!: number;
  @Field(() => Float) outputTokens!: number;
  @Field(() => Float) tokens!: number;
  @Field(() => Float, { description: 'USD' }) cost!: number;
}

@ObjectType({ description: 'One event of a run, placed in the tree.' })
export class RunNode {
  @Field(() => Event) event!: Event;
  @Field(() => String, { nullable: true, description: 'eventId of the parent; null: a root.' })
  parentId!: string | null;
  @Field(() => Int, { description: '0 for a root.' }) depth!: number;
  @Field(() => [String], { description: 'eventIds of the children, oldest first.' })
  childIds!: string[];
  @Field(() => Float, {
    nullable: true,
    description:
      'A started agent execution paired with its completion: the completion latency, else the time between them; otherwise the event latency, else the time to its last descendant.',
  })
  durationMs!: number | null;
  @Field(() => RunTotals) totals!: RunTotals;
}

@ObjectType({
  description:
    'The visible events of one trace or session as a tree. Parents come from span ids (metadata.otel), parent_event_id and agent start/complete pairs (docs/graphql.md).',
})
export class Run {
  @Field(() => String) id!: string;
  @Field(() => DateTimeScalar) startedAt!: string;
  @Field(() => DateTimeScalar) endedAt!: string;
  @Field(() => Float) durationMs!: number;
  @Field(() => [String]) agents!: string[];
  @Field(() => Boolean, { description: 'More events than the limit: the oldest are here.' })
  truncated!: boolean;
  @Field(() => RunTotals) totals!: RunTotals;
  @Field(() => [String]) rootIds!: string[];
  @Field(() => [RunNode], {
    description: 'Depth-first (pre-order), children oldest first: flat, so queries stay shallow.',
  })
  nodes!: RunNode[];
}
