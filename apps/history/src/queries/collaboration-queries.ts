import type { SqlSession } from '../store/sql-database';
import type { TimeRange } from './arguments';
import { asDate, numberOrNull } from './event-record';
import { QueryViewer, SqlParams, visibilityConditions } from './scope';

/** Agent → agent: how often `source` worked with `target`, and how it went. */
export interface CollaborationEdge {
  source: string;
  target: string;
  count: number;
  /** payload.consensus_reached true, else performance_metrics.success true. */
  successes: number;
  failures: number;
  /** Neither consensus_reached nor success reported. */
  unknown: number;
  /** successes / (successes + failures); null when none reported an outcome. */
  successRate: number | null;
  lastAt: Date | null;
}

/** Edges returned at most (the busiest first). */
export const MAX_EDGES = 5000;

/**
 * The edges of the visible `agent_collaboration` events in the range: from the source agent to
 * its `target_agent` and to each of `payload.collaborating_agents` (itself excluded; an agent
 * named twice by one event counts once).
 */
export async function collaborationEdges(
  db: SqlSession,
  viewer: QueryViewer,
  range: TimeRange,
): Promise<CollaborationEdge[]> {
  const params = new SqlParams();
  const conditions = visibilityConditions(viewer, params, 'events', 'e');
  conditions.push(`e.event_type = 'agent_collaboration'`);
  conditions.push(`e.ts >= ${params.add(range.from.toISOString())}::timestamptz`);
  conditions.push(`e.ts < ${params.add(range.to.toISOString())}::timestamptz`);
  const { rows } = await db.query(
    `WITH c AS (
       SELECT e.event_id, e.agent_id, e.target_agent_id, e.ts, j.p,
         CASE WHEN jsonb_typeof(j.p -> 'consensus_reached') = 'boolean'
              THEN (j.p ->> 'consensus_reached')::boolean ELSE e.success END AS ok
       FROM auren_events e CROSS JOIN LATERAL (SELECT e.body::jsonb -> 'payload' AS p) j
       WHERE ${conditions.join(' AND ')}
     ), pairs AS (
       SELECT DISTINCT c.event_id, c.agent_id AS source, t.target, c.ok, c.ts
       FROM c CROSS JOIN LATERAL (
         SELECT c.target_agent_id AS target
         UNION ALL
         SELECT x FROM jsonb_array_elements_text(
           CASE WHEN jsonb_typeof(c.p -> 'collaborating_agents') = 'array'
                THEN c.p -> 'collaborating_agents' ELSE '[]'::jsonb END) AS x
       ) t
       WHERE t.target IS NOT NULL AND t.target <> '' AND t.target <> c.agent_id
     )
     SELECT source, target, count(*) AS n, count(*) FILTER (WHERE ok) AS successes,
       count(*) FILTER (WHERE NOT ok) AS failures, count(*) FILTER (WHERE ok IS NULL) AS unknown,
       max(ts) AS last_at
     FROM pairs GROUP BY source, target ORDER BY n DESC, source, target LIMIT ${MAX_EDGES}`,
    params.values,
  );
  return rows.map((row) => {
    const successes = numberOrNull(row.successes) ?? 0;
    const failures = numberOrNull(row.failures) ?? 0;
    return {
      source: String(row.source),
      target: String(row.target),
      count: numberOrNull(row.n) ?? 0,
      successes,
      failures,
      unknown: numberOrNull(row.unknown) ?? 0,
      successRate: successes + failures > 0 ? successes / (successes + failures) : null,
      lastAt: asDate(row.last_at),
    };
  });
}
