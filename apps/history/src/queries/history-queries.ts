import type { SqlDatabase, SqlSession } from '../store/sql-database';
import { aggregateRange, checkId, DEFAULT_LIMITS, QueryLimits } from './arguments';
import { CollaborationEdge, collaborationEdges } from './collaboration-queries';
import type { EventOrder } from './cursor';
import { EventFilter, EventPage, listEvents, runEvents } from './event-queries';
import { QueryTimeoutError } from './query-errors';
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

/** PostgreSQL's "canceling statement due to statement timeout". */
const QUERY_CANCELED = '57014';
/** Memory a query's sorts and hash tables may use before spilling (per node, per query). */
const QUERY_WORK_MEM = '32MB';

/**
 * The history's read side: every query the GraphQL API answers, as plain SQL over a
 * {@link SqlDatabase} (PostgreSQL or PGlite), limited to what `viewer` may see. No NestJS here:
 * benches and scripts call it directly. Invalid arguments throw QueryInputError /
 * QueryForbiddenError naming the argument; a query over `limits.statementTimeoutMs` (PostgreSQL)
 * throws QueryTimeoutError.
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
    return this.withTimeout((db) => listEvents(db, viewer, this.limits, args));
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
    const checked = this.range(range);
    return this.withTimeout((db) => agentSummaries(db, viewer, checked));
  }

  agentStats(
    viewer: QueryViewer,
    args: Range & { agent: string; bucket?: StatsBucket | null },
  ): Promise<AgentStats> {
    const checked = this.range(args);
    return this.withTimeout((db) =>
      agentStats(db, viewer, args.agent, checked, args.bucket ?? 'HOUR'),
    );
  }

  collaborations(viewer: QueryViewer, range: Range): Promise<CollaborationEdge[]> {
    const checked = this.range(range);
    return this.withTimeout((db) => collaborationEdges(db, viewer, checked));
  }

  costBreakdown(
    viewer: QueryViewer,
    args: Range & { by?: CostDimension[] | null },
  ): Promise<CostBreakdown> {
    const checked = this.range(args);
    return this.withTimeout((db) => costBreakdown(db, viewer, checked, args.by ?? []));
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
    const events = await this.withTimeout((db) => runEvents(db, viewer, by, id, limit));
    return buildRunTree(id, events.slice(0, limit), events.length > limit);
  }

  /**
   * Runs `work` on the database; on PostgreSQL with a statement timeout, inside a read-only
   * transaction that sets it and work_mem (`SET LOCAL`: the pooled connection keeps no trace). PGlite
   * runs one statement at a time in this process and has no timeout to set.
   */
  private async withTimeout<T>(work: (db: SqlSession) => Promise<T>): Promise<T> {
    const ms = this.limits.statementTimeoutMs;
    if (!ms || this.db.engine !== 'postgres') return work(this.db);
    try {
      return await this.db.transaction(async (tx) => {
        await tx.query('SET TRANSACTION READ ONLY');
        await tx.query(`SET LOCAL statement_timeout = ${Math.floor(ms)}`);
        // An aggregate's hash table of packed histograms (~5 KB a group: a month of one agent's
        // hours is ~2,000 groups) spilled to disk at the 4 MB default.
        await tx.query(`SET LOCAL work_mem = '${QUERY_WORK_MEM}'`);
        return work(tx);
      });
    } catch (error) {
      if ((error as { code?: unknown }).code === QUERY_CANCELED) throw new QueryTimeoutError(ms);
      throw error;
    }
  }
}
