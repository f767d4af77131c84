import type { SqlDatabase } from '../store/sql-database';
import { aggregateRange, checkId, DEFAULT_LIMITS, QueryLimits } from './arguments';
import { CollaborationEdge, collaborationEdges } from './collaboration-queries';
import type { EventOrder } from './cursor';
import { EventFilter, EventPage, listEvents, runEvents } from './event-queries';
import {
  AgentStats,
  agentStats,
  AgentSummary,
  agentSummaries,
  CostBreakdown,
  costBreakdown,
  CostDimension,
  StatsBucket,
} from './rollup-queries';
import type { QueryViewer } from './scope';
import { buildRunTree, RunTree } from './trace-tree';

type Range = { from?: Date | null; to?: Date | null };

/**
 * The history's read side: every query the GraphQL API answers, as plain SQL over a
 * {@link SqlDatabase} (PostgreSQL or PGlite), limited to what `viewer` may see. No NestJS here:
 * benches and scripts call it directly. Invalid arguments throw QueryInputError /
 * QueryForbiddenError naming the argument.
 */
export class HistoryQueries {
  constructor(
    private readonly db: SqlDatabase,
    readonly limits: QueryLimits = DEFAULT_LIMITS,
  ) {}

  events(
    viewer: QueryViewer,
    args: {
      filter?: EventFilter | null;
      first?: number | null;
      after?: string | null;
      order?: EventOrder | null;
    },
  ): Promise<EventPage> {
    return listEvents(this.db, viewer, this.limits, args);
  }

  /** The run of a trace id as a tree; null when the viewer sees none of its events. */
  trace(viewer: QueryViewer, id: string): Promise<RunTree | null> {
    return this.run(viewer, 'trace_id', checkId(id, 'id'));
  }

  /** The events of a session id as a tree; null when the viewer sees none of them. */
  session(viewer: QueryViewer, id: string): Promise<RunTree | null> {
    return this.run(viewer, 'session_id', checkId(id, 'id'));
  }

  agents(viewer: QueryViewer, range: Range): Promise<AgentSummary[]> {
    return agentSummaries(this.db, viewer, this.range(range));
  }

  agentStats(
    viewer: QueryViewer,
    args: Range & { agent: string; bucket?: StatsBucket | null },
  ): Promise<AgentStats> {
    return agentStats(this.db, viewer, args.agent, this.range(args), args.bucket ?? 'HOUR');
  }

  collaborations(viewer: QueryViewer, range: Range): Promise<CollaborationEdge[]> {
    return collaborationEdges(this.db, viewer, this.range(range));
  }

  costBreakdown(
    viewer: QueryViewer,
    args: Range & { by?: CostDimension[] | null },
  ): Promise<CostBreakdown> {
    return costBreakdown(this.db, viewer, this.range(args), args.by ?? []);
  }

  private range(range: Range) {
    return aggregateRange(range.from, range.to, this.limits.maxRangeDays);
  }

  private async run(
    viewer: QueryViewer,
    by: 'trace_id' | 'session_id',
    id: string,
  ): Promise<RunTree | null> {
    const limit = this.limits.maxTraceEvents;
    const events = await runEvents(this.db, viewer, by, id, limit);
    return buildRunTree(id, events.slice(0, limit), events.length > limit);
  }
}
