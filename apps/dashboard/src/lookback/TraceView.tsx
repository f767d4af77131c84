/**
 * View 3: one run (trace or session) as a tree and a waterfall, from the stored run (GraphQL
 * `trace`/`session`) merged with its live events; without an id, the runs seen live to pick from.
 */
import { useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { LiveRunIndex } from '../live/groups';
import type { GraphqlClient } from './graphql';
import {
  buildRunTree,
  fromStored,
  fromStreamed,
  hiddenByCollapse,
  mergeRunEvents,
  nodeKind,
  nodeLabel,
  RecentRunsCache,
  waterfall,
  type RunEvent,
  type RunNode,
  type RunTree,
} from './run-tree';
import {
  SESSION_QUERY,
  TRACE_QUERY,
  type SessionAnswer,
  type StoredRun,
  type TraceAnswer,
} from './queries';
import {
  formatClock,
  formatCost,
  formatDateTime,
  formatDuration,
  formatInt,
  formatRelative,
  formatTokens,
  humanType,
} from './format';
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

export interface TraceViewProps {
  traceId?: string;
  sessionId?: string;
  /** The live buffer's events by trace and session (kept by the store as events come and go). */
  live: LiveRunIndex;
  liveVersion: number;
  graphql: GraphqlClient | null;
  connected: boolean;
  onSelectTrace(id: string): void;
}

export function TraceView(props: TraceViewProps) {
  const id = props.traceId || props.sessionId;
  return (
    <section className="lb-view" data-testid="trace-view" aria-labelledby="lb-trace-title">
      {!props.connected && <Disconnected />}
      {id ? <RunDetail {...props} /> : <RunPicker {...props} />}
    </section>
  );
}

// ---------------------------------------------------------------- the list of runs

function RunPicker(props: TraceViewProps) {
  const version = useThrottled(props.liveVersion, 500);
  const now = useNow(5000);
  const cache = useRef<RecentRunsCache | null>(null);
  cache.current ??= new RecentRunsCache();
  const runsCache = cache.current;
  // Only the traces whose events changed since the last pass are recomputed.
  const runs = useMemo(() => runsCache.update(props.live.traces), [version, props.live, runsCache]);
  const [typed, setTyped] = useState('');
  return (
    <>
      <header className="lb-header">
        <h2 id="lb-trace-title">Runs</h2>
        <form
          className="lb-inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (typed.trim()) props.onSelectTrace(typed.trim());
          }}
        >
          <label htmlFor="lb-trace-id">Open a trace id</label>
          <input
            id="lb-trace-id"
            className="lb-input"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            placeholder="trace-123"
          />
          <button type="submit" className="lb-button" disabled={!typed.trim()}>
            Open
          </button>
        </form>
      </header>
      {runs.length === 0 ? (
        <Empty testId="trace-runs-empty">
          No runs seen live yet: runs appear here as events with a <code>trace_id</code> arrive.
          {props.graphql ? ' Enter a trace id above to open a stored run.' : ''}
        </Empty>
      ) : (
        <div className="lb-table-wrap">
          <table className="lb-table" data-testid="trace-runs">
            <caption className="lb-sr-only">
              Recent runs seen live, most recent activity first
            </caption>
            <thead>
              <tr>
                <th scope="col">Trace</th>
                <th scope="col">Agent</th>
                <th scope="col" className="lb-num">
                  Events
                </th>
                <th scope="col" className="lb-num">
                  Tokens
                </th>
                <th scope="col" className="lb-num">
                  Cost
                </th>
                <th scope="col">Last activity</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((run) => (
                <tr
                  key={run.traceId}
                  tabIndex={0}
                  className="lb-row-link"
                  data-testid="trace-run-row"
                  data-trace-id={run.traceId}
                  aria-label={`Open run ${run.traceId}`}
                  onClick={() => props.onSelectTrace(run.traceId)}
                  onKeyDown={(e) => {
                    if (!moveRowFocus(e)) onActivate(() => props.onSelectTrace(run.traceId))(e);
                  }}
                >
                  <td className="lb-mono">{run.traceId}</td>
                  <td>
                    {run.agent}
                    {run.agents > 1 && <span className="lb-muted"> +{run.agents - 1}</span>}
                  </td>
                  <td className="lb-num">{formatInt(run.events)}</td>
                  <td className="lb-num">{formatTokens(run.tokens)}</td>
                  <td className="lb-num">{formatCost(run.cost)}</td>
                  <td title={formatDateTime(run.lastMs)}>{formatRelative(run.lastMs, now)}</td>
                  <td>
                    <StatusBadge status={run.status} failures={run.failures} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function StatusBadge(props: { status: 'running' | 'failed' | 'ok'; failures?: number }) {
  const text =
    props.status === 'running'
      ? 'running'
      : props.status === 'failed'
        ? `${props.failures ?? ''} failed`.trim()
        : 'done';
  return <span className={`lb-badge lb-badge-${props.status}`}>{text}</span>;
}

// ---------------------------------------------------------------- one run

function RunDetail(props: TraceViewProps) {
  const kind: 'trace' | 'session' = props.traceId ? 'trace' : 'session';
  const id = (props.traceId || props.sessionId)!;
  const graphql = props.graphql;
  const stored = useAsync<StoredRun | null>(graphql ? `${kind}:${id}` : null, async () => {
    if (kind === 'trace') return (await graphql!.request<TraceAnswer>(TRACE_QUERY, { id })).trace;
    return (await graphql!.request<SessionAnswer>(SESSION_QUERY, { id })).session;
  });
  const version = useThrottled(props.liveVersion, 250);
  // The run's own events from the store's per-trace (per-session) index: no pass over the buffer.
  const live = useMemo(() => {
    const group = (kind === 'trace' ? props.live.traces : props.live.sessions).get(id);
    return group ? group.toArray().map(fromStreamed) : [];
  }, [version, props.live, id, kind]);
  const storedEvents = useMemo<RunEvent[]>(
    () => (stored.data ? stored.data.nodes.map((n) => fromStored(n.event)) : []),
    [stored.data],
  );
  const tree = useMemo(
    () => buildRunTree(id, mergeRunEvents(storedEvents, live), stored.data?.truncated ?? false),
    [id, storedEvents, live, stored.data],
  );
  const now = useNow(tree?.inProgress ? 1000 : 60_000);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const [selected, setSelected] = useState<string | null>(null);

  const title = (
    <h2 id="lb-trace-title">
      {kind === 'trace' ? 'Trace' : 'Session'} <span className="lb-mono">{id}</span>
    </h2>
  );
  const notices = (
    <>
      {!graphql && (
        <Notice tone="info" testId="trace-no-history">
          History is not configured: only the live events of this run since the page opened are
          shown.
        </Notice>
      )}
      {stored.status === 'error' && (
        <ErrorNote error={stored.error} onRetry={stored.reload} what="the stored run" />
      )}
      {tree?.truncated && (
        <Notice tone="warn">
          This run has more than 5,000 stored events: the oldest are shown.
        </Notice>
      )}
    </>
  );
  if (!tree) {
    return (
      <>
        <header className="lb-header">{title}</header>
        {notices}
        {stored.status === 'loading' ? (
          <Loading what="the run" />
        ) : stored.status !== 'error' ? (
          <Empty testId="trace-empty">
            No events of this {kind}{' '}
            {graphql ? 'are stored or visible to you' : 'have been seen live'} yet.
            {props.connected ? ' It will appear here as its events arrive.' : ''}
          </Empty>
        ) : null}
      </>
    );
  }
  const selectedNode = selected ? tree.nodes.find((n) => n.event.eventId === selected) : undefined;
  return (
    <>
      <header className="lb-header">
        {title}
        <RunSummary tree={tree} />
      </header>
      {notices}
      {stored.status === 'loading' && <Loading what="stored events of the run" />}
      <RunTable
        tree={tree}
        now={now}
        collapsed={collapsed}
        selected={selected}
        onToggle={(nodeId, open) =>
          setCollapsed((prev) => {
            const next = new Set(prev);
            if (open) next.delete(nodeId);
            else next.add(nodeId);
            return next;
          })
        }
        onSelect={setSelected}
      />
      {selectedNode && <NodeDetails node={selectedNode} onClose={() => setSelected(null)} />}
    </>
  );
}

function RunSummary(props: { tree: RunTree }) {
  const t = props.tree;
  return (
    <dl className="lb-summary" data-testid="trace-summary">
      <div>
        <dt>Status</dt>
        <dd>
          <StatusBadge
            status={t.inProgress ? 'running' : t.totals.failures > 0 ? 'failed' : 'ok'}
            failures={t.totals.failures}
          />
        </dd>
      </div>
      <div>
        <dt>Started</dt>
        <dd>{formatDateTime(t.startMs)}</dd>
      </div>
      <div>
        <dt>Duration</dt>
        <dd>{formatDuration(t.durationMs)}</dd>
      </div>
      <div>
        <dt>Events</dt>
        <dd>{formatInt(t.totals.events)}</dd>
      </div>
      <div>
        <dt>Agents</dt>
        <dd>{t.agents.join(', ')}</dd>
      </div>
      <div>
        <dt>Tokens</dt>
        <dd>{formatTokens(t.totals.tokens)}</dd>
      </div>
      <div>
        <dt>Cost</dt>
        <dd>{formatCost(t.totals.cost)}</dd>
      </div>
    </dl>
  );
}

function RunTable(props: {
  tree: RunTree;
  now: number;
  collapsed: ReadonlySet<string>;
  selected: string | null;
  onToggle(id: string, open: boolean): void;
  onSelect(id: string): void;
}) {
  const { tree } = props;
  const hidden = useMemo(() => hiddenByCollapse(tree, props.collapsed), [tree, props.collapsed]);
  const { spanMs, bars } = waterfall(tree, props.now);
  const barOf = new Map(bars.map((b) => [b.eventId, b]));
  const visible = tree.nodes.filter((n) => !hidden.has(n.event.eventId));
  const ticks = [0, 0.25, 0.5, 0.75, 1];

  const onKey = (node: RunNode) => (e: KeyboardEvent<HTMLTableRowElement>) => {
    if (e.target !== e.currentTarget) return;
    if (moveRowFocus(e)) return;
    const nodeId = node.event.eventId;
    const hasChildren = node.childIds.length > 0;
    if (e.key === 'ArrowRight' && hasChildren && props.collapsed.has(nodeId)) {
      e.preventDefault();
      props.onToggle(nodeId, true);
    } else if (e.key === 'ArrowLeft') {
      e.preventDefault();
      if (hasChildren && !props.collapsed.has(nodeId)) props.onToggle(nodeId, false);
      else if (node.parentId) {
        const parentRow = e.currentTarget.parentElement?.querySelector<HTMLElement>(
          `[data-event-id="${cssEscape(node.parentId)}"]`,
        );
        parentRow?.focus();
      }
    } else onActivate(() => props.onSelect(nodeId))(e);
  };

  return (
    <div className="lb-table-wrap">
      <table
        className="lb-table lb-tree"
        role="treegrid"
        aria-label="Run tree and waterfall"
        data-testid="trace-tree"
      >
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col" className="lb-num">
              Duration
            </th>
            <th scope="col" className="lb-num">
              Tokens
            </th>
            <th scope="col" className="lb-num">
              Cost
            </th>
            <th scope="col" className="lb-waterfall-head">
              <span className="lb-sr-only">Timeline</span>
              <span className="lb-axis" aria-hidden="true">
                {ticks.map((t) => (
                  <span key={t} style={{ left: `${t * 100}%` }}>
                    {formatDuration(t * spanMs)}
                  </span>
                ))}
              </span>
            </th>
          </tr>
        </thead>
        <tbody>
          {visible.map((node) => {
            const e = node.event;
            const bar = barOf.get(e.eventId)!;
            const hasChildren = node.childIds.length > 0;
            const isOpen = hasChildren && !props.collapsed.has(e.eventId);
            const failed = e.success === false;
            return (
              <tr
                key={e.eventId}
                tabIndex={0}
                aria-level={node.depth + 1}
                aria-expanded={hasChildren ? isOpen : undefined}
                aria-selected={props.selected === e.eventId}
                className={`lb-tree-row${props.selected === e.eventId ? ' lb-selected' : ''}`}
                data-testid="trace-node"
                data-event-id={e.eventId}
                data-event-type={e.eventType}
                onClick={() => props.onSelect(e.eventId)}
                onKeyDown={onKey(node)}
              >
                <td className="lb-tree-cell">
                  <span className="lb-indent" style={{ width: `${node.depth * 1.1}rem` }} />
                  {hasChildren ? (
                    <button
                      type="button"
                      className="lb-toggle"
                      tabIndex={-1}
                      aria-label={isOpen ? 'Collapse' : 'Expand'}
                      onClick={(ev) => {
                        ev.stopPropagation();
                        props.onToggle(e.eventId, !isOpen);
                      }}
                    >
                      {isOpen ? '▾' : '▸'}
                    </button>
                  ) : (
                    <span className="lb-toggle-space" />
                  )}
                  <span className={`lb-kind lb-kind-${nodeKind(e.eventType)}`} aria-hidden="true" />
                  <span className="lb-node-label">{nodeLabel(e)}</span>
                  {e.eventType !== 'agent_execution_started' &&
                    e.eventType !== 'agent_execution_completed' && (
                      <span className="lb-muted"> · {e.agentId}</span>
                    )}
                  {failed && <span className="lb-badge lb-badge-failed">failed</span>}
                  {node.open && <span className="lb-badge lb-badge-running">running</span>}
                </td>
                <td className="lb-num">{formatDuration(node.durationMs)}</td>
                <td className="lb-num">
                  {node.totals.tokens ? formatTokens(node.totals.tokens) : '—'}
                </td>
                <td className="lb-num">{node.totals.cost ? formatCost(node.totals.cost) : '—'}</td>
                <td className="lb-waterfall-cell">
                  <span
                    className={`lb-bar lb-bar-${failed ? 'fail' : nodeKind(e.eventType)}${bar.open ? ' lb-bar-open' : ''}${bar.instant ? ' lb-bar-instant' : ''}`}
                    style={{ left: `${bar.leftPct}%`, width: `${bar.widthPct}%` }}
                    title={`${formatClock(e.ms)} +${formatDuration(e.ms - tree.startMs)}, ${formatDuration(node.durationMs)}`}
                  />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function cssEscape(value: string): string {
  return typeof CSS !== 'undefined' && typeof CSS.escape === 'function'
    ? CSS.escape(value)
    : value.replace(/["\\]/g, '\\$&');
}

function NodeDetails(props: { node: RunNode; onClose(): void }) {
  const e = props.node.event;
  const t = props.node.totals;
  return (
    <aside className="lb-details" aria-label="Event details" data-testid="trace-node-details">
      <header className="lb-header">
        <h3>{nodeLabel(e)}</h3>
        <button type="button" className="lb-button" onClick={() => props.onClose()}>
          Close
        </button>
      </header>
      <dl className="lb-summary">
        <div>
          <dt>Type</dt>
          <dd>{humanType(e.eventType)}</dd>
        </div>
        <div>
          <dt>Agent</dt>
          <dd>{e.agentId}</dd>
        </div>
        <div>
          <dt>Time</dt>
          <dd>{formatDateTime(e.ms)}</dd>
        </div>
        {e.model && (
          <div>
            <dt>Model</dt>
            <dd>{e.model}</dd>
          </div>
        )}
        <div>
          <dt>Duration</dt>
          <dd>{formatDuration(props.node.durationMs)}</dd>
        </div>
        <div>
          <dt>Tokens (in / out)</dt>
          <dd>
            {formatTokens(e.inputTokens)} / {formatTokens(e.outputTokens)}
          </dd>
        </div>
        <div>
          <dt>Cost (event / subtree)</dt>
          <dd>
            {formatCost(e.cost)} / {formatCost(t.cost)}
          </dd>
        </div>
        <div>
          <dt>Outcome</dt>
          <dd>
            {e.success === null
              ? '—'
              : e.success
                ? 'success'
                : `failed${e.errorType ? `: ${e.errorType}` : ''}`}
          </dd>
        </div>
        <div>
          <dt>Event id</dt>
          <dd className="lb-mono">{e.eventId}</dd>
        </div>
      </dl>
      {e.raw && (
        <details>
          <summary>Event JSON</summary>
          <pre className="lb-json">{JSON.stringify(e.raw, null, 2)}</pre>
        </details>
      )}
    </aside>
  );
}
