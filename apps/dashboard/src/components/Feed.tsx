import { useVirtualizer } from '@tanstack/react-virtual';
import { useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { StreamedEvent } from '../contracts';
import { eventFailed, eventTime, searchText } from '../live/event-facts';
import type { LiveStore } from '../live/store';
import { formatClock, formatCost, formatDuration, formatInt } from '../format';
import { useThrottledVersion } from '../app/hooks';
import { StateNotice } from './StateNotice';

const ROW_HEIGHT = 34;

/**
 * Rows the feed shows, newest first, read by index: an array, or a live view of a slice the
 * store keeps (the agent's events) that the feed reads without copying it.
 */
export interface FeedRows {
  readonly length: number;
  at(index: number): StreamedEvent | undefined;
}

const arrayRows = (rows: StreamedEvent[]): FeedRows => ({
  length: rows.length,
  at: (index) => rows[index],
});

/** A copy of `rows` (what pause freezes). */
const snapshot = (rows: FeedRows): FeedRows => {
  const copy: StreamedEvent[] = [];
  for (let i = 0; i < rows.length; i++) copy.push(rows.at(i) as StreamedEvent);
  return arrayRows(copy);
};

/**
 * The live feed, newest first, virtualized. Pause freezes what is shown while the store keeps
 * every event; resume shows them all (up to the buffer's capacity, whose overflow is counted).
 */
export function Feed({
  store,
  query,
  onQuery,
  onOpen,
  filter,
  rowsOf,
  emptyText,
  testId = 'feed',
}: {
  store: LiveStore;
  query: string;
  onQuery: (q: string) => void;
  onOpen: (event: StreamedEvent) => void;
  /** Narrows the feed (agent detail); absent: every buffered event. */
  filter?: (event: StreamedEvent) => boolean;
  /**
   * The events to show, newest first, when a slice the store keeps holds them (the agent's):
   * read in place (only the rows on screen are touched) instead of a pass over the whole buffer
   * or a copy of the slice. Called once per refresh; the answer's `length` is read then.
   */
  rowsOf?: () => FeedRows;
  emptyText: string;
  testId?: string;
}) {
  const version = useThrottledVersion(store, 200, { transition: true });
  const [paused, setPaused] = useState<{
    version: number;
    rows: FeedRows;
    evicted: number;
  } | null>(null);
  const needle = query.trim().toLowerCase();
  const live = useMemo((): FeedRows => {
    const keep = (event: StreamedEvent) =>
      (!filter || filter(event)) && (!needle || searchText(event).includes(needle));
    if (!rowsOf) return arrayRows(store.newest(keep));
    const source = rowsOf();
    if (!filter && !needle) return source;
    const kept: StreamedEvent[] = [];
    for (let i = 0; i < source.length; i++) {
      const event = source.at(i) as StreamedEvent;
      if (keep(event)) kept.push(event);
    }
    return arrayRows(kept);
  }, [store, version, needle, filter, rowsOf]);
  const rows = paused ? paused.rows : live;
  const waiting = paused ? Math.max(0, live.length - paused.rows.length) : 0;
  const lostWhilePaused = paused ? store.counters.evicted - paused.evicted : 0;

  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const target = e.target as HTMLElement;
    const index = Number(target.dataset.index);
    if (!Number.isInteger(index)) return;
    const next = e.key === 'ArrowDown' ? index + 1 : e.key === 'ArrowUp' ? index - 1 : -1;
    if (next < 0 || next >= rows.length) return;
    e.preventDefault();
    virtualizer.scrollToIndex(next);
    requestAnimationFrame(() =>
      scroller.current?.querySelector<HTMLElement>(`[data-index="${next}"]`)?.focus(),
    );
  };

  return (
    <section className="panel feed" aria-labelledby={`${testId}-title`} data-testid={testId}>
      <header className="panel-head">
        <h2 id={`${testId}-title`}>Live feed</h2>
        <input
          type="search"
          placeholder="Search type, agent, id, model, tool, error…"
          aria-label="Search the feed"
          value={query}
          onChange={(e) => onQuery(e.target.value)}
        />
        <button
          type="button"
          data-testid={`${testId}-pause`}
          aria-pressed={paused !== null}
          onClick={() =>
            setPaused(
              paused ? null : { version, rows: snapshot(live), evicted: store.counters.evicted },
            )
          }
        >
          {paused ? `Resume (${formatInt(waiting)} new)` : 'Pause'}
        </button>
        <span className="muted" data-testid={`${testId}-count`} data-count={rows.length}>
          {formatInt(rows.length)} shown
        </span>
      </header>
      {paused && (
        <p className="note" role="status" data-testid={`${testId}-paused`} data-waiting={waiting}>
          Paused: {formatInt(waiting)} new events held
          {lostWhilePaused > 0 &&
            `, ${formatInt(lostWhilePaused)} older ones left the ${formatInt(store.events.capacity)}-event buffer`}
          .
        </p>
      )}
      {rows.length === 0 ? (
        <StateNotice kind="empty" title={needle ? 'No event matches the search' : emptyText} />
      ) : (
        <div
          className="feed-scroll"
          ref={scroller}
          onKeyDown={onKeyDown}
          role="list"
          aria-label="Events, newest first"
        >
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {virtualizer.getVirtualItems().map((item) => {
              const event = rows.at(item.index);
              if (!event) return null;
              const m = event.performance_metrics;
              return (
                <div
                  key={event.event_id}
                  role="listitem"
                  className="feed-row-wrap"
                  style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
                >
                  <button
                    type="button"
                    className={`feed-row${eventFailed(event) ? ' failed' : ''}`}
                    data-index={item.index}
                    data-event-id={event.event_id}
                    data-agent={event.source_agent.id}
                    data-event-type={event.event_type}
                    onClick={() => onOpen(event)}
                  >
                    <span className="time">{formatClock(eventTime(event))}</span>
                    <span className="type">{event.event_type}</span>
                    <span className="agent">{event.source_agent.id}</span>
                    <span className="metric">
                      {m?.latency_ms !== undefined ? formatDuration(m.latency_ms) : ''}
                    </span>
                    <span className="metric">
                      {m?.token_cost !== undefined ? formatCost(m.token_cost) : ''}
                    </span>
                  </button>
                </div>
              );
            })}
          </div>
        </div>
      )}
    </section>
  );
}
