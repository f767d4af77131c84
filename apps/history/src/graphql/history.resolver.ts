import { Inject } from '@nestjs/common';
import { Args, Context, Int, Query, Resolver } from '@nestjs/graphql';
import { HistoryQueries } from '../queries';
import { CollaborationEdge, CostBreakdown, CostDimensionEnum } from './models/cost.model';
import { EventConnection, EventFilterInput, EventOrderEnum } from './models/event.model';
import { Run } from './models/run.model';
import { AgentStats, AgentSummary, StatsBucketEnum } from './models/stats.model';
import { DateTimeScalar } from './scalars';
import { GraphqlContext, viewerOf } from './viewer';

const RANGE_FROM = {
  type: () => DateTimeScalar,
  nullable: true,
  description: 'Inclusive; default: 24 hours before `to`.',
};
const RANGE_TO = {
  type: () => DateTimeScalar,
  nullable: true,
  description: 'Exclusive; default: now.',
};

/**
 * The history's queries. Each asks the credential of the request first, and passes its viewer to
 * {@link HistoryQueries}, which limits every SQL statement to what that viewer may see.
 */
@Resolver()
export class HistoryResolver {
  constructor(@Inject(HistoryQueries) private readonly queries: HistoryQueries) {}

  @Query(() => EventConnection, {
    nullable: true,
    description:
      'Stored events, newest first unless `order` says otherwise; cursor pagination on (timestamp, eventId).',
  })
  events(
    @Context() context: GraphqlContext,
    @Args('filter', { type: () => EventFilterInput, nullable: true }) filter?: EventFilterInput,
    @Args('first', {
      type: () => Int,
      nullable: true,
      description: 'Page size: 1..500 (AUREN_GRAPHQL_MAX_PAGE_SIZE), default 50.',
    })
    first?: number,
    @Args('after', { type: () => String, nullable: true, description: 'A pageInfo.endCursor.' })
    after?: string,
    @Args('order', {
      type: () => EventOrderEnum,
      nullable: true,
      defaultValue: EventOrderEnum.NEWEST_FIRST,
    })
    order?: EventOrderEnum,
  ) {
    return this.queries.events(viewerOf(context), { filter, first, after, order });
  }

  @Query(() => Run, {
    nullable: true,
    description: 'The events of one trace as a tree; null when you see none of them.',
  })
  trace(@Context() context: GraphqlContext, @Args('id', { type: () => String }) id: string) {
    return this.queries.trace(viewerOf(context), id);
  }

  @Query(() => Run, {
    nullable: true,
    description: 'The events of one session as a tree; null when you see none of them.',
  })
  session(@Context() context: GraphqlContext, @Args('id', { type: () => String }) id: string) {
    return this.queries.session(viewerOf(context), id);
  }

  @Query(() => [AgentSummary], {
    nullable: true,
    description: 'Every agent with events in the range (from the rollups).',
  })
  agents(
    @Context() context: GraphqlContext,
    @Args('from', RANGE_FROM) from?: Date,
    @Args('to', RANGE_TO) to?: Date,
  ) {
    return this.queries.agents(viewerOf(context), { from, to });
  }

  @Query(() => AgentStats, {
    nullable: true,
    description: 'One agent per time bucket and per model (from the rollups).',
  })
  agentStats(
    @Context() context: GraphqlContext,
    @Args('agent', { type: () => String }) agent: string,
    @Args('from', RANGE_FROM) from?: Date,
    @Args('to', RANGE_TO) to?: Date,
    @Args('bucket', {
      type: () => StatsBucketEnum,
      nullable: true,
      defaultValue: StatsBucketEnum.HOUR,
    })
    bucket?: StatsBucketEnum,
  ) {
    return this.queries.agentStats(viewerOf(context), { agent, from, to, bucket });
  }

  @Query(() => [CollaborationEdge], {
    nullable: true,
    description:
      'Agent → agent edges of the agent_collaboration events in the range, busiest first.',
  })
  collaborations(
    @Context() context: GraphqlContext,
    @Args('from', RANGE_FROM) from?: Date,
    @Args('to', RANGE_TO) to?: Date,
  ) {
    return this.queries.collaborations(viewerOf(context), { from, to });
  }

  @Query(() => CostBreakdown, {
    nullable: true,
    description: 'Events, tokens and cost grouped by the chosen dimensions (from the rollups).',
  })
  costBreakdown(
    @Context() context: GraphqlContext,
    @Args('by', { type: () => [CostDimensionEnum], defaultValue: [] }) by: CostDimensionEnum[],
    @Args('from', RANGE_FROM) from?: Date,
    @Args('to', RANGE_TO) to?: Date,
  ) {
    return this.queries.costBreakdown(viewerOf(context), { from, to, by });
  }
}
