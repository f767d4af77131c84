/**
 * View 4: who works with whom. Agents are nodes, `agent_collaboration` edges are weighted by
 * count (stroke width) and coloured by outcome (success rate), seeded from the history's
 * `collaborations` of the last hour and kept live; laid out with d3-force (headless, incremental,
 * stable positions); the same edges as a table for keyboards and screen readers.
 */
import { useMemo, useRef, useState } from 'react';
import type { StreamedEvent } from './contracts';
import type { GraphqlClient } from './graphql';
import {
  COLLABORATIONS_QUERY,
  RECENT_COLLABORATIONS_QUERY,
  type CollaborationsAnswer,
  type RecentCollaborationsAnswer,
} from './queries';
import {
  aggregateEdges,
  nodesOf,
  outcomeClass,
  strokeWidth,
  successRate,
  type Edge,
  type StoredEdge,
} from './collab';
import { ForceLayout } from './force-layout';
import { formatDateTime, formatInt, formatPercent, formatRelative } from './format';
import {
  Disconnected,
  Empty,
  ErrorNote,
  Loading,
  Notice,
  moveRowFocus,
  onActivate,
  useAsync,
  useNow,
  useThrottled,
} from './ui';

export interface CollaborationViewProps {
  liveEvents: readonly StreamedEvent[];
  liveVersion: number;
  graphql: GraphqlClient | null;
  connected: boolean;
  onSelectAgent(id: string): void;
}

const SEED_WINDOW_MS = 3_600_000;
/**
 * The seed's aggregate stops this long before the page asked: the history writer may not have
 * stored the last seconds yet (its lag, `auren_history_writer_lag`, stays far below this). The
 * stretch after it comes as the stored events themselves plus the live ones, counted once by
 * event_id, so an event the writer had not stored yet is counted live and none twice.
 */
const SEED_OVERLAP_MS = 60_000;
/** Stored collaboration events read for that stretch (one page; more are counted as live only). */
const SEED_RECENT_MAX = 500;
/** Most agents drawn (the busiest); the table lists every edge. */
const MAX_NODES = 60;

interface Seed {
  edges: StoredEdge[];
  untilMs: number;
  recent: StreamedEvent[];
  recentTruncated: boolean;
}

export function CollaborationView(props: CollaborationViewProps) {
  const graphql = props.graphql;
  const [seedKey] = useState(() => String(Date.now()));
  const seed = useAsync<Seed>(graphql ? seedKey : null, async () => {
    const until = Date.now() - SEED_OVERLAP_MS;
    const [answer, recent] = await Promise.all([
      graphql!.request<CollaborationsAnswer>(COLLABORATIONS_QUERY, {
        from: new Date(until - SEED_WINDOW_MS + SEED_OVERLAP_MS).toISOString(),
        to: new Date(until).toISOString(),
      }),
      graphql!.request<RecentCollaborationsAnswer>(RECENT_COLLABORATIONS_QUERY, {
        filter: { types: ['agent_collaboration'], from: new Date(until).toISOString() },
        first: SEED_RECENT_MAX,
      }),
    ]);
    return {
      edges: answer.collaborations ?? [],
      untilMs: until,
      recent: (recent.events?.edges ?? []).map((edge) => edge.node.raw as StreamedEvent),
      recentTruncated: recent.events?.pageInfo.hasNextPage ?? false,
    };
  });
  const version = useThrottled(props.liveVersion, 500);
  const edges = useMemo(
    () =>
      aggregateEdges(
        seed.data?.edges ?? [],
        props.liveEvents,
        seed.data ? seed.data.untilMs : null,
        seed.data?.recent,
      ),
    [seed.data, version, props.liveEvents],
  );
  const now = useNow(10_000);

  return (
    <section className="lb-view" data-testid="collab-view" aria-labelledby="lb-collab-title">
      <header className="lb-header">
        <h2 id="lb-collab-title">Collaboration</h2>
        <p className="lb-muted">
          {graphql ? 'The last hour from the history, then live.' : 'Live since this page opened.'}
        </p>
      </header>
      {!props.connected && <Disconnected />}
      {!graphql && (
        <Notice tone="info" testId="collab-no-history">
          History is not configured: the graph starts empty and grows with the live collaborations.
        </Notice>
      )}
      {seed.status === 'error' && (
        <ErrorNote
          error={seed.error}
          onRetry={seed.reload}
          what="the collaborations of the last hour"
        />
      )}
      {seed.data?.recentTruncated && (
        <Notice tone="info" testId="collab-recent-truncated">
          Over {formatInt(SEED_RECENT_MAX)} collaborations in the last minute: past that many, this
          graph counts that minute from what this page receives live.
        </Notice>
      )}
      {seed.status === 'loading' && edges.length === 0 ? (
        <Loading what="collaborations" />
      ) : edges.length === 0 ? (
        <Empty testId="collab-empty">
          No collaborations yet: <code>agent_collaboration</code> events draw the graph.
        </Empty>
      ) : (
        <div className="lb-collab">
          <Graph edges={edges} onSelectAgent={(id) => props.onSelectAgent(id)} />
          <EdgeTable edges={edges} now={now} onSelectAgent={(id) => props.onSelectAgent(id)} />
        </div>
      )}
    </section>
  );
}

function Graph(props: { edges: Edge[]; onSelectAgent: (id: string) => void }) {
  const layoutRef = useRef<ForceLayout | null>(null);
  if (!layoutRef.current) layoutRef.current = new ForceLayout();
  const layout = layoutRef.current;
  const nodes = useMemo(() => nodesOf(props.edges).slice(0, MAX_NODES), [props.edges]);
  const nodeIds = nodes.map((n) => n.id);
  const nodeKey = nodeIds.join('\u0000');
  const shown = new Set(nodeIds);
  const drawn = props.edges.filter((e) => shown.has(e.source) && shown.has(e.target));
  // Only a new agent moves anything; positions are kept between renders.
  const version = useMemo(() => {
    layout.update(nodeIds, drawn);
    return nodeKey;
  }, [nodeKey]);
  const box = useMemo(() => layout.bounds(nodeIds), [version, layout]);
  const maxCount = Math.max(1, ...drawn.map((e) => e.count));
  const maxNode = Math.max(1, ...nodes.map((n) => n.count));
  const radius = (count: number) => 10 + 10 * Math.sqrt(count / maxNode);
  const pairs = new Set(drawn.map((e) => `${e.source}\u0000${e.target}`));

  return (
    <figure className="lb-graph" aria-labelledby="lb-graph-caption">
      <svg
        role="group"
        aria-label="Collaboration graph: agents and who they collaborated with"
        viewBox={`${box.x} ${box.y} ${box.width} ${box.height}`}
        preserveAspectRatio="xMidYMid meet"
        data-testid="collab-graph"
      >
        <defs>
          {(['ok', 'warn', 'bad', 'unknown'] as const).map((o) => (
            <marker
              key={o}
              id={`lb-arrow-${o}`}
              viewBox="0 0 10 10"
              refX="10"
              refY="5"
              markerWidth="5"
              markerHeight="5"
              orient="auto-start-reverse"
            >
              <path d="M0,0 L10,5 L0,10 z" className={`lb-arrow lb-outcome-${o}`} />
            </marker>
          ))}
        </defs>
        <g aria-hidden="true">
          {drawn.map((e) => {
            const a = layout.get(e.source);
            const b = layout.get(e.target);
            if (!a || !b) return null;
            const outcome = outcomeClass(successRate(e));
            // Two-way pairs curve apart; one-way edges are straight.
            const curved = pairs.has(`${e.target}\u0000${e.source}`);
            const dx = b.x - a.x;
            const dy = b.y - a.y;
            const len = Math.max(1, Math.hypot(dx, dy));
            const rb = radius(nodes.find((n) => n.id === e.target)?.count ?? 1) + 3;
            const ex = b.x - (dx / len) * rb;
            const ey = b.y - (dy / len) * rb;
            const mx = (a.x + ex) / 2 + (curved ? (-dy / len) * 18 : 0);
            const my = (a.y + ey) / 2 + (curved ? (dx / len) * 18 : 0);
            return (
              <path
                key={`${e.source}\u0000${e.target}`}
                d={`M${a.x},${a.y} Q${mx},${my} ${ex},${ey}`}
                className={`lb-edge lb-outcome-${outcome}`}
                strokeWidth={strokeWidth(e.count, maxCount)}
                markerEnd={`url(#lb-arrow-${outcome})`}
                data-testid="collab-edge"
                data-source={e.source}
                data-target={e.target}
                data-count={e.count}
              >
                <title>
                  {`${e.source} → ${e.target}: ${formatInt(e.count)} collaborations, success ${formatPercent(successRate(e))}`}
                </title>
              </path>
            );
          })}
        </g>
        {nodes.map((n) => {
          const p = layout.get(n.id);
          if (!p) return null;
          const r = radius(n.count);
          return (
            <g
              key={n.id}
              transform={`translate(${p.x},${p.y})`}
              className="lb-node"
              role="button"
              tabIndex={0}
              aria-label={`Agent ${n.id}: ${formatInt(n.count)} collaborations. Open agent.`}
              data-testid="collab-node"
              data-agent={n.id}
              onClick={() => props.onSelectAgent(n.id)}
              onKeyDown={onActivate(() => props.onSelectAgent(n.id))}
            >
              <circle r={r} />
              <text y={r + 14} textAnchor="middle">
                {n.id}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption id="lb-graph-caption" className="lb-legend">
        <span>Line width: number of collaborations. Colour: success rate</span>
        <span className="lb-legend-item">
          <span className="lb-swatch lb-outcome-ok" aria-hidden="true" /> ≥ 90 %
        </span>
        <span className="lb-legend-item">
          <span className="lb-swatch lb-outcome-warn" aria-hidden="true" /> 60–90 %
        </span>
        <span className="lb-legend-item">
          <span className="lb-swatch lb-outcome-bad" aria-hidden="true" /> &lt; 60 %
        </span>
        <span className="lb-legend-item">
          <span className="lb-swatch lb-outcome-unknown" aria-hidden="true" /> no outcome reported
        </span>
      </figcaption>
    </figure>
  );
}

function EdgeTable(props: { edges: Edge[]; now: number; onSelectAgent(id: string): void }) {
  return (
    <div className="lb-table-wrap">
      <table className="lb-table" data-testid="collab-edges">
        <caption>Collaborations (busiest first)</caption>
        <thead>
          <tr>
            <th scope="col">From</th>
            <th scope="col">To</th>
            <th scope="col" className="lb-num">
              Count
            </th>
            <th scope="col" className="lb-num">
              Succeeded
            </th>
            <th scope="col" className="lb-num">
              Failed
            </th>
            <th scope="col" className="lb-num">
              Success rate
            </th>
            <th scope="col">Last</th>
          </tr>
        </thead>
        <tbody>
          {props.edges.map((e) => {
            const rate = successRate(e);
            return (
              <tr
                key={`${e.source}\u0000${e.target}`}
                tabIndex={0}
                className="lb-row-link"
                data-testid="collab-edge-row"
                data-source={e.source}
                data-target={e.target}
                onClick={() => props.onSelectAgent(e.source)}
                onKeyDown={(ev) => {
                  if (!moveRowFocus(ev)) onActivate(() => props.onSelectAgent(e.source))(ev);
                }}
              >
                <td>{e.source}</td>
                <td>{e.target}</td>
                <td className="lb-num">{formatInt(e.count)}</td>
                <td className="lb-num">{formatInt(e.successes)}</td>
                <td className="lb-num">{formatInt(e.failures)}</td>
                <td className="lb-num">
                  <span className={`lb-rate lb-text-${outcomeClass(rate)}`}>
                    {formatPercent(rate)}
                  </span>
                </td>
                <td title={e.lastMs !== null ? formatDateTime(e.lastMs) : undefined}>
                  {formatRelative(e.lastMs, props.now)}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
