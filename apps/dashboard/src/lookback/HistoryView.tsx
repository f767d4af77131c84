/**
 * View 6: history. A time range (presets or custom), then from the history's GraphQL API: the
 * agents of the range (`agents`), cost per model per day (`costBreakdown`), one agent in buckets
 * (`agentStats`) and the events themselves (`events`, cursor pagination).
 */
import { useEffect, useMemo, useState } from 'react';
import type { GraphqlClient } from './graphql';
import { KNOWN_EVENT_TYPES } from './contracts';
import {
  AGENTS_QUERY,
  AGENT_STATS_QUERY,
  COST_BREAKDOWN_QUERY,
  EVENTS_PAGE_SIZE,
  EVENTS_QUERY,
  type AgentStatsAnswer,
  type AgentsAnswer,
  type CostAnswer,
  type EventRow,
  type EventsAnswer,
} from './queries';
import {
  PRESETS,
  activePreset,
  bucketFor,
  fromLocalInput,
  presetRange,
  toLocalInput,
  validateRange,
  type Bucket,
} from './range';
import { costChart, modelName, paletteIndex } from './history-model';
import {
  formatClock,
  formatCost,
  formatDateTime,
  formatDay,
  formatDuration,
  formatInt,
  formatPercent,
  formatRelative,
  formatTokens,
  humanType,
} from './format';
import {
  Empty,
  ErrorNote,
  Loading,
  Notice,
  moveRowFocus,
  onActivate,
  useAsync,
  type AsyncResult,
} from './ui';
import { describeError } from './graphql';

export interface HistoryViewProps {
  graphql: GraphqlClient | null;
  from: string | null;
  to: string | null;
  onRangeChange(from: string | null, to: string | null): void;
  agents: string[];
  onSelectAgent(id: string): void;
  onSelectTrace(id: string): void;
}

export function HistoryView(props: HistoryViewProps) {
  if (!props.graphql) {
    return (
      <section className="lb-view" data-testid="history-view" aria-labelledby="lb-history-title">
        <header className="lb-header">
          <h2 id="lb-history-title">History</h2>
        </header>
        <Notice tone="info" testId="history-not-configured">
          History is not configured (set AUREN_DASHBOARD_HISTORY_URL / run the history service).
        </Notice>
      </section>
    );
  }
  return <HistoryBody {...props} graphql={props.graphql} />;
}

function HistoryBody(props: HistoryViewProps & { graphql: GraphqlClient }) {
  const [refresh, setRefresh] = useState(0);
  // An open-ended range ends "now": resolved once per range change or refresh.
  const check = useMemo(
    () => validateRange(props.from, props.to, Date.now()),
    [props.from, props.to, refresh],
  );
  const range = check.ok ? { from: check.from, to: check.to } : null;
  const rangeKey = range ? `${range.from}|${range.to}` : null;
  const gql = props.graphql;

  const agents = useAsync(
    rangeKey,
    async () => (await gql.request<AgentsAnswer>(AGENTS_QUERY, range!)).agents ?? [],
  );
  const cost = useAsync(
    rangeKey,
    async () => (await gql.request<CostAnswer>(COST_BREAKDOWN_QUERY, range!)).costBreakdown,
  );

  const agentNames = useMemo(() => {
    const set = new Set<string>(props.agents);
    for (const a of agents.data ?? []) set.add(a.agent);
    return [...set].sort();
  }, [props.agents, agents.data]);
  const [statsAgent, setStatsAgent] = useState<string | null>(null);
  useEffect(() => {
    if (statsAgent === null && agents.data && agents.data.length > 0) {
      const busiest = [...agents.data].sort((a, b) => b.events - a.events)[0];
      setStatsAgent(busiest.agent);
    }
  }, [agents.data, statsAgent]);

  return (
    <section className="lb-view" data-testid="history-view" aria-labelledby="lb-history-title">
      <header className="lb-header">
        <h2 id="lb-history-title">History</h2>
        <button
          type="button"
          className="lb-button"
          onClick={() => setRefresh((r) => r + 1)}
          disabled={!check.ok}
        >
          Refresh
        </button>
      </header>
      <RangePicker
        from={props.from}
        to={props.to}
        onChange={(from, to) => props.onRangeChange(from, to)}
      />
      {!check.ok ? (
        <p className="lb-notice lb-notice-bad" role="alert" data-testid="history-range-error">
          {check.message}
        </p>
      ) : (
        <p className="lb-muted lb-small" data-testid="history-range">
          {formatDateTime(check.from)} – {formatDateTime(check.to)} ({formatDuration(check.spanMs)})
        </p>
      )}
      {range && (
        <>
          <section className="lb-panel" aria-labelledby="lb-agents-title">
            <h3 id="lb-agents-title">Agents</h3>
            <AgentsPanel
              state={agents}
              selected={statsAgent}
              onPick={setStatsAgent}
              onOpen={(id) => props.onSelectAgent(id)}
            />
          </section>
          <section className="lb-panel" aria-labelledby="lb-cost-title">
            <h3 id="lb-cost-title">Cost by model and day</h3>
            <CostPanel state={cost} />
          </section>
          <section className="lb-panel" aria-labelledby="lb-stats-title">
            <h3 id="lb-stats-title">Agent statistics</h3>
            <StatsPanel
              graphql={gql}
              range={range}
              spanMs={check.ok ? check.spanMs : 0}
              agents={agentNames}
              agent={statsAgent}
              onAgent={setStatsAgent}
              refresh={refresh}
            />
          </section>
          <section className="lb-panel" aria-labelledby="lb-events-title">
            <h3 id="lb-events-title">Events</h3>
            <EventsPanel
              graphql={gql}
              range={range}
              agents={agentNames}
              onSelectTrace={(id) => props.onSelectTrace(id)}
              refresh={refresh}
            />
          </section>
        </>
      )}
    </section>
  );
}

// ---------------------------------------------------------------- range

function RangePicker(props: {
  from: string | null;
  to: string | null;
  onChange(from: string | null, to: string | null): void;
}) {
  const preset = activePreset(props.from, props.to);
  const [from, setFrom] = useState(toLocalInput(props.from));
  const [to, setTo] = useState(toLocalInput(props.to));
  useEffect(() => {
    setFrom(toLocalInput(props.from));
    setTo(toLocalInput(props.to));
  }, [props.from, props.to]);
  return (
    <div className="lb-range" data-testid="history-range-picker">
      <div className="lb-presets" role="group" aria-label="Time range presets">
        {PRESETS.map((p) => (
          <button
            key={p.id}
            type="button"
            className="lb-button"
            aria-pressed={preset === p.id}
            data-testid={`history-preset-${p.id}`}
            title={p.label}
            onClick={() => {
              const r = presetRange(p.id);
              props.onChange(r.from, r.to);
            }}
          >
            {p.id}
          </button>
        ))}
      </div>
      <form
        className="lb-inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          props.onChange(fromLocalInput(from), fromLocalInput(to));
        }}
      >
        <label htmlFor="lb-range-from">From</label>
        <input
          id="lb-range-from"
          type="datetime-local"
          className="lb-input"
          value={from}
          onChange={(e) => setFrom(e.target.value)}
          data-testid="history-from"
        />
        <label htmlFor="lb-range-to">To</label>
        <input
          id="lb-range-to"
          type="datetime-local"
          className="lb-input"
          value={to}
          onChange={(e) => setTo(e.target.value)}
          data-testid="history-to"
          aria-describedby="lb-range-to-hint"
        />
        <span id="lb-range-to-hint" className="lb-muted lb-small">
          empty: now
        </span>
        <button type="submit" className="lb-button" data-testid="history-apply">
          Apply
        </button>
      </form>
    </div>
  );
}

// ---------------------------------------------------------------- agents

type AgentsState = AsyncResult<NonNullable<AgentsAnswer['agents']>>;

function AgentsPanel(props: {
  state: AgentsState;
  selected: string | null;
  onPick(id: string): void;
  onOpen(id: string): void;
}) {
  const { state } = props;
  if (state.status === 'error')
    return <ErrorNote error={state.error} onRetry={state.reload} what="the agents" />;
  if (state.status !== 'ok') return <Loading what="agents" />;
  if (state.data.length === 0)
    return <Empty testId="history-agents-empty">No agent has events in this range.</Empty>;
  return (
    <div className="lb-table-wrap">
      <table className="lb-table" data-testid="history-agents">
        <caption className="lb-sr-only">
          Agents in the range; Enter shows an agent's statistics
        </caption>
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col" className="lb-num">
              Operations
            </th>
            <th scope="col" className="lb-num">
              Success rate
            </th>
            <th scope="col" className="lb-num">
              p50
            </th>
            <th scope="col" className="lb-num">
              p95
            </th>
            <th scope="col" className="lb-num">
              p99
            </th>
            <th scope="col" className="lb-num">
              Tokens
            </th>
            <th scope="col" className="lb-num">
              Cost
            </th>
            <th scope="col">Last seen</th>
            <th scope="col">
              <span className="lb-sr-only">Open</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {state.data.map((a) => (
            <tr
              key={a.agent}
              tabIndex={0}
              className={`lb-row-link${props.selected === a.agent ? ' lb-selected' : ''}`}
              aria-selected={props.selected === a.agent}
              data-testid="history-agent-row"
              data-agent={a.agent}
              onClick={() => props.onPick(a.agent)}
              onKeyDown={(e) => {
                if (!moveRowFocus(e)) onActivate(() => props.onPick(a.agent))(e);
              }}
            >
              <td>{a.agent}</td>
              <td className="lb-num">{formatInt(a.events)}</td>
              <td className="lb-num">{formatPercent(a.successRate)}</td>
              <td className="lb-num">{formatDuration(a.latency.p50Ms)}</td>
              <td className="lb-num">{formatDuration(a.latency.p95Ms)}</td>
              <td className="lb-num">{formatDuration(a.latency.p99Ms)}</td>
              <td className="lb-num">{formatTokens(a.tokens)}</td>
              <td className="lb-num">{formatCost(a.cost)}</td>
              <td title={formatDateTime(a.lastSeen)}>{formatRelative(a.lastSeen)}</td>
              <td>
                <button
                  type="button"
                  className="lb-button lb-button-small"
                  aria-label={`Open agent ${a.agent}`}
                  onClick={(e) => {
                    e.stopPropagation();
                    props.onOpen(a.agent);
                  }}
                >
                  Open
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// ---------------------------------------------------------------- cost

type CostState = AsyncResult<CostAnswer['costBreakdown']>;

function CostPanel(props: { state: CostState }) {
  const { state } = props;
  const chart = useMemo(() => costChart(state.data?.rows ?? []), [state.data]);
  if (state.status === 'error')
    return <ErrorNote error={state.error} onRetry={state.reload} what="the cost breakdown" />;
  if (state.status !== 'ok') return <Loading what="cost breakdown" />;
  const data = state.data;
  if (!data || data.rows.length === 0)
    return <Empty testId="history-cost-empty">No cost in this range.</Empty>;
  const names = chart.models.map((m) => m.model);
  const barW = 28;
  const gap = 10;
  const height = 160;
  const width = Math.max(200, chart.days.length * (barW + gap) + gap);
  return (
    <div className="lb-cost" data-testid="history-cost">
      <p>
        Total <strong>{formatCost(data.total.cost)}</strong> for {formatInt(data.total.events)}{' '}
        events and {formatTokens(data.total.tokens)} tokens.
        {data.truncated && ' (More than 10,000 groups: the first are shown.)'}
      </p>
      <div className="lb-chart-scroll">
        <svg
          role="img"
          aria-label={`Cost per day, stacked by model, ${chart.days.length} days; the table below has the figures`}
          width={width}
          height={height + 24}
          viewBox={`0 0 ${width} ${height + 24}`}
          data-testid="history-cost-chart"
        >
          {chart.days.map((d, i) => {
            const x = gap + i * (barW + gap);
            return (
              <g key={d.day}>
                {d.segments.map((s) => {
                  const y1 = height - (s.y1 / (chart.maxDay || 1)) * height;
                  const y0 = height - (s.y0 / (chart.maxDay || 1)) * height;
                  return (
                    <rect
                      key={s.model}
                      x={x}
                      y={y1}
                      width={barW}
                      height={Math.max(0.5, y0 - y1)}
                      className={`lb-series-${paletteIndex(names, s.model)}`}
                    >
                      <title>{`${d.day} · ${s.model}: ${formatCost(s.cost)}`}</title>
                    </rect>
                  );
                })}
                {(chart.days.length <= 14 || i % Math.ceil(chart.days.length / 14) === 0) && (
                  <text
                    x={x + barW / 2}
                    y={height + 16}
                    textAnchor="middle"
                    className="lb-axis-label"
                  >
                    {d.day.slice(5)}
                  </text>
                )}
              </g>
            );
          })}
        </svg>
      </div>
      <table className="lb-table" data-testid="history-cost-table">
        <caption className="lb-sr-only">Cost per model over the range</caption>
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col" className="lb-num">
              Events
            </th>
            <th scope="col" className="lb-num">
              Tokens
            </th>
            <th scope="col" className="lb-num">
              Cost
            </th>
          </tr>
        </thead>
        <tbody>
          {chart.models.map((m) => (
            <tr key={m.model}>
              <td>
                <span
                  className={`lb-swatch lb-series-${paletteIndex(names, m.model)}`}
                  aria-hidden="true"
                />{' '}
                {m.model}
              </td>
              <td className="lb-num">{formatInt(m.events)}</td>
              <td className="lb-num">{formatTokens(m.tokens)}</td>
              <td className="lb-num">{formatCost(m.cost)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// ---------------------------------------------------------------- agentStats

function StatsPanel(props: {
  graphql: GraphqlClient;
  range: { from: string; to: string };
  spanMs: number;
  agents: string[];
  agent: string | null;
  onAgent(id: string): void;
  refresh: number;
}) {
  const bucket: Bucket = bucketFor(props.spanMs);
  const key = props.agent
    ? `${props.agent}|${props.range.from}|${props.range.to}|${bucket}|${props.refresh}`
    : null;
  const stats = useAsync(
    key,
    async () =>
      (
        await props.graphql.request<AgentStatsAnswer>(AGENT_STATS_QUERY, {
          agent: props.agent,
          ...props.range,
          bucket,
        })
      ).agentStats,
  );
  const label = (iso: string) =>
    bucket === 'DAY'
      ? formatDay(iso)
      : bucket === 'HOUR'
        ? `${formatDay(iso)} ${formatClock(iso).slice(0, 5)}`
        : formatClock(iso).slice(0, 5);
  const data = stats.data;
  const maxEvents = Math.max(1, ...(data?.buckets ?? []).map((b) => b.events));
  return (
    <div data-testid="history-stats">
      <div className="lb-inline-form">
        <label htmlFor="lb-stats-agent">Agent</label>
        <select
          id="lb-stats-agent"
          className="lb-input"
          value={props.agent ?? ''}
          onChange={(e) => props.onAgent(e.target.value)}
        >
          {props.agent === null && <option value="">Choose an agent</option>}
          {props.agents.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
        <span className="lb-muted lb-small">per {bucket.toLowerCase()}</span>
      </div>
      {props.agent === null ? (
        <Empty>Pick an agent (a row of the agents table, or the list above).</Empty>
      ) : stats.status === 'error' ? (
        <ErrorNote
          error={stats.error}
          onRetry={stats.reload}
          what={`the statistics of ${props.agent}`}
        />
      ) : stats.status !== 'ok' ? (
        <Loading what="statistics" />
      ) : !data ? (
        <Empty>No statistics for {props.agent}.</Empty>
      ) : (
        <>
          <dl className="lb-summary" data-testid="history-stats-totals">
            <div>
              <dt>Operations</dt>
              <dd>{formatInt(data.totals.events)}</dd>
            </div>
            <div>
              <dt>Success rate</dt>
              <dd>{formatPercent(data.totals.successRate)}</dd>
            </div>
            <div>
              <dt>p50 / p95 / p99</dt>
              <dd>
                {formatDuration(data.totals.latency.p50Ms)} /{' '}
                {formatDuration(data.totals.latency.p95Ms)} /{' '}
                {formatDuration(data.totals.latency.p99Ms)}
              </dd>
            </div>
            <div>
              <dt>Tokens (in / out)</dt>
              <dd>
                {formatTokens(data.totals.inputTokens)} / {formatTokens(data.totals.outputTokens)}
              </dd>
            </div>
            <div>
              <dt>Cost</dt>
              <dd>{formatCost(data.totals.cost)}</dd>
            </div>
          </dl>
          {data.buckets.length === 0 ? (
            <Empty>No events of {data.agent} in this range.</Empty>
          ) : (
            <>
              <div
                className="lb-spark"
                role="img"
                aria-label={`Operations per ${bucket.toLowerCase()}, ${data.buckets.length} buckets with events`}
              >
                {data.buckets.map((b) => (
                  <span
                    key={b.start}
                    className={`lb-spark-bar${b.failures > 0 ? ' lb-spark-fail' : ''}`}
                    style={{ height: `${Math.max(3, (b.events / maxEvents) * 100)}%` }}
                    title={`${label(b.start)}: ${formatInt(b.events)} ops, ${formatInt(b.failures)} failed`}
                  />
                ))}
              </div>
              <details>
                <summary>
                  Per {bucket.toLowerCase()} ({formatInt(data.buckets.length)} buckets with events)
                </summary>
                <div className="lb-table-wrap">
                  <table className="lb-table" data-testid="history-stats-buckets">
                    <thead>
                      <tr>
                        <th scope="col">Start</th>
                        <th scope="col" className="lb-num">
                          Ops
                        </th>
                        <th scope="col" className="lb-num">
                          Success
                        </th>
                        <th scope="col" className="lb-num">
                          p50
                        </th>
                        <th scope="col" className="lb-num">
                          p95
                        </th>
                        <th scope="col" className="lb-num">
                          p99
                        </th>
                        <th scope="col" className="lb-num">
                          Tokens
                        </th>
                        <th scope="col" className="lb-num">
                          Cost
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {[...data.buckets].reverse().map((b) => (
                        <tr key={b.start}>
                          <td>{label(b.start)}</td>
                          <td className="lb-num">{formatInt(b.events)}</td>
                          <td className="lb-num">{formatPercent(b.successRate)}</td>
                          <td className="lb-num">{formatDuration(b.latency.p50Ms)}</td>
                          <td className="lb-num">{formatDuration(b.latency.p95Ms)}</td>
                          <td className="lb-num">{formatDuration(b.latency.p99Ms)}</td>
                          <td className="lb-num">{formatTokens(b.tokens)}</td>
                          <td className="lb-num">{formatCost(b.cost)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </details>
            </>
          )}
          {data.models.length > 0 && (
            <table className="lb-table" data-testid="history-stats-models">
              <caption>Per model</caption>
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col" className="lb-num">
                    Ops
                  </th>
                  <th scope="col" className="lb-num">
                    Success
                  </th>
                  <th scope="col" className="lb-num">
                    p95
                  </th>
                  <th scope="col" className="lb-num">
                    Tokens in
                  </th>
                  <th scope="col" className="lb-num">
                    Tokens out
                  </th>
                  <th scope="col" className="lb-num">
                    Cost
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.models.map((m) => (
                  <tr key={m.model ?? ''}>
                    <td>{modelName(m.model)}</td>
                    <td className="lb-num">{formatInt(m.events)}</td>
                    <td className="lb-num">{formatPercent(m.successRate)}</td>
                    <td className="lb-num">{formatDuration(m.latency.p95Ms)}</td>
                    <td className="lb-num">{formatTokens(m.inputTokens)}</td>
                    <td className="lb-num">{formatTokens(m.outputTokens)}</td>
                    <td className="lb-num">{formatCost(m.cost)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </div>
  );
}

// ---------------------------------------------------------------- events

function EventsPanel(props: {
  graphql: GraphqlClient;
  range: { from: string; to: string };
  agents: string[];
  onSelectTrace(id: string): void;
  refresh: number;
}) {
  const [agent, setAgent] = useState('');
  const [type, setType] = useState('');
  const filter = useMemo(() => {
    const f: Record<string, unknown> = { from: props.range.from, to: props.range.to };
    if (agent) f.agents = [agent];
    if (type) f.types = [type];
    return f;
  }, [props.range.from, props.range.to, agent, type]);
  const key = `${JSON.stringify(filter)}|${props.refresh}`;
  const first = useAsync(
    key,
    async () =>
      (await props.graphql.request<EventsAnswer>(EVENTS_QUERY, { filter, first: EVENTS_PAGE_SIZE }))
        .events,
  );
  const [extra, setExtra] = useState<{
    key: string;
    rows: EventRow[];
    endCursor: string | null;
    hasNext: boolean;
  } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(null);
  const pages = extra && extra.key === key ? extra : null;
  const rows =
    first.status === 'ok'
      ? [...(first.data?.edges ?? []).map((e) => e.node), ...(pages?.rows ?? [])]
      : [];
  const hasNext = pages ? pages.hasNext : (first.data?.pageInfo.hasNextPage ?? false);
  const endCursor = pages ? pages.endCursor : (first.data?.pageInfo.endCursor ?? null);

  const loadMore = async () => {
    if (!endCursor) return;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const page = (
        await props.graphql.request<EventsAnswer>(EVENTS_QUERY, {
          filter,
          first: EVENTS_PAGE_SIZE,
          after: endCursor,
        })
      ).events;
      setExtra({
        key,
        rows: [...(pages?.rows ?? []), ...(page?.edges ?? []).map((e) => e.node)],
        endCursor: page?.pageInfo.endCursor ?? null,
        hasNext: page?.pageInfo.hasNextPage ?? false,
      });
    } catch (error) {
      setMoreError(error);
    } finally {
      setLoadingMore(false);
    }
  };

  return (
    <div data-testid="history-events">
      <div className="lb-inline-form">
        <label htmlFor="lb-events-agent">Agent</label>
        <select
          id="lb-events-agent"
          className="lb-input"
          value={agent}
          onChange={(e) => setAgent(e.target.value)}
        >
          <option value="">all agents</option>
          {props.agents.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
        <label htmlFor="lb-events-type">Type</label>
        <select
          id="lb-events-type"
          className="lb-input"
          value={type}
          onChange={(e) => setType(e.target.value)}
        >
          <option value="">all types</option>
          {KNOWN_EVENT_TYPES.map((t) => (
            <option key={t} value={t}>
              {humanType(t)}
            </option>
          ))}
        </select>
      </div>
      {first.status === 'error' ? (
        <ErrorNote error={first.error} onRetry={first.reload} what="the events" />
      ) : first.status === 'loading' && rows.length === 0 ? (
        <Loading what="events" />
      ) : rows.length === 0 ? (
        <Empty testId="history-events-empty">No events match in this range.</Empty>
      ) : (
        <div className="lb-table-wrap">
          <table className="lb-table" data-testid="history-events-table">
            <caption className="lb-sr-only">Events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Type</th>
                <th scope="col">Agent</th>
                <th scope="col">Model</th>
                <th scope="col" className="lb-num">
                  Latency
                </th>
                <th scope="col" className="lb-num">
                  Tokens
                </th>
                <th scope="col" className="lb-num">
                  Cost
                </th>
                <th scope="col">Outcome</th>
                <th scope="col">Trace</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.eventId} data-testid="history-event-row" data-event-id={e.eventId}>
                  <td title={e.timestamp}>{formatDateTime(e.timestamp)}</td>
                  <td>{humanType(e.eventType)}</td>
                  <td>
                    {e.agentId}
                    {e.targetAgentId && <span className="lb-muted"> → {e.targetAgentId}</span>}
                  </td>
                  <td>{e.model ?? '—'}</td>
                  <td className="lb-num">{formatDuration(e.latencyMs)}</td>
                  <td className="lb-num">{formatTokens(e.tokens)}</td>
                  <td className="lb-num">{formatCost(e.cost)}</td>
                  <td>
                    {e.success === null ? (
                      '—'
                    ) : e.success ? (
                      'ok'
                    ) : (
                      <span className="lb-text-bad">failed</span>
                    )}
                  </td>
                  <td>
                    {e.traceId ? (
                      <button
                        type="button"
                        className="lb-link"
                        data-testid="history-event-trace"
                        aria-label={`Open trace ${e.traceId}`}
                        onClick={() => props.onSelectTrace(e.traceId!)}
                      >
                        {e.traceId}
                      </button>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {hasNext && first.status === 'ok' && (
        <div className="lb-more">
          <button
            type="button"
            className="lb-button"
            data-testid="history-load-more"
            disabled={loadingMore}
            onClick={() => void loadMore()}
          >
            {loadingMore ? 'Loading…' : `Load ${EVENTS_PAGE_SIZE} more`}
          </button>
          <span className="lb-muted lb-small"> {formatInt(rows.length)} shown</span>
        </div>
      )}
      {moreError !== null && (
        <p className="lb-notice lb-notice-bad" role="alert">
          Could not load more events: {describeError(moreError)}
        </p>
      )}
    </div>
  );
}
