import { useMemo, useState } from 'react';
import { Sparkline } from '../components/Sparkline';
import { StateNotice } from '../components/StateNotice';
import {
  formatCompact,
  formatCost,
  formatDuration,
  formatInt,
  formatPercent,
  formatRelative,
} from '../format';
import type { AgentAggregate } from '../live/agents';

type SortKey = 'activity' | 'ops' | 'cost' | 'failures' | 'name';

/** One card per agent: status, figures, sparkline; sorted and searchable; click → agent detail. */
export function AgentCards({
  agents,
  now,
  onSelect,
}: {
  agents: readonly AgentAggregate[];
  now: number;
  onSelect: (id: string) => void;
}) {
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<SortKey>('activity');
  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    const list = agents.filter(
      (a) =>
        !needle ||
        a.id.toLowerCase().includes(needle) ||
        (a.role ?? '').toLowerCase().includes(needle),
    );
    const by: Record<SortKey, (a: AgentAggregate, b: AgentAggregate) => number> = {
      activity: (a, b) => b.lastAt - a.lastAt,
      ops: (a, b) => b.ops - a.ops,
      cost: (a, b) => b.cost - a.cost,
      failures: (a, b) => b.failed - a.failed,
      name: (a, b) => a.id.localeCompare(b.id),
    };
    return list.sort((a, b) => by[sort](a, b) || a.id.localeCompare(b.id));
  }, [agents, search, sort]);

  return (
    <section className="panel" aria-labelledby="agents-title">
      <header className="panel-head">
        <h2 id="agents-title">
          Agents <span className="muted">{formatInt(agents.length)}</span>
        </h2>
        <input
          type="search"
          placeholder="Find an agent"
          aria-label="Find an agent"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <label>
          Sort{' '}
          <select value={sort} onChange={(e) => setSort(e.target.value as SortKey)}>
            <option value="activity">last activity</option>
            <option value="ops">operations</option>
            <option value="cost">cost</option>
            <option value="failures">failures</option>
            <option value="name">name</option>
          </select>
        </label>
      </header>
      {shown.length === 0 ? (
        <StateNotice
          kind="empty"
          title={agents.length ? 'No agent matches' : 'No agent has sent an event yet'}
        />
      ) : (
        <ul className="cards" data-testid="agent-cards">
          {shown.slice(0, 200).map((agent) => {
            const status = agent.status(now);
            const { p50, p95 } = agent.latencyQuantiles();
            return (
              <li key={agent.id}>
                <button
                  type="button"
                  className="card"
                  data-testid="agent-card"
                  data-agent={agent.id}
                  data-ops={agent.ops}
                  onClick={() => onSelect(agent.id)}
                >
                  <span className="card-head">
                    <span className={`dot dot-${status}`} aria-hidden="true" />
                    <strong>{agent.id}</strong>
                    <span className={`status status-${status}`}>{status}</span>
                  </span>
                  {agent.role && <span className="muted role">{agent.role}</span>}
                  <span className="card-figures">
                    <span>
                      <b>{formatInt(agent.ops)}</b> ops
                    </span>
                    <span>
                      <b>{formatPercent(agent.successRate)}</b> ok
                    </span>
                    <span>
                      p50 <b>{formatDuration(p50)}</b>
                    </span>
                    <span>
                      p95 <b>{formatDuration(p95)}</b>
                    </span>
                    <span>
                      <b>{formatCompact(agent.tokens)}</b> tok
                    </span>
                    <span>
                      <b>{formatCost(agent.cost)}</b>
                    </span>
                  </span>
                  <span className="card-foot">
                    <Sparkline values={agent.sparkline(now)} />
                    <span className="muted">
                      {agent.lastType} · {formatRelative(agent.lastAt, now)}
                    </span>
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
