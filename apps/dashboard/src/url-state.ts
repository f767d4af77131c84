import { isSubscription, type Subscription } from './contracts';

/** The views of the dashboard (the `view` query parameter). */
export const VIEWS = ['overview', 'agent', 'traces', 'collaboration', 'alerts', 'history'] as const;
export type View = (typeof VIEWS)[number];

export const RANGES = [5, 15, 60] as const;
export type RangeMinutes = (typeof RANGES)[number];

/**
 * Everything a shareable link holds: the view and its selection, and the filters that decide what
 * the gateway sends (agents, subscriptions, confidence threshold).
 */
export interface UrlState {
  view: View;
  /** Agent detail's agent. */
  agent: string | null;
  trace: string | null;
  session: string | null;
  /** Server-side agent filter; empty: all agents. */
  agents: string[];
  /** Server-side subscriptions for events; empty: `all_events`. Never `alerts` (always on). */
  subs: Subscription[];
  /** Server-side confidence threshold, 0..1; 0: none. */
  threshold: number;
  /** Overview charts' window in minutes. */
  range: RangeMinutes;
  /** Feed search text (client-side). */
  q: string;
  /** History view's time range (ISO strings). */
  from: string | null;
  to: string | null;
}

export const DEFAULT_STATE: UrlState = {
  view: 'overview',
  agent: null,
  trace: null,
  session: null,
  agents: [],
  subs: [],
  threshold: 0,
  range: 15,
  q: '',
  from: null,
  to: null,
};

const MAX_TEXT = 256;
const text = (value: string | null): string | null =>
  value && value.length <= MAX_TEXT ? value : null;

/** Reads a query string (`?view=agent&agent=x`); anything invalid falls back to its default. */
export function parseUrlState(search: string): UrlState {
  const params = new URLSearchParams(search);
  const view = params.get('view');
  const range = Number(params.get('range'));
  const threshold = Number(params.get('threshold'));
  const list = (name: string) =>
    (params.get(name) ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0 && item.length <= 128);
  return {
    view: (VIEWS as readonly string[]).includes(view ?? '') ? (view as View) : 'overview',
    agent: text(params.get('agent')),
    trace: text(params.get('trace')),
    session: text(params.get('session')),
    agents: [...new Set(list('agents'))].slice(0, 100),
    subs: [...new Set(list('subs'))].filter(
      (sub): sub is Subscription => isSubscription(sub) && sub !== 'alerts' && sub !== 'all_events',
    ),
    threshold: Number.isFinite(threshold) && threshold > 0 && threshold <= 1 ? threshold : 0,
    range: (RANGES as readonly number[]).includes(range) ? (range as RangeMinutes) : 15,
    q: (params.get('q') ?? '').slice(0, MAX_TEXT),
    from: text(params.get('from')),
    to: text(params.get('to')),
  };
}

/** The query string of a state, holding only what differs from the defaults (`''` when none). */
export function serializeUrlState(state: UrlState): string {
  const params = new URLSearchParams();
  if (state.view !== DEFAULT_STATE.view) params.set('view', state.view);
  if (state.agent) params.set('agent', state.agent);
  if (state.trace) params.set('trace', state.trace);
  if (state.session) params.set('session', state.session);
  if (state.agents.length) params.set('agents', state.agents.join(','));
  if (state.subs.length) params.set('subs', state.subs.join(','));
  if (state.threshold > 0) params.set('threshold', String(state.threshold));
  if (state.range !== DEFAULT_STATE.range) params.set('range', String(state.range));
  if (state.q) params.set('q', state.q);
  if (state.from) params.set('from', state.from);
  if (state.to) params.set('to', state.to);
  const query = params.toString();
  return query ? `?${query}` : '';
}

/** The subscriptions a connection asks for: the chosen ones (or `all_events`) plus `alerts`. */
export function subscriptionsFor(subs: readonly Subscription[]): Subscription[] {
  return [...(subs.length ? subs : (['all_events'] as Subscription[])), 'alerts'];
}

/** Whether two states ask the gateway for different events (a change to send it). */
export function serverFiltersDiffer(a: UrlState, b: UrlState): boolean {
  return (
    a.threshold !== b.threshold ||
    a.agents.join(',') !== b.agents.join(',') ||
    a.subs.join(',') !== b.subs.join(',')
  );
}
