import { memo, useCallback, useMemo, useRef } from 'react';
import type uPlot from 'uplot';
import { Chart, PALETTE, axisStyle } from '../components/Chart';
import { Feed, type FeedRows } from '../components/Feed';
import { StateNotice } from '../components/StateNotice';
import type { StreamedEvent } from '../contracts';
import { useNow, useThrottledVersion } from '../app/hooks';
import { eventTime } from '../live/event-facts';
import type { LiveStore } from '../live/store';
import {
  formatClock,
  formatCompact,
  formatCost,
  formatDuration,
  formatInt,
  formatPercent,
  formatRelative,
} from '../format';
import { AgentDetailAggregate, LATENCY_BOUNDS, type AgentDetailData } from '../live/agent-detail';
import { eventError } from '../live/event-facts';

const NO_ROWS: FeedRows = { length: 0, at: () => undefined };

/**
 * One agent: activity, latency histogram, cost by model, failures, tools, collaborators, feed.
 * Memoized: the App re-renders on every store flush, this view follows the store at 1 Hz.
 */
export const AgentDetail = memo(AgentDetailView);

function AgentDetailView({
  store,
  agentId,
  theme,
  query,
  onQuery,
  onOpen,
  onSelectAgent,
  loading,
}: {
  store: LiveStore;
  agentId: string | null;
  theme: string;
  query: string;
  onQuery: (q: string) => void;
  onOpen: (event: StreamedEvent) => void;
  onSelectAgent: (id: string) => void;
  loading: boolean;
}) {
  const version = useThrottledVersion(store, 1000, { transition: true });
  const now = useNow(10_000);
  const agents = useMemo(() => [...store.agents.keys()].sort(), [store, version]);
  const aggregate = agentId ? store.agents.get(agentId) : undefined;
  // The store keeps the agent's figures as events enter and leave its buffer: reading them costs
  // the hour's 60 minutes and the agent's tools, not a pass over the 20,000 buffered events.
  const data = useMemo(
    () =>
      agentId
        ? (store.agentDetails.get(agentId) ?? new AgentDetailAggregate(agentId)).data(Date.now())
        : null,
    [store, version, now, agentId],
  );
  // The feed reads the agent's events in place (only the rows on screen), not a copy of them.
  const rowsOf = useCallback(
    () => (agentId && store.agentDetails.get(agentId)?.events.newestView()) || NO_ROWS,
    [store, agentId],
  );
  const collaborators = useMemo(() => {
    const counts = new Map<string, number>();
    for (const edge of store.edges.values()) {
      if (edge.source === agentId)
        counts.set(edge.target, (counts.get(edge.target) ?? 0) + edge.count);
      if (edge.target === agentId)
        counts.set(edge.source, (counts.get(edge.source) ?? 0) + edge.count);
    }
    return [...counts.entries()].sort((a, b) => b[1] - a[1]);
  }, [store, version, agentId]);

  // New arrays only when the figures change: a new `data` prop makes the chart redraw.
  const chartData = useMemo(
    () => ({
      activity: data
        ? ([data.minutes, ...data.activity.map((a) => a.counts)] as uPlot.AlignedData)
        : [],
      cost: data
        ? ([data.minutes, ...data.costByModel.slice(0, 8).map((m) => m.cost)] as uPlot.AlignedData)
        : [],
    }),
    [data],
  );

  // The panels below re-render only when their figures change (same key: same object).
  const histogram = useSame(data?.histogram ?? NONE, (h) => h.join());
  const failures = useSame(data?.failures ?? NONE, (f) => f.map((e) => e.event_id).join());
  const tools = useSame(data?.tools ?? NONE, (t) =>
    t.map((x) => `${x.tool}:${x.calls}:${x.failed}:${x.p50}`).join(),
  );
  const collaboratorsShown = useSame(collaborators.slice(0, 30), (c) => c.join());

  const picker = (
    <label className="agent-picker">
      Agent{' '}
      <select
        value={agentId ?? ''}
        onChange={(e) => e.target.value && onSelectAgent(e.target.value)}
      >
        <option value="">choose…</option>
        {agents.map((id) => (
          <option key={id} value={id}>
            {id}
          </option>
        ))}
        {agentId && !agents.includes(agentId) && <option value={agentId}>{agentId}</option>}
      </select>
    </label>
  );

  if (!agentId || !data) {
    return (
      <div className="view" data-testid="view-agent">
        <div className="toolbar">
          <h1>Agent detail</h1>
          {picker}
        </div>
        <StateNotice
          kind={loading ? 'loading' : 'empty'}
          title={agents.length ? 'Choose an agent' : 'No agent has sent an event yet'}
        />
      </div>
    );
  }

  const { p50, p95 } = aggregate?.latencyQuantiles() ?? { p50: NaN, p95: NaN };
  const activityData: uPlot.AlignedData = chartData.activity;
  const costData: uPlot.AlignedData = chartData.cost;
  return (
    <div className="view" data-testid="view-agent" data-agent={agentId}>
      <div className="toolbar">
        <h1>
          Agent <span data-testid="agent-name">{agentId}</span>
          {aggregate?.role && <small className="muted"> {aggregate.role}</small>}
        </h1>
        {picker}
      </div>
      {!aggregate ? (
        <StateNotice
          kind={loading ? 'loading' : 'empty'}
          title={`No event of ${agentId} in the live buffer yet`}
        >
          <p>It appears here as soon as it sends one (with the current filters).</p>
        </StateNotice>
      ) : (
        <>
          <dl className="stats" data-testid="agent-stats">
            <div>
              <dt>Status</dt>
              <dd>{aggregate.status(now)}</dd>
            </div>
            <div>
              <dt>Operations</dt>
              <dd data-testid="agent-ops">{formatInt(aggregate.ops)}</dd>
            </div>
            <div>
              <dt>Success</dt>
              <dd>{formatPercent(aggregate.successRate)}</dd>
            </div>
            <div>
              <dt>Latency p50 / p95</dt>
              <dd>
                {formatDuration(p50)} / {formatDuration(p95)}
              </dd>
            </div>
            <div>
              <dt>Tokens</dt>
              <dd>{formatInt(aggregate.tokens)}</dd>
            </div>
            <div>
              <dt>Cost</dt>
              <dd>{formatCost(aggregate.cost)}</dd>
            </div>
            <div>
              <dt>Last event</dt>
              <dd>{formatRelative(aggregate.lastAt, now)}</dd>
            </div>
          </dl>
          <div className="charts">
            <figure className="panel chart-panel">
              <figcaption>Activity per minute (last hour)</figcaption>
              <Chart
                label={`Events of ${agentId} per minute by type`}
                structureKey={`${theme}|${data.activity.map((a) => a.type).join(',')}`}
                data={activityData}
                testId="agent-activity"
                options={() => ({
                  scales: { x: { time: true } },
                  axes: [
                    { ...axisStyle() },
                    { ...axisStyle(), values: (_u, t) => t.map(formatCompact) },
                  ],
                  series: [
                    {},
                    ...data.activity.map((a, i) => ({
                      label: a.type,
                      stroke: PALETTE[i % PALETTE.length],
                      width: 2,
                    })),
                  ],
                })}
              />
            </figure>
            <figure className="panel chart-panel">
              <figcaption>Cost by model ($ per minute)</figcaption>
              {data.costByModel.length === 0 ? (
                <StateNotice kind="empty" title="No cost reported" />
              ) : (
                <Chart
                  label={`Cost of ${agentId} per minute by model`}
                  structureKey={`${theme}|${data.costByModel
                    .slice(0, 8)
                    .map((m) => m.model)
                    .join(',')}`}
                  data={costData}
                  testId="agent-cost"
                  options={() => ({
                    scales: { x: { time: true } },
                    axes: [
                      { ...axisStyle() },
                      { ...axisStyle(), size: 64, values: (_u, t) => t.map(formatCost) },
                    ],
                    series: [
                      {},
                      ...data.costByModel.slice(0, 8).map((m, i) => ({
                        label: m.model,
                        stroke: PALETTE[i % PALETTE.length],
                        width: 2,
                        value: (_u: uPlot, v: number | null) => (v == null ? '–' : formatCost(v)),
                      })),
                    ],
                  })}
                />
              )}
            </figure>
            <figure className="panel chart-panel">
              <figcaption>Latency histogram</figcaption>
              <Histogram histogram={histogram} />
            </figure>
          </div>
          <div className="columns">
            <section className="panel" aria-labelledby="failures-title">
              <h2 id="failures-title">Recent failures</h2>
              <Failures failures={failures} onOpen={onOpen} />
            </section>
            <section className="panel" aria-labelledby="tools-title">
              <h2 id="tools-title">Tools used</h2>
              <Tools tools={tools} />
            </section>
            <section className="panel" aria-labelledby="collab-title">
              <h2 id="collab-title">Collaborated with</h2>
              <Collaborators collaborators={collaboratorsShown} onSelectAgent={onSelectAgent} />
            </section>
          </div>
          <Feed
            store={store}
            query={query}
            onQuery={onQuery}
            onOpen={onOpen}
            rowsOf={rowsOf}
            emptyText={`No event of ${agentId} yet`}
            testId="agent-feed"
          />
        </>
      )}
    </div>
  );
}

const NONE: never[] = [];

/** `value` as first seen while `keyOf(value)` stays the same (memoized children skip renders). */
function useSame<T>(value: T, keyOf: (value: T) => string): T {
  const kept = useRef<{ key: string; value: T } | null>(null);
  const key = keyOf(value);
  if (!kept.current || kept.current.key !== key) kept.current = { key, value };
  return kept.current.value;
}

const Histogram = memo(function Histogram({ histogram }: { histogram: number[] }) {
  const maxBar = Math.max(1, ...histogram);
  return (
    <ul className="histogram" data-testid="latency-histogram">
      {histogram.map((count, i) => (
        <li key={i}>
          <span className="bucket">
            {i === LATENCY_BOUNDS.length
              ? `≥ ${formatDuration(LATENCY_BOUNDS[i - 1])}`
              : `< ${formatDuration(LATENCY_BOUNDS[i])}`}
          </span>
          <span className="bar" style={{ width: `${(count / maxBar) * 100}%` }} />
          <span className="count">{formatInt(count)}</span>
        </li>
      ))}
    </ul>
  );
});

const Failures = memo(function Failures({
  failures,
  onOpen,
}: {
  failures: StreamedEvent[];
  onOpen: (event: StreamedEvent) => void;
}) {
  return failures.length === 0 ? (
    <StateNotice kind="empty" title="No failure in the buffer" />
  ) : (
    <table data-testid="agent-failures">
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Type</th>
          <th scope="col">Error</th>
        </tr>
      </thead>
      <tbody>
        {failures.slice(0, 15).map((event) => (
          <tr key={event.event_id}>
            <td>{formatClock(eventTime(event))}</td>
            <td>{event.event_type}</td>
            <td>
              <button type="button" className="link" onClick={() => onOpen(event)}>
                {eventError(event) ?? 'failed'}
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
});

const Tools = memo(function Tools({ tools }: { tools: AgentDetailData['tools'] }) {
  return tools.length === 0 ? (
    <StateNotice kind="empty" title="No tool_usage event in the buffer" />
  ) : (
    <table data-testid="agent-tools">
      <thead>
        <tr>
          <th scope="col">Tool</th>
          <th scope="col">Calls</th>
          <th scope="col">Failed</th>
          <th scope="col">p50</th>
        </tr>
      </thead>
      <tbody>
        {tools.slice(0, 20).map((t) => (
          <tr key={t.tool}>
            <td>{t.tool}</td>
            <td>{formatInt(t.calls)}</td>
            <td>{formatInt(t.failed)}</td>
            <td>{formatDuration(t.p50)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
});

const Collaborators = memo(function Collaborators({
  collaborators,
  onSelectAgent,
}: {
  collaborators: Array<[string, number]>;
  onSelectAgent: (id: string) => void;
}) {
  return collaborators.length === 0 ? (
    <StateNotice kind="empty" title="No collaboration seen" />
  ) : (
    <ul className="plain" data-testid="agent-collaborators">
      {collaborators.map(([id, count]) => (
        <li key={id}>
          <button type="button" className="link" onClick={() => onSelectAgent(id)}>
            {id}
          </button>{' '}
          <span className="muted">{formatInt(count)}×</span>
        </li>
      ))}
    </ul>
  );
});
