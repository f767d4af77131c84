import { useEffect, useState, type FormEvent } from 'react';
import { SUBSCRIPTION_EVENT_TYPES, SUBSCRIPTIONS, type Subscription } from '../contracts';
import type { UrlState } from '../url-state';

/** Event subscriptions offered as filters (not `all_events`: none chosen means all; not `alerts`). */
const CHOICES = SUBSCRIPTIONS.filter((s) => s !== 'all_events' && s !== 'alerts');

const describe = (sub: Subscription): string =>
  sub === 'agent_performance'
    ? 'events with performance metrics'
    : sub === 'user_specific'
      ? 'only events owned by my user'
      : (SUBSCRIPTION_EVENT_TYPES[sub] ?? []).join(', ');

/**
 * The filters that go to the gateway: agents (agent_filter), subscriptions (event types) and the
 * confidence threshold. Applied on submit; the URL keeps them.
 */
export function FilterBar({
  state,
  knownAgents,
  onApply,
}: {
  state: UrlState;
  knownAgents: string[];
  onApply: (change: Pick<UrlState, 'agents' | 'subs' | 'threshold'>) => void;
}) {
  const [agents, setAgents] = useState(state.agents.join(', '));
  const [subs, setSubs] = useState<Subscription[]>(state.subs);
  const [threshold, setThreshold] = useState(String(state.threshold));
  useEffect(() => {
    setAgents(state.agents.join(', '));
    setSubs(state.subs);
    setThreshold(String(state.threshold));
  }, [state.agents, state.subs, state.threshold]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const value = Number(threshold);
    onApply({
      agents: [
        ...new Set(
          agents
            .split(',')
            .map((a) => a.trim())
            .filter(Boolean),
        ),
      ],
      subs: CHOICES.filter((c) => subs.includes(c)),
      threshold: Number.isFinite(value) && value > 0 && value <= 1 ? value : 0,
    });
  };
  const summary = [
    state.agents.length ? `agents: ${state.agents.join(', ')}` : 'all agents',
    state.subs.length ? state.subs.join(', ') : 'all events',
    state.threshold > 0 ? `confidence ≥ ${state.threshold}` : null,
  ]
    .filter(Boolean)
    .join(' · ');

  return (
    <details className="filters">
      <summary>
        Filters{' '}
        <span className="muted" data-testid="filter-summary">
          {summary}
        </span>
      </summary>
      <form onSubmit={submit} data-testid="filter-form">
        <label>
          Agents (comma-separated; empty: all)
          <input
            name="agents"
            list="known-agents"
            value={agents}
            onChange={(e) => setAgents(e.target.value)}
            autoComplete="off"
          />
          <datalist id="known-agents">
            {knownAgents.map((id) => (
              <option key={id} value={id} />
            ))}
          </datalist>
        </label>
        <fieldset>
          <legend>Event types (none ticked: all events)</legend>
          {CHOICES.map((choice) => (
            <label key={choice} className="check" title={describe(choice)}>
              <input
                type="checkbox"
                name="subs"
                value={choice}
                checked={subs.includes(choice)}
                onChange={(e) =>
                  setSubs(e.target.checked ? [...subs, choice] : subs.filter((s) => s !== choice))
                }
              />
              {choice}
            </label>
          ))}
        </fieldset>
        <label>
          Minimum confidence (0–1; 0: none)
          <input
            name="threshold"
            type="number"
            min={0}
            max={1}
            step={0.05}
            value={threshold}
            onChange={(e) => setThreshold(e.target.value)}
          />
        </label>
        <p className="muted">
          Filters run on the gateway: events they exclude are never sent to this page. The user
          whose events you see is set by your token.
        </p>
        <button type="submit" className="primary">
          Apply filters
        </button>
      </form>
    </details>
  );
}
