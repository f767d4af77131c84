import { useEffect, useRef } from 'react';
import type { StreamedEvent } from '../contracts';
import { eventTime } from '../live/event-facts';
import { formatClock, formatCost, formatDuration, formatInt } from '../format';

/** A modal with one event's fields and its full JSON (text only: never rendered as HTML). */
export function EventDetail({
  event,
  onClose,
  onSelectAgent,
}: {
  event: StreamedEvent;
  onClose: () => void;
  onSelectAgent: (id: string) => void;
}) {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    close.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    addEventListener('keydown', onKey);
    return () => {
      removeEventListener('keydown', onKey);
      previous?.focus?.();
    };
  }, [onClose]);
  const m = event.performance_metrics;
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-labelledby="event-detail-title"
        data-testid="event-detail"
        onClick={(e) => e.stopPropagation()}
      >
        <header className="modal-head">
          <h2 id="event-detail-title">
            {event.event_type} <small>{formatClock(eventTime(event))}</small>
          </h2>
          <button ref={close} type="button" onClick={onClose} aria-label="Close event detail">
            ✕
          </button>
        </header>
        <dl className="facts">
          <dt>Agent</dt>
          <dd>
            <button
              type="button"
              className="link"
              onClick={() => onSelectAgent(event.source_agent.id)}
            >
              {event.source_agent.id}
            </button>
          </dd>
          <dt>Event id</dt>
          <dd>{event.event_id}</dd>
          <dt>Stream id</dt>
          <dd>{event.stream_id}</dd>
          {event.trace_id && (
            <>
              <dt>Trace</dt>
              <dd>{event.trace_id}</dd>
            </>
          )}
          {m?.latency_ms !== undefined && (
            <>
              <dt>Latency</dt>
              <dd>{formatDuration(m.latency_ms)}</dd>
            </>
          )}
          {m?.token_cost !== undefined && (
            <>
              <dt>Cost</dt>
              <dd>{formatCost(m.token_cost)}</dd>
            </>
          )}
          {m?.tokens_used !== undefined && (
            <>
              <dt>Tokens</dt>
              <dd>{formatInt(m.tokens_used)}</dd>
            </>
          )}
        </dl>
        <pre className="json" tabIndex={0} aria-label="Event JSON" data-testid="event-json">
          {JSON.stringify(event, null, 2)}
        </pre>
      </div>
    </div>
  );
}
