import { AGENT_EVENT_TYPES, parseEvent } from '@auren/contracts';
import { parseArgs, parseRetryAfter, UsageError } from './generate-events';
import { AGENTS, MODEL_PRICES, Prng, Scenario, tokenCost, type ScenarioEvent } from './scenario';

const FIXED_NOW = Date.parse('2025-01-24T10:30:00.000Z');

function scenario(seed: number, concurrency = 3): Scenario {
  return new Scenario({ seed, concurrency, now: () => FIXED_NOW });
}

/** Groups events by session, keeping only sessions that both started and completed. */
function completedSessions(events: ScenarioEvent[]): ScenarioEvent[][] {
  const bySession = new Map<string, ScenarioEvent[]>();
  for (const event of events) {
    const key = event.session_id as string;
    bySession.set(key, [...(bySession.get(key) ?? []), event]);
  }
  return [...bySession.values()].filter(
    (s) =>
      s[0]?.event_type === 'agent_execution_started' &&
      s[s.length - 1]?.event_type === 'agent_execution_completed',
  );
}

describe('Scenario', () => {
  describe('one cycle', () => {
    it('emits all nine agent event types, started first and completed last', () => {
      const sut = scenario(42, 1);
      const cycle: ScenarioEvent[] = [];
      do cycle.push(sut.next());
      while (cycle[cycle.length - 1]?.event_type !== 'agent_execution_completed');

      expect(cycle[0]?.event_type).toBe('agent_execution_started');
      expect(new Set(cycle.map((e) => e.event_type))).toEqual(new Set(AGENT_EVENT_TYPES));
      expect(cycle.length).toBeGreaterThanOrEqual(9);
      expect(cycle.length).toBeLessThanOrEqual(15);
    });

    it('keeps the documented step order inside every interleaved session', () => {
      const order = [
        'agent_execution_started',
        'llm_call',
        'tool_usage',
        'memory_tier_access',
        'knowledge_access',
        'hypothesis_formation',
        'agent_decision',
        'agent_collaboration',
        'agent_execution_completed',
      ];
      const sut = scenario(7, 3);
      const sessions = completedSessions(sut.take(600));

      expect(sessions.length).toBeGreaterThan(20);
      for (const session of sessions) {
        const ranks = session.map((e) => order.indexOf(e.event_type));
        expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
        expect(new Set(session.map((e) => e.event_type)).size).toBe(9);
      }
    });

    it('interleaves sessions of different agents when concurrency > 1', () => {
      const sut = scenario(3, 3);
      const first = sut.take(30);

      expect(new Set(first.map((e) => e.source_agent.id)).size).toBeGreaterThanOrEqual(3);
      const switches = first.filter((e, i) => i > 0 && e.session_id !== first[i - 1]?.session_id);
      expect(switches.length).toBeGreaterThan(5);
    });
  });

  describe('cost arithmetic', () => {
    it('prices tokens per million from the table', () => {
      expect(tokenCost('gpt-4o', 1000, 500)).toBe(0.0075);
      expect(tokenCost('claude-3-5-sonnet', 2000, 1000)).toBe(0.021);
      expect(tokenCost('gpt-4o-mini', 1_000_000, 0)).toBe(0.15);
      expect(tokenCost('claude-3-5-haiku', 0, 0)).toBe(0);
    });

    it('refuses a model missing from the price table', () => {
      expect(() => tokenCost('unknown-model', 1, 1)).toThrow('no price for model "unknown-model"');
    });

    it('gives every llm_call consistent tokens and cost, and sums them on completion', () => {
      const sut = scenario(11, 2);
      const events = sut.take(400);
      const llmCalls = events.filter((e) => e.event_type === 'llm_call');

      expect(llmCalls.length).toBeGreaterThan(30);
      for (const { performance_metrics: m } of llmCalls) {
        const model = m?.model as string;
        expect(MODEL_PRICES[model]).toBeDefined();
        expect(m?.tokens_used).toBe((m?.input_tokens ?? -1) + (m?.output_tokens ?? -1));
        expect(m?.token_cost).toBe(tokenCost(model, m?.input_tokens ?? 0, m?.output_tokens ?? 0));
        expect(m?.token_cost).toBeGreaterThanOrEqual(0);
      }
      for (const session of completedSessions(events)) {
        const calls = session.filter((e) => e.event_type === 'llm_call');
        const done = session[session.length - 1]?.performance_metrics;
        const cost = calls.reduce((sum, e) => sum + (e.performance_metrics?.token_cost ?? 0), 0);
        const tokens = calls.reduce((sum, e) => sum + (e.performance_metrics?.tokens_used ?? 0), 0);
        expect(done?.token_cost).toBeCloseTo(cost, 8);
        expect(done?.tokens_used).toBe(tokens);
        expect(done?.latency_ms).toBeGreaterThan(0);
        expect(typeof done?.success).toBe('boolean');
      }
    });
  });

  describe('determinism', () => {
    it('produces the same events for the same seed', () => {
      expect(scenario(1234).take(200)).toEqual(scenario(1234).take(200));
    });

    it('produces different events for different seeds', () => {
      const a = scenario(1).take(50);
      const b = scenario(2).take(50);
      expect(a.map((e) => e.event_id)).not.toEqual(b.map((e) => e.event_id));
    });

    it('uses the injected clock for timestamps', () => {
      const sut = scenario(5);
      expect(sut.next().timestamp).toBe('2025-01-24T10:30:00.000Z');
    });
  });

  describe('linking ids', () => {
    const events = scenario(99, 3).take(500);

    it('gives every event a unique UUID-shaped event_id', () => {
      const ids = events.map((e) => e.event_id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of ids)
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });

    it('shares one trace_id per session, distinct between sessions', () => {
      const sessions = completedSessions(events);
      const traces = sessions.map((s) => {
        expect(new Set(s.map((e) => e.trace_id)).size).toBe(1);
        return s[0]?.trace_id;
      });
      expect(new Set(traces).size).toBe(sessions.length);
      for (const trace of traces) expect(trace).toMatch(/^[0-9a-f]{32}$/);
    });

    it('points parent_event_id at an earlier event of the same session', () => {
      const seen = new Map<string, ScenarioEvent>();
      for (const event of events) {
        if (event.event_type === 'agent_execution_started') {
          expect(event.parent_event_id).toBeUndefined();
        } else {
          const parent = seen.get(event.parent_event_id as string);
          expect(parent).toBeDefined();
          expect(parent?.session_id).toBe(event.session_id);
        }
        if (event.event_type === 'tool_usage') {
          expect(seen.get(event.parent_event_id as string)?.event_type).toBe('llm_call');
        }
        seen.set(event.event_id, event);
      }
    });

    it('keeps one agent per session, from the known cast', () => {
      const cast = new Set(AGENTS.map((a) => a.id));
      for (const session of completedSessions(events)) {
        expect(new Set(session.map((e) => e.source_agent.id)).size).toBe(1);
        expect(cast.has(session[0]?.source_agent.id)).toBe(true);
        expect(session[0]?.source_agent.role).toBeTruthy();
      }
    });
  });

  describe('payloads', () => {
    const events = scenario(21, 3).take(500);

    it('describes collaborations with primary, partners, consensus and a target agent', () => {
      const collaborations = events.filter((e) => e.event_type === 'agent_collaboration');
      expect(collaborations.length).toBeGreaterThan(10);
      for (const event of collaborations) {
        const payload = event.payload as {
          primary_agent: string;
          collaborating_agents: string[];
          consensus_reached: boolean;
        };
        expect(payload.primary_agent).toBe(event.source_agent.id);
        expect(payload.collaborating_agents.length).toBeGreaterThan(0);
        expect(payload.collaborating_agents).not.toContain(event.source_agent.id);
        expect(new Set(payload.collaborating_agents).size).toBe(
          payload.collaborating_agents.length,
        );
        expect(typeof payload.consensus_reached).toBe('boolean');
        expect(event.target_agent?.id).toBe(payload.collaborating_agents[0]);
      }
      const outcomes = new Set(collaborations.map((e) => e.payload.consensus_reached));
      expect(outcomes).toEqual(new Set([true, false]));
    });

    it('walks the memory tiers, stopping at the first hit', () => {
      const memory = events.filter((e) => e.event_type === 'memory_tier_access');
      expect(new Set(memory.map((e) => e.payload.tier))).toEqual(
        new Set(['redis', 'postgresql', 'chromadb']),
      );
      for (const session of completedSessions(events)) {
        const tiers = session.filter((e) => e.event_type === 'memory_tier_access');
        expect(tiers[0]?.payload.tier).toBe('redis');
        for (const e of tiers) expect(typeof e.payload.operation).toBe('string');
        expect(tiers.slice(0, -1).map((e) => e.payload.hit)).toEqual(
          tiers.slice(0, -1).map(() => false),
        );
        expect(tiers[tiers.length - 1]?.payload.hit).toBe(true);
      }
    });

    it('sets target_agent only on collaborations', () => {
      for (const event of events) {
        if (event.event_type !== 'agent_collaboration') expect(event.target_agent).toBeNull();
      }
    });

    it('passes the contract validator for every event', () => {
      for (const event of events) {
        const result = parseEvent(event);
        expect(result.ok ? [] : result.errors).toEqual([]);
      }
    });
  });
});

describe('Prng', () => {
  it('stays in [0, 1) and repeats for a seed', () => {
    const sut = new Prng(2024);
    const values = Array.from({ length: 1000 }, () => sut.next());
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(new Prng(2024).next()).toBe(values[0]);
    expect(new Set(values).size).toBeGreaterThan(990);
  });
});

describe('generate-events CLI', () => {
  it('applies the defaults', () => {
    const sut = parseArgs([]);
    expect(sut).toMatchObject({ rate: 10, count: undefined, batch: 1, token: undefined });
    expect(sut.url).toBe('http://127.0.0.1:3000');
  });

  it('reads every option, in both --flag value and --flag=value forms', () => {
    const sut = parseArgs([
      '--rate=2.5',
      '--count',
      '40',
      '--url',
      'http://ingest:4000/',
      '--token',
      'test-x',
      '--batch=20',
      '--seed',
      '9',
    ]);
    expect(sut).toEqual({
      rate: 2.5,
      count: 40,
      url: 'http://ingest:4000',
      token: 'test-x',
      batch: 20,
      seed: 9,
      help: false,
    });
  });

  it('takes the default port from INGEST_PORT', () => {
    expect(parseArgs([], { INGEST_PORT: '3100' }).url).toBe('http://127.0.0.1:3100');
  });

  it.each([
    [['--rate', '0']],
    [['--count', '1.5']],
    [['--batch', '1001']],
    [['--seed', '-1']],
    [['--url', 'ftp://x']],
    [['--bogus']],
    [['--count']],
  ])('refuses %j', (argv) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
  });

  it('reads Retry-After as seconds or an HTTP date, capped at a minute', () => {
    const now = Date.parse('2025-01-24T10:30:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('Fri, 24 Jan 2025 10:30:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('3600', now)).toBe(60_000);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});
