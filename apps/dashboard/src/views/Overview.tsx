import { useMemo } from 'react';
import type { StreamedEvent } from '../contracts';
import { Feed } from '../components/Feed';
import { StateNotice } from '../components/StateNotice';
import { useNow, useThrottledVersion } from '../app/hooks';
import type { LiveStore } from '../live/store';
import { RANGES, type RangeMinutes } from '../url-state';
import { AgentCards } from './AgentCards';
import { CostChart, EventsChart, QualityChart } from './charts';

/** Live overview: charts of the window, agent cards, the live feed. */
export function Overview({
  store,
  theme,
  range,
  onRange,
  query,
  onQuery,
  onOpen,
  onSelectAgent,
  loading,
}: {
  store: LiveStore;
  theme: string;
  range: RangeMinutes;
  onRange: (range: RangeMinutes) => void;
  query: string;
  onQuery: (q: string) => void;
  onOpen: (event: StreamedEvent) => void;
  onSelectAgent: (id: string) => void;
  loading: boolean;
}) {
  const version = useThrottledVersion(store, 1000);
  const now = useNow(5000);
  const series = useMemo(
    () => store.series.window(range, Date.now()),
    // version and now: new data, time moved
    [store, version, now, range],
  );
  const agents = useMemo(() => [...store.agents.values()], [store, version]);
  const empty = store.events.length === 0;
  return (
    <div className="view" data-testid="view-overview">
      <div className="toolbar">
        <h1>Live overview</h1>
        <div role="group" aria-label="Chart window" className="segmented">
          {RANGES.map((minutes) => (
            <button
              key={minutes}
              type="button"
              aria-pressed={range === minutes}
              onClick={() => onRange(minutes)}
            >
              {minutes} min
            </button>
          ))}
        </div>
      </div>
      {empty && (
        <StateNotice
          kind={loading ? 'loading' : 'empty'}
          title={loading ? 'Loading recent events…' : 'No events yet'}
        >
          {!loading && (
            <p>
              Events appear here as agents send them. Try{' '}
              <code>
                curl -X POST localhost:3000/v1/events -H 'content-type: application/json' -d{' '}
                {`'{"event_type":"llm_call","source_agent":{"id":"demo"}}'`}
              </code>
            </p>
          )}
        </StateNotice>
      )}
      <div className="charts">
        <EventsChart series={series} theme={theme} />
        <CostChart series={series} theme={theme} />
        <QualityChart series={series} theme={theme} />
      </div>
      <AgentCards agents={agents} now={now} onSelect={onSelectAgent} />
      <Feed
        store={store}
        query={query}
        onQuery={onQuery}
        onOpen={onOpen}
        emptyText="Waiting for events…"
      />
    </div>
  );
}
