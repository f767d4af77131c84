import { Field, Float, InputType, ObjectType, registerEnumType } from '@nestjs/graphql';
import { DateTimeScalar, JsonScalar } from '../scalars';

export enum EventOrderEnum {
  NEWEST_FIRST = 'NEWEST_FIRST',
  OLDEST_FIRST = 'OLDEST_FIRST',
}
registerEnumType(EventOrderEnum, {
  name: 'EventOrder',
  description: 'Order of an events listing, by (timestamp, eventId).',
});

@ObjectType({ description: 'One stored agent event (CONTRACT §1), with its columns as fields.' })
export class Event {
  @Field(() => String) eventId!: string;
  @Field(() => String) eventType!: string;
  @Field(() => DateTimeScalar, {
    description: 'The event time the history files it under (UTC, microseconds).',
  })
  timestamp!: string;
  @Field(() => DateTimeScalar) receivedAt!: string;
  @Field(() => String) streamId!: string;
  @Field(() => String, { description: 'source_agent.id' }) agentId!: string;
  @Field(() => String, { nullable: true }) targetAgentId!: string | null;
  @Field(() => String, { nullable: true, description: 'The owner; null: no owner.' })
  userId!: string | null;
  @Field(() => String, { nullable: true }) traceId!: string | null;
  @Field(() => String, { nullable: true }) sessionId!: string | null;
  @Field(() => String, { nullable: true }) parentEventId!: string | null;
  @Field(() => String, { nullable: true }) model!: string | null;
  @Field(() => Boolean, { nullable: true }) success!: boolean | null;
  @Field(() => Float, { nullable: true }) latencyMs!: number | null;
  @Field(() => Float, { nullable: true }) confidence!: number | null;
  @Field(() => Float, { nullable: true }) inputTokens!: number | null;
  @Field(() => Float, { nullable: true }) outputTokens!: number | null;
  @Field(() => Float, { nullable: true }) tokens!: number | null;
  @Field(() => Float, { nullable: true, description: 'USD' }) cost!: number | null;
  @Field(() => String, { nullable: true }) errorType!: string | null;
  @Field(() => JsonScalar, { description: 'The whole event as it was streamed.' })
  raw!: Record<string, unknown>;
}

@ObjectType()
export class EventEdge {
  @Field(() => String, { description: 'Opaque; pass it as `after` to continue after this event.' })
  cursor!: string;
  @Field(() => Event) node!: Event;
}

@ObjectType()
export class PageInfo {
  @Field(() => Boolean) hasNextPage!: boolean;
  @Field(() => String, { nullable: true, description: 'The cursor of the last edge.' })
  endCursor!: string | null;
}

@ObjectType()
export class EventConnection {
  @Field(() => [EventEdge]) edges!: EventEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@InputType('EventFilter', {
  description: 'Every field narrows (AND); a list matches any of its values.',
})
export class EventFilterInput {
  @Field(() => [String], { nullable: true, description: 'source_agent.id values' })
  agents?: string[] | null;
  @Field(() => [String], { nullable: true, description: 'event_type values' })
  types?: string[] | null;
  @Field(() => [String], {
    nullable: true,
    description: "user_id values: needs the 'all' permission (or names only yourself)",
  })
  users?: string[] | null;
  @Field(() => String, { nullable: true }) traceId?: string | null;
  @Field(() => String, { nullable: true }) sessionId?: string | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Inclusive.' }) from?: Date | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Exclusive.' }) to?: Date | null;
  @Field(() => Float, { nullable: true, description: 'confidence_score ≥ this (0..1)' })
  minConfidence?: number | null;
  @Field(() => Boolean, { nullable: true }) success?: boolean | null;
  @Field(() => String, {
    nullable: true,
    description: "Case-insensitive substring of the event's JSON (1..200 characters).",
  })
  text?: string | null;
}

export const EVENTS_DEFAULT_FIRST = 50;
