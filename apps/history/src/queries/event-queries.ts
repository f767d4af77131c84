import type { SqlSession } from '../store/sql-database';
import { checkDate, checkId, checkList, checkOrder, QueryLimits } from './arguments';
import { decodeCursor, encodeCursor, EventOrder } from './cursor';
import { EVENT_SELECT, EventRecord, EventSqlRow, toEventRecord } from './event-record';
import { QueryForbiddenError, QueryInputError } from './query-errors';
import { QueryViewer, SqlParams, visibilityConditions } from './scope';

/** The `events` filter; every field narrows (AND), list fields match any of their values. */
export interface EventFilter {
  agents?: string[] | null;
  types?: string[] | null;
  /** Only with the `all` permission (or naming only the viewer). */
  users?: string[] | null;
  traceId?: string | null;
  sessionId?: string | null;
  /** Inclusive. */
  from?: Date | null;
  /** Exclusive. */
  to?: Date | null;
  minConfidence?: number | null;
  success?: boolean | null;
  /** Case-insensitive substring of the event's JSON. */
  text?: string | null;
}

export interface EventPage {
  edges: Array<{ cursor: string; node: EventRecord }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const MAX_TEXT = 200;

/** `%`, `_` and `\` matched literally in ILIKE. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function eventFilterConditions(
  viewer: QueryViewer,
  filter: EventFilter,
  params: SqlParams,
  limits: QueryLimits,
): string[] {
  const conditions = visibilityConditions(viewer, params, 'events');
  const agents = checkList(filter.agents, 'filter.agents', limits.maxFilterValues);
  const types = checkList(filter.types, 'filter.types', limits.maxFilterValues);
  const users = checkList(filter.users, 'filter.users', limits.maxFilterValues);
  const from = checkDate(filter.from, 'filter.from');
  const to = checkDate(filter.to, 'filter.to');
  checkOrder(from, to, 'filter.');
  if (users && !viewer.seesAllUsers && users.some((user) => user !== viewer.userId)) {
    throw new QueryForbiddenError(
      'filter.users',
      "filtering by other users needs the 'all' permission",
    );
  }
  if (agents) conditions.push(`agent_id = ANY(${params.add(agents)}::text[])`);
  if (types) conditions.push(`event_type = ANY(${params.add(types)}::text[])`);
  if (users) conditions.push(`user_id = ANY(${params.add(users)}::text[])`);
  if (filter.traceId != null)
    conditions.push(`trace_id = ${params.add(checkId(filter.traceId, 'filter.traceId'))}`);
  if (filter.sessionId != null)
    conditions.push(`session_id = ${params.add(checkId(filter.sessionId, 'filter.sessionId'))}`);
  if (from) conditions.push(`ts >= ${params.add(from.toISOString())}::timestamptz`);
  if (to) conditions.push(`ts < ${params.add(to.toISOString())}::timestamptz`);
  if (filter.minConfidence != null) {
    if (
      !Number.isFinite(filter.minConfidence) ||
      filter.minConfidence < 0 ||
      filter.minConfidence > 1
    )
      throw new QueryInputError('filter.minConfidence', 'must be between 0 and 1');
    conditions.push(`confidence >= ${params.add(filter.minConfidence)}`);
  }
  if (filter.success != null) conditions.push(`success = ${params.add(filter.success)}`);
  if (filter.text != null) {
    if (filter.text.length === 0 || filter.text.length > MAX_TEXT)
      throw new QueryInputError('filter.text', `must be 1..${MAX_TEXT} characters`);
    conditions.push(`body::text ILIKE ${params.add(likePattern(filter.text))}`);
  }
  return conditions;
}

/**
 * A page of events, newest first by default (`order`), keyset-paginated on (ts, event_id): a
 * cursor stays valid while events arrive, and no event is listed twice or skipped.
 */
export async function listEvents(
  db: SqlSession,
  viewer: QueryViewer,
  limits: QueryLimits,
  args: {
    filter?: EventFilter | null;
    first?: number | null;
    after?: string | null;
    order?: EventOrder | null;
  },
): Promise<EventPage> {
  const order = args.order ?? 'NEWEST_FIRST';
  const first = args.first ?? 50;
  if (!Number.isInteger(first) || first < 1 || first > limits.maxPageSize) {
    throw new QueryInputError('first', `must be an integer from 1 to ${limits.maxPageSize}`);
  }
  const params = new SqlParams();
  const conditions = eventFilterConditions(viewer, args.filter ?? {}, params, limits);
  const direction = order === 'NEWEST_FIRST' ? 'DESC' : 'ASC';
  if (args.after != null) {
    const cursor = decodeCursor(args.after, order);
    const ts = params.add(cursor.ts);
    const id = params.add(cursor.eventId);
    const op = order === 'NEWEST_FIRST' ? '<' : '>';
    // The plain `ts` bound lets PostgreSQL skip partitions and use the ts indexes.
    conditions.push(
      `ts ${op}= ${ts}::timestamptz AND (ts, event_id) ${op} (${ts}::timestamptz, ${id})`,
    );
  }
  const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
  const { rows } = await db.query<EventSqlRow>(
    `SELECT ${EVENT_SELECT} FROM auren_events ${where}
     ORDER BY ts ${direction}, event_id ${direction} LIMIT ${params.add(first + 1)}`,
    params.values,
  );
  const page = rows.slice(0, first).map(toEventRecord);
  const edges = page.map((node) => ({
    cursor: encodeCursor({ ts: node.timestamp, eventId: node.eventId, order }),
    node,
  }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
  };
}

/** The visible events of one trace or session, oldest first, at most `limit` (+1 to detect more). */
export async function runEvents(
  db: SqlSession,
  viewer: QueryViewer,
  by: 'trace_id' | 'session_id',
  id: string,
  limit: number,
): Promise<EventRecord[]> {
  const params = new SqlParams();
  const conditions = visibilityConditions(viewer, params, 'events');
  conditions.push(`${by} = ${params.add(id)}`);
  const { rows } = await db.query<EventSqlRow>(
    `SELECT ${EVENT_SELECT} FROM auren_events WHERE ${conditions.join(' AND ')}
     ORDER BY ts, event_id LIMIT ${params.add(limit + 1)}`,
    params.values,
  );
  return rows.map(toEventRecord);
}
