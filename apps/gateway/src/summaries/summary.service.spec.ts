import { Logger } from '@nestjs/common';
import { Registry } from 'prom-client';
import type {
  AgentEvent,
  PerformanceMetrics,
  PerformanceSummaryMessage,
  StreamedEvent,
  Subscription,
  Viewer,
} from '@auren/contracts';
import { loadConfig } from '@auren/config';
import { MemoryStream } from '@auren/streaming';
import type { AurenServer } from '../connections/socket-types';
import { ExactSum } from './exact-sum';
import { SummaryService } from './summary.service';

/**
 * Figures for scripted event lists. Every expected number is a literal worked out by hand; the
 * comment next to it shows the arithmetic.
 */

let seq = 0;
const T0 = Date.UTC(2025, 0, 1);

function ev(
  agent: string,
  over: {
    type?: AgentEvent['event_type'];
    user?: string;
    metrics?: PerformanceMetrics;
    payload?: Record<string, unknown>;
    target?: string | null;
  } = {},
): StreamedEvent {
  seq += 1;
  const event: StreamedEvent = {
    event_id: `e-${seq}`,
    event_type: over.type ?? (over.metrics ? 'llm_call' : 'agent_decision'),
    timestamp: new Date(T0 + seq).toISOString(),
    received_at: new Date(T0 + seq).toISOString(),
    source_agent: { id: agent },
    target_agent: over.target ? { id: over.target } : (over.target as null | undefined),
    payload: over.payload ?? {},
    metadata: {},
    stream_id: `${T0 + seq}-0`,
  };
  if (over.user !== undefined) event.user_id = over.user;
  if (over.metrics) event.performance_metrics = over.metrics;
  return event;
}

function collab(
  agent: string,
  payload: Record<string, unknown>,
  target?: string | null,
  user?: string,
): StreamedEvent {
  return ev(agent, { type: 'agent_collaboration', payload, target, user });
}

function viewer(over: Partial<Viewer> = {}): Viewer {
  return {
    userId: 'test_user',
    seesAllUsers: true,
    allowedAgents: null,
    subscriptions: new Set<Subscription>(['agent_performance']),
    agentFilter: new Set(),
    threshold: 0,
    ...over,
  };
}

const user = (userId: string, over: Partial<Viewer> = {}) =>
  viewer({ userId, seesAllUsers: false, ...over });

function service(env: Record<string, string> = {}, log = new MemoryStream(100_000, 60_000)) {
  return new SummaryService(new Registry(), loadConfig(env), log);
}

beforeAll(() => {
  Logger.overrideLogger(false);
});

describe(SummaryService.name, () => {
  describe('agent figures', () => {
    it('averages latency over the newest 100 operations, and totals success, tokens and cost per model', () => {
      const sut = service();
      for (let i = 1; i <= 105; i++) {
        sut.record(
          ev('alpha', {
            metrics: {
              latency_ms: i,
              success: i % 5 !== 0,
              tokens_used: 10,
              token_cost: 0.001,
              model: i % 2 ? 'gpt-4o' : 'claude',
            },
          }),
        );
      }
      const last = ev('alpha'); // no performance_metrics: not an operation, but the newest event
      sut.record(last);

      expect(sut.summaryFor(viewer()).agents).toEqual({
        alpha: {
          total_operations: 105, // 105 events with performance_metrics
          average_latency_ms: 55.5, // newest 100 latencies are 6..105: (6 + 105) / 2
          success_rate: 0.8, // 21 multiples of 5 in 1..105 failed: 84 / 105
          total_tokens: 1050, // 105 × 10
          total_token_cost: 0.105, // 105 × 0.001
          last_update: last.received_at,
          models: {
            claude: { calls: 52, total_tokens: 520, total_token_cost: 0.052 }, // even i: 52 × 10, 52 × 0.001
            'gpt-4o': { calls: 53, total_tokens: 530, total_token_cost: 0.053 }, // odd i: 53 × 10, 53 × 0.001
          },
        },
      });
    });

    it('falls back to input + output tokens, counts success only where defined, and is 1 / 0 when nothing is known', () => {
      const sut = service();
      sut.record(
        ev('beta', {
          metrics: {
            latency_ms: 10,
            success: true,
            input_tokens: 100,
            output_tokens: 50,
            token_cost: 0.5,
            model: 'm1',
          },
        }),
      );
      sut.record(
        ev('beta', {
          metrics: {
            latency_ms: 20,
            tokens_used: 40,
            input_tokens: 1,
            output_tokens: 1,
            token_cost: 0.25,
          },
        }),
      );
      sut.record(ev('beta', { metrics: { success: false } }));
      const lastBeta = ev('beta', { metrics: {} });
      sut.record(lastBeta);
      const gamma = ev('gamma', { metrics: { confidence_score: 0.9 } });
      sut.record(gamma);
      const delta = ev('delta');
      sut.record(delta);

      expect(sut.summaryFor(viewer()).agents).toEqual({
        beta: {
          total_operations: 4, // 4 events with performance_metrics, {} included
          average_latency_ms: 15, // (10 + 20) / 2: two operations had a latency
          success_rate: 0.5, // 1 true of 2 with success defined
          total_tokens: 190, // (100 + 50) + 40: tokens_used wins over input + output
          total_token_cost: 0.75, // 0.5 + 0.25
          last_update: lastBeta.received_at,
          models: { m1: { calls: 1, total_tokens: 150, total_token_cost: 0.5 } },
        },
        gamma: {
          total_operations: 1,
          average_latency_ms: 0, // no latency reported
          success_rate: 1, // no success reported
          total_tokens: 0,
          total_token_cost: 0,
          last_update: gamma.received_at,
          models: {},
        },
        delta: {
          total_operations: 0, // an event without metrics is no operation
          average_latency_ms: 0,
          success_rate: 1,
          total_tokens: 0,
          total_token_cost: 0,
          last_update: delta.received_at,
          models: {},
        },
      });
    });

    it('renders ratios and costs to 6 decimals and sums costs exactly', () => {
      const sut = service();
      for (const cost of [0.1, 0.2]) sut.record(ev('x', { metrics: { token_cost: cost } }));
      sut.record(ev('x', { metrics: { success: true } }));
      sut.record(ev('x', { metrics: { success: true } }));
      sut.record(ev('x', { metrics: { success: false } }));
      const x = sut.summaryFor(viewer()).agents.x;
      expect(x.total_token_cost).toBe(0.3); // 0.1 + 0.2, not 0.30000000000000004
      expect(x.success_rate).toBe(0.666667); // 2 / 3 rounded to 6 decimals
    });
  });

  describe('collaboration figures', () => {
    it('keys by primary_agent (else source), counts consensus and distinct partners', () => {
      const sut = service();
      const c1 = collab(
        'planner',
        {
          primary_agent: 'planner',
          collaborating_agents: ['coder', 'tester', 'planner'],
          consensus_reached: true,
        },
        'reviewer',
      );
      const c2 = collab('planner', {
        collaborating_agents: ['coder', 42],
        consensus_reached: false,
      });
      const c3 = collab('coder', {
        primary_agent: 'planner',
        collaborating_agents: ['designer'],
        consensus_reached: true,
      });
      const c4 = collab('coder', { primary_agent: 7 }, 'planner');
      for (const e of [c1, c2, c3, c4]) sut.record(e);

      expect(sut.summaryFor(viewer()).collaboration).toEqual({
        planner: {
          total_collaborations: 3, // c1, c2 (no primary_agent: source), c3 (primary_agent)
          success_rate: 0.666667, // c1 and c3 reached consensus: 2 / 3
          unique_partners: 4, // coder, tester, reviewer (target), designer; planner itself and 42 are not
          last_collaboration: c3.received_at,
        },
        coder: {
          total_collaborations: 1, // c4: primary_agent 7 is not a string, so the source
          success_rate: 0, // consensus_reached absent: 0 / 1
          unique_partners: 1, // planner (target)
          last_collaboration: c4.received_at,
        },
      });
      // Collaboration events are events of their source agents too.
      const agents = sut.summaryFor(viewer()).agents;
      expect(agents.planner).toMatchObject({ total_operations: 0, last_update: c2.received_at });
      expect(agents.coder).toMatchObject({ total_operations: 0, last_update: c4.received_at });

      // A filter on planner keeps the events whose source is planner: c1 and c2.
      expect(sut.summaryFor(viewer({ agentFilter: new Set(['planner']) })).collaboration).toEqual({
        planner: {
          total_collaborations: 2,
          success_rate: 0.5, // 1 / 2
          unique_partners: 3, // coder, tester, reviewer
          last_collaboration: c2.received_at,
        },
      });
    });
  });

  describe('user isolation and filters', () => {
    const scripted = () => {
      const sut = service();
      const s1 = ev('shared', {
        metrics: { latency_ms: 100, token_cost: 1, tokens_used: 10, success: true },
      });
      const s2 = ev('shared', {
        user: 'alice',
        metrics: { latency_ms: 200, token_cost: 2, tokens_used: 20, success: false },
      });
      const s3 = ev('shared', {
        user: 'bob',
        metrics: { latency_ms: 300, token_cost: 4, tokens_used: 40, success: true },
      });
      const private1 = ev('secret', { user: 'bob', metrics: { latency_ms: 1 } });
      const deal = collab(
        'shared',
        { collaborating_agents: ['p'], consensus_reached: true },
        null,
        'alice',
      );
      for (const e of [s1, s2, s3, private1, deal]) sut.record(e);
      return { sut, s1, s2, s3, private1, deal };
    };

    it('merges only the owner buckets a viewer may see', () => {
      const { sut, s1, s2, s3, deal } = scripted();
      const alice = sut.summaryFor(user('alice'));
      expect(Object.keys(alice.agents)).toEqual(['shared']); // bob's secret agent is not visible
      expect(alice.agents.shared).toEqual({
        total_operations: 2, // s1 (unowned) + s2 (alice)
        average_latency_ms: 150, // (100 + 200) / 2
        success_rate: 0.5, // 1 / 2
        total_tokens: 30, // 10 + 20
        total_token_cost: 3, // 1 + 2
        last_update: deal.received_at, // alice's collaboration event is the newest she sees
        models: {},
      });
      expect(alice.collaboration).toEqual({
        shared: {
          total_collaborations: 1,
          success_rate: 1,
          unique_partners: 1,
          last_collaboration: deal.received_at,
        },
      });

      const bob = sut.summaryFor(user('bob'));
      expect(bob.agents.shared).toMatchObject({
        total_operations: 2, // s1 + s3
        average_latency_ms: 200, // (100 + 300) / 2
        success_rate: 1, // 2 / 2
        total_tokens: 50, // 10 + 40
        total_token_cost: 5, // 1 + 4
        last_update: s3.received_at,
      });
      expect(bob.agents.secret).toMatchObject({ total_operations: 1 });
      expect(bob.collaboration).toEqual({});

      const carol = sut.summaryFor(user('carol'));
      expect(Object.keys(carol.agents)).toEqual(['shared']);
      expect(carol.agents.shared).toMatchObject({
        total_operations: 1, // s1 only
        average_latency_ms: 100,
        last_update: s1.received_at,
      });

      const admin = sut.summaryFor(viewer());
      expect(admin.agents.shared).toMatchObject({
        total_operations: 3,
        average_latency_ms: 200, // (100 + 200 + 300) / 3
        success_rate: 0.666667, // 2 / 3
        total_tokens: 70, // 10 + 20 + 40
        total_token_cost: 7, // 1 + 2 + 4
      });
      expect(s2.user_id).toBe('alice');
    });

    it('honours the permitted agents and the agent filter', () => {
      const { sut } = scripted();
      const onlySecret = sut.summaryFor(
        user('bob', { allowedAgents: new Set(['secret', 'ghost']) }),
      );
      expect(Object.keys(onlySecret.agents)).toEqual(['secret']);
      expect(onlySecret.collaboration).toEqual({});

      const filtered = sut.summaryFor(viewer({ agentFilter: new Set(['secret']) }));
      expect(Object.keys(filtered.agents)).toEqual(['secret']);
      expect(filtered.collaboration).toEqual({}); // the only collaboration's source is shared

      // Filter within permissions: the intersection.
      const both = sut.summaryFor(
        user('bob', { allowedAgents: new Set(['secret']), agentFilter: new Set(['shared']) }),
      );
      expect(both.agents).toEqual({});
    });

    it('merges the latency windows of several owner buckets by stream order', () => {
      const sut = service();
      for (let i = 0; i < 80; i++) sut.record(ev('merged', { metrics: { latency_ms: 1 } }));
      for (let i = 0; i < 80; i++)
        sut.record(ev('merged', { user: 'alice', metrics: { latency_ms: 3 } }));
      for (let i = 0; i < 10; i++) sut.record(ev('merged', { metrics: { latency_ms: 2 } }));

      // Newest 100 across unowned + alice: 10 × 2, 80 × 3, then 10 of the first 80 × 1.
      // (20 + 240 + 10) / 100 = 2.7
      expect(sut.summaryFor(viewer()).agents.merged.average_latency_ms).toBe(2.7);
      expect(sut.summaryFor(user('alice')).agents.merged.average_latency_ms).toBe(2.7);
      // bob sees the 90 unowned ones: (80 × 1 + 10 × 2) / 90 = 1.1111…
      expect(sut.summaryFor(user('bob')).agents.merged.average_latency_ms).toBe(1.111111);
    });
  });

  describe('memory bound', () => {
    it('evicts the entry updated longest ago beyond AUREN_SUMMARY_MAX_ENTRIES', () => {
      const sut = service({ AUREN_SUMMARY_MAX_ENTRIES: '3' });
      for (const agent of ['a1', 'a2', 'a3', 'a1', 'a4']) sut.record(ev(agent, { metrics: {} }));
      // a2 was updated longest ago when a4 arrived (a1 was touched again).
      expect(Object.keys(sut.summaryFor(viewer()).agents)).toEqual(['a1', 'a3', 'a4']);
      expect(sut.summaryFor(viewer()).agents.a1.total_operations).toBe(2);
    });
  });

  describe('warm-up', () => {
    async function streamOf(latencies: number[]) {
      const log = new MemoryStream(100_000, 60_000);
      const events = latencies.map((latency_ms) => {
        const { stream_id: _, ...event } = ev('w', { metrics: { latency_ms } });
        return event;
      });
      const outcomes = await log.append(events.map((event) => ({ event, dedupe: false })));
      return { log, events, positions: outcomes.map((o) => o.stream_id) };
    }

    it('rebuilds the same figures as live recording, up to and including the given position', async () => {
      const { log, events, positions } = await streamOf([1, 2, 3, 4, 5]);
      const live = service();
      for (const [i, event] of events.slice(0, 3).entries())
        live.record({ ...event, stream_id: positions[i] });

      const sut = service({}, log);
      await sut.warmUp(positions[2]);
      const warmed = sut.summaryFor(viewer());
      expect(warmed.agents).toEqual(live.summaryFor(viewer()).agents);
      expect(warmed.agents.w).toMatchObject({
        total_operations: 3, // records 1..3; 4 and 5 come after the live start
        average_latency_ms: 2, // (1 + 2 + 3) / 3
        last_update: events[2].received_at,
      });
      expect(warmed.system.events_received).toBe(0); // warm-up is not live traffic
    });

    it('reads only the newest AUREN_SUMMARY_WARMUP_EVENTS records, and a retry replaces, not adds', async () => {
      const { log, positions } = await streamOf([1, 2, 3, 4, 5]);
      const sut = service({ AUREN_SUMMARY_WARMUP_EVENTS: '2' }, log);
      await sut.warmUp(positions[4]);
      await sut.warmUp(positions[4]);
      expect(sut.summaryFor(viewer()).agents.w).toMatchObject({
        total_operations: 2, // records 4 and 5
        average_latency_ms: 4.5, // (4 + 5) / 2
      });
    });

    it('starts empty from an empty stream', async () => {
      const sut = service();
      await sut.warmUp('0-0');
      expect(sut.summaryFor(viewer()).agents).toEqual({});
    });
  });

  describe('system figures and broadcast', () => {
    type Emitted = [string, PerformanceSummaryMessage];
    function fakeServer(states: Array<{ viewer: Viewer; live?: boolean }>): {
      server: AurenServer;
      emitted: Emitted[][];
    } {
      const emitted: Emitted[][] = states.map(() => []);
      const sockets = new Map(
        states.map((s, i) => [
          `s${i}`,
          {
            data: { state: { ...s.viewer, live: s.live ?? true } },
            emit: (name: string, body: PerformanceSummaryMessage) => emitted[i].push([name, body]),
          },
        ]),
      );
      return { server: { sockets: { sockets } } as unknown as AurenServer, emitted };
    }

    it('counts events received live and messages sent', () => {
      const sut = service();
      for (const agent of ['a', 'b', 'c']) sut.record(ev(agent));
      sut.countSent(3);
      sut.countSent(2);
      const { server } = fakeServer([{ viewer: viewer() }, { viewer: viewer() }]);
      sut.attach(server);
      sut.onModuleDestroy();
      expect(sut.summaryFor(viewer()).system).toEqual({
        active_connections: 2,
        events_received: 3,
        events_sent: 5, // 3 + 2
        uptime_seconds: expect.any(Number),
      });
      expect(Number.isInteger(sut.summaryFor(viewer()).system.uptime_seconds)).toBe(true);
    });

    it('sends each live agent_performance subscriber its own view, and nobody else', () => {
      const sut = service();
      sut.record(ev('mine', { user: 'alice', metrics: { latency_ms: 5 } }));
      sut.record(ev('theirs', { user: 'bob', metrics: { latency_ms: 7 } }));
      const { server, emitted } = fakeServer([
        { viewer: user('alice') },
        { viewer: viewer() },
        { viewer: viewer({ subscriptions: new Set(['all_events']) }) },
        { viewer: viewer(), live: false },
      ]);
      sut.attach(server);
      sut.onModuleDestroy();
      sut.broadcast();
      expect(emitted.map((list) => list.length)).toEqual([1, 1, 0, 0]);
      const [[name, toAlice]] = emitted[0];
      expect(name).toBe('performance_summary');
      expect(toAlice.type).toBe('performance_summary');
      expect(Object.keys(toAlice.data.agents)).toEqual(['mine']);
      expect(Object.keys(emitted[1][0][1].data.agents)).toEqual(['mine', 'theirs']);
    });

    it('broadcasts every AUREN_SUMMARY_INTERVAL_MS until destroyed', () => {
      jest.useFakeTimers();
      try {
        const sut = service({ AUREN_SUMMARY_INTERVAL_MS: '1000' });
        const { server, emitted } = fakeServer([{ viewer: viewer() }]);
        sut.attach(server);
        jest.advanceTimersByTime(2500);
        expect(emitted[0]).toHaveLength(2);
        sut.onModuleDestroy();
        jest.advanceTimersByTime(5000);
        expect(emitted[0]).toHaveLength(2);
      } finally {
        jest.useRealTimers();
      }
    });
  });
});

describe(ExactSum.name, () => {
  it('adds 0.1 ten times to exactly 1', () => {
    const sut = new ExactSum();
    let naive = 0;
    for (let i = 0; i < 10; i++) {
      sut.add(0.1);
      naive += 0.1;
    }
    expect(naive).not.toBe(1); // 0.9999999999999999: what plain addition gives
    expect(sut.value).toBe(1);
  });
});
