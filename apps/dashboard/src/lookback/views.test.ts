/**
 * The views' first render (server-side, no effects): the states that need no answer from the
 * history service, and the data-testids the e2e test relies on. Data from GraphQL, live updates
 * and axe checks are the e2e test's part (a real browser).
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { AlertTransition, StreamedEvent } from './contracts';
import { indexEvents } from '../live/groups';
import type { GraphqlClient } from './graphql';
import { AlertsView } from './AlertsView';
import { CollaborationView } from './CollaborationView';
import { HistoryView } from './HistoryView';
import { TraceView } from './TraceView';

const T0 = Date.now() - 60_000;
const ev = (
  id: string,
  type: string,
  agent: string,
  at: number,
  extra: Record<string, unknown> = {},
) =>
  ({
    event_id: id,
    event_type: type,
    timestamp: new Date(T0 + at).toISOString(),
    received_at: new Date(T0 + at).toISOString(),
    trace_id: 'trace-9',
    source_agent: { id: agent },
    payload: {},
    metadata: {},
    stream_id: `${T0 + at}-0`,
    ...extra,
  }) as unknown as StreamedEvent;

const live: StreamedEvent[] = [
  ev('s', 'agent_execution_started', 'planner', 0),
  ev('l', 'llm_call', 'planner', 10, {
    performance_metrics: {
      latency_ms: 800,
      token_cost: 0.0123,
      tokens_used: 1500,
      model: 'gpt-4o',
    },
  }),
  ev('c', 'agent_collaboration', 'planner', 20, {
    target_agent: { id: 'coder' },
    payload: { collaborating_agents: ['reviewer'], consensus_reached: true },
  }),
];
const pending: GraphqlClient = { request: () => new Promise(() => undefined) };
const noop = () => undefined;
const count = (html: string, testId: string) => html.split(`data-testid="${testId}"`).length - 1;

describe('TraceView', () => {
  it('lists the runs seen live when no id is given', () => {
    const html = renderToStaticMarkup(
      createElement(TraceView, {
        live: indexEvents(live),
        liveVersion: 1,
        graphql: null,
        connected: true,
        onSelectTrace: noop,
      }),
    );
    expect(html).toContain('data-testid="trace-view"');
    expect(count(html, 'trace-run-row')).toBe(1);
    expect(html).toContain('data-trace-id="trace-9"');
    expect(html).toContain('$0.012');
    expect(html).toContain('running');
  });

  it('draws a run from the live events alone without the history, and says so', () => {
    const html = renderToStaticMarkup(
      createElement(TraceView, {
        traceId: 'trace-9',
        live: indexEvents(live),
        liveVersion: 1,
        graphql: null,
        connected: false,
        onSelectTrace: noop,
      }),
    );
    expect(count(html, 'trace-node')).toBe(3);
    expect(html).toContain('aria-level="2"');
    expect(html).toContain('LLM call · gpt-4o');
    expect(html).toContain('800 ms');
    expect(html).toContain('data-testid="trace-no-history"');
    expect(html).toContain('data-testid="lb-disconnected"');
  });

  it('shows an empty run when nothing of it is known', () => {
    const html = renderToStaticMarkup(
      createElement(TraceView, {
        traceId: 'nope',
        live: indexEvents(live),
        liveVersion: 1,
        graphql: null,
        connected: true,
        onSelectTrace: noop,
      }),
    );
    expect(html).toContain('data-testid="trace-empty"');
    expect(count(html, 'trace-node')).toBe(0);
  });
});

describe('CollaborationView', () => {
  it('draws nodes and weighted edges from live collaborations, with a table', () => {
    const html = renderToStaticMarkup(
      createElement(CollaborationView, {
        liveEvents: live,
        liveVersion: 1,
        graphql: null,
        connected: true,
        onSelectAgent: noop,
      }),
    );
    expect(html).toContain('data-testid="collab-view"');
    expect(count(html, 'collab-node')).toBe(3);
    expect(count(html, 'collab-edge')).toBe(2);
    expect(count(html, 'collab-edge-row')).toBe(2);
    expect(html).toContain('lb-outcome-ok');
    expect(html).not.toContain('NaN');
  });

  it('is empty without collaborations', () => {
    const html = renderToStaticMarkup(
      createElement(CollaborationView, {
        liveEvents: [],
        liveVersion: 0,
        graphql: null,
        connected: true,
        onSelectAgent: noop,
      }),
    );
    expect(html).toContain('data-testid="collab-empty"');
  });
});

describe('AlertsView', () => {
  const alert = (
    id: string,
    state: 'firing' | 'resolved',
    extra: Partial<AlertTransition> = {},
  ): AlertTransition => ({
    alert_id: id,
    rule_id: 'slow',
    rule_name: 'LLM calls are slow',
    severity: 'critical',
    owner: 'alice',
    key: 'slow:planner',
    agent_id: 'planner',
    state,
    value: 2153,
    threshold: 2000,
    window: null,
    event_ids: [],
    at: new Date().toISOString(),
    seq: Number(id),
    silenced: false,
    ...extra,
  });

  it('shows live alerts and the not-configured note without the history', () => {
    const html = renderToStaticMarkup(
      createElement(AlertsView, {
        liveAlerts: [alert('1', 'firing')],
        liveVersion: 1,
        graphql: null,
        connected: true,
      }),
    );
    expect(html).toContain('data-testid="alerts-not-configured"');
    expect(html).toContain('the history service (GraphQL) is needed for acknowledgements');
    expect(count(html, 'alert-row')).toBe(1);
    expect(count(html, 'ack-button')).toBe(0);
    expect(html).toContain('2,153 (threshold 2,000)');
  });

  it('offers acknowledge and silence with the history, and drops resolved keys from firing', () => {
    const html = renderToStaticMarkup(
      createElement(AlertsView, {
        liveAlerts: [
          alert('1', 'firing'),
          alert('2', 'resolved'),
          alert('3', 'firing', { key: 'slow:coder', agent_id: 'coder' }),
        ],
        liveVersion: 3,
        graphql: pending,
        connected: true,
      }),
    );
    expect(count(html, 'alert-row')).toBe(1);
    expect(html).toContain('data-key="slow:coder"');
    expect(count(html, 'ack-button')).toBe(1);
    expect(count(html, 'silence-button')).toBe(1);
    expect(count(html, 'alert-transition-row')).toBe(3);
  });
});

describe('HistoryView', () => {
  const base = { agents: [], onRangeChange: noop, onSelectAgent: noop, onSelectTrace: noop };
  it('says how to configure the history when there is none', () => {
    const html = renderToStaticMarkup(
      createElement(HistoryView, { ...base, graphql: null, from: null, to: null }),
    );
    expect(html).toContain('data-testid="history-view"');
    expect(html).toContain('set AUREN_DASHBOARD_HISTORY_URL / run the history service');
  });

  it('refuses a reversed range inline, before querying', () => {
    let asked = 0;
    const graphql: GraphqlClient = {
      request: () => {
        asked++;
        return new Promise(() => undefined);
      },
    };
    const html = renderToStaticMarkup(
      createElement(HistoryView, {
        ...base,
        graphql,
        from: '2026-12-03T10:00:00Z',
        to: '2026-12-02T10:00:00Z',
      }),
    );
    expect(html).toContain('data-testid="history-range-error"');
    expect(html).not.toContain('data-testid="history-agents"');
    expect(asked).toBe(0);
  });

  it('marks the active preset', () => {
    const html = renderToStaticMarkup(
      createElement(HistoryView, {
        ...base,
        graphql: pending,
        from: new Date(Date.now() - 3_600_000).toISOString(),
        to: null,
      }),
    );
    expect(html).toMatch(/aria-pressed="true"[^>]*data-testid="history-preset-1h"/);
    expect(html).toContain('Loading agents');
  });
});
