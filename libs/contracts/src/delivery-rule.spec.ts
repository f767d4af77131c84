import type { AgentEvent } from './agent-event';
import { isVisibleTo, passesThreshold, shouldDeliver, type Viewer } from './delivery-rule';
import { KNOWN_EVENT_TYPES, type EventType } from './event-types';
import { carries, SUBSCRIPTIONS, subscriptionsCarrying, type Subscription } from './subscriptions';
import { makeEvent } from '../../../test/fixtures/events';

function event(overrides: Parameters<typeof makeEvent>[0] = {}): AgentEvent {
  return makeEvent({ agent: 'neuroscientist', event_id: 'e-1', ...overrides });
}

function viewer(
  overrides: Partial<Omit<Viewer, 'subscriptions' | 'agentFilter' | 'allowedAgents'>> & {
    subscriptions?: Subscription[];
    agentFilter?: string[];
    allowedAgents?: string[] | null;
  } = {},
): Viewer {
  return {
    userId: overrides.userId ?? 'bob',
    seesAllUsers: overrides.seesAllUsers ?? false,
    allowedAgents: overrides.allowedAgents ? new Set(overrides.allowedAgents) : null,
    subscriptions: new Set(overrides.subscriptions ?? ['all_events']),
    agentFilter: new Set(overrides.agentFilter ?? []),
    threshold: overrides.threshold ?? 0,
  };
}

const ALL_TYPES: EventType[] = [...KNOWN_EVENT_TYPES, 'custom.x'];

/** CONTRACT §4's subscription table, for events without performance_metrics. */
const TABLE: Record<Exclude<Subscription, 'user_specific' | 'agent_performance'>, EventType[]> = {
  all_events: ALL_TYPES,
  agent_activity: ['agent_execution_started', 'agent_execution_completed', 'agent_decision'],
  agent_collaboration: ['agent_collaboration'],
  llm_usage: ['llm_call'],
  tool_usage: ['tool_usage'],
  memory_access: ['memory_tier_access'],
  intelligence_events: ['hypothesis_formation', 'knowledge_access'],
  system_monitoring: ['system_health', 'performance_metric'],
  // Alerts are their own messages (alert_fired / alert_resolved), never agent events.
  alerts: [],
};

describe(carries.name, () => {
  const sut = carries;

  describe.each(Object.entries(TABLE))('%s', (subscription, types) => {
    it.each(ALL_TYPES.map((t) => [t]))('decides %s by the table', (type) => {
      expect(sut(subscription as Subscription, event({ type }), 'bob')).toBe(types.includes(type));
    });
  });

  describe('agent_performance', () => {
    it.each(ALL_TYPES.map((t) => [t]))(
      'carries %s only when it has performance_metrics',
      (type) => {
        expect(sut('agent_performance', event({ type, metrics: { latency_ms: 1 } }), 'bob')).toBe(
          true,
        );
        expect(sut('agent_performance', event({ type }), 'bob')).toBe(false);
      },
    );

    it('carries events whose metrics have no confidence_score', () => {
      expect(sut('agent_performance', event({ metrics: {} }), 'bob')).toBe(true);
    });
  });

  describe('user_specific', () => {
    it("carries the viewer's own events of any type", () => {
      for (const type of ALL_TYPES)
        expect(sut('user_specific', event({ type, user_id: 'bob' }), 'bob')).toBe(true);
    });

    it("does not carry another user's events or events without owner", () => {
      expect(sut('user_specific', event({ user_id: 'alice' }), 'bob')).toBe(false);
      expect(sut('user_specific', event(), 'bob')).toBe(false);
    });
  });
});

describe(subscriptionsCarrying.name, () => {
  const sut = subscriptionsCarrying;

  it('gives all_events and the type subscription', () => {
    expect(sut(event({ type: 'llm_call' })).sort()).toEqual(['all_events', 'llm_usage']);
    expect(sut(event({ type: 'agent_decision' })).sort()).toEqual(['agent_activity', 'all_events']);
  });

  it('adds agent_performance when the event has metrics', () => {
    expect(sut(event({ type: 'tool_usage', metrics: { latency_ms: 3 } })).sort()).toEqual([
      'agent_performance',
      'all_events',
      'tool_usage',
    ]);
  });

  it('gives only all_events for conversation_event and custom types', () => {
    expect(sut(event({ type: 'conversation_event' }))).toEqual(['all_events']);
    expect(sut(event({ type: 'custom.x' }))).toEqual(['all_events']);
  });

  it('never gives user_specific, which depends on the viewer', () => {
    for (const type of ALL_TYPES)
      expect(sut(event({ type, metrics: {} }))).not.toContain('user_specific');
  });

  it('only names known subscriptions', () => {
    for (const type of ALL_TYPES)
      for (const s of sut(event({ type, metrics: {} }))) expect(SUBSCRIPTIONS).toContain(s);
  });
});

describe(isVisibleTo.name, () => {
  const sut = isVisibleTo;

  it("shows a user their own events and events without owner, not another user's", () => {
    expect(sut(event({ user_id: 'bob' }), viewer())).toBe(true);
    expect(sut(event(), viewer())).toBe(true);
    expect(sut(event({ user_id: 'alice' }), viewer())).toBe(false);
  });

  it("shows every user's events to a viewer with the all permission", () => {
    expect(sut(event({ user_id: 'alice' }), viewer({ seesAllUsers: true }))).toBe(true);
  });

  it('hides agents the token does not allow, even with the all permission', () => {
    const restricted = viewer({ seesAllUsers: true, allowedAgents: ['coach'] });

    expect(sut(event({ agent: 'coach' }), restricted)).toBe(true);
    expect(sut(event({ agent: 'neuroscientist' }), restricted)).toBe(false);
  });

  it('hides every agent when the token allows none', () => {
    expect(sut(event(), { ...viewer(), allowedAgents: new Set() })).toBe(false);
  });
});

describe(passesThreshold.name, () => {
  const sut = passesThreshold;

  it('passes everything when the threshold is 0', () => {
    expect(sut(event({ metrics: { confidence_score: 0 } }), 0)).toBe(true);
    expect(sut(event({ metrics: {} }), 0)).toBe(true);
  });

  it('passes an event without performance_metrics whatever the threshold', () => {
    expect(sut(event(), 0.95)).toBe(true);
  });

  it('passes a confidence_score at or above the threshold, and refuses one below', () => {
    expect(sut(event({ metrics: { confidence_score: 0.8 } }), 0.8)).toBe(true);
    expect(sut(event({ metrics: { confidence_score: 0.9 } }), 0.8)).toBe(true);
    expect(sut(event({ metrics: { confidence_score: 0.79 } }), 0.8)).toBe(false);
  });

  it('refuses an event with metrics but no confidence_score when the threshold is above 0', () => {
    expect(sut(event({ metrics: { latency_ms: 10 } }), 0.5)).toBe(false);
  });
});

describe(shouldDeliver.name, () => {
  const sut = shouldDeliver;

  it('delivers an ownerless event to a default viewer', () => {
    expect(sut(event(), viewer())).toBe(true);
  });

  describe('user isolation', () => {
    it("does not deliver another user's event", () => {
      expect(sut(event({ user_id: 'alice' }), viewer())).toBe(false);
    });

    it('delivers it to a viewer with the all permission', () => {
      expect(sut(event({ user_id: 'alice' }), viewer({ seesAllUsers: true }))).toBe(true);
    });

    it('does not deliver an agent outside allowedAgents, even when the agent_filter names it', () => {
      const v = viewer({ allowedAgents: ['coach'], agentFilter: ['neuroscientist'] });

      expect(sut(event({ agent: 'neuroscientist' }), v)).toBe(false);
    });

    it('delivers an agent inside allowedAgents', () => {
      expect(sut(event({ agent: 'coach' }), viewer({ allowedAgents: ['coach'] }))).toBe(true);
    });
  });

  describe('agent_filter', () => {
    it('delivers only the agents it names', () => {
      const v = viewer({ agentFilter: ['coach', 'nutritionist'] });

      expect(sut(event({ agent: 'coach' }), v)).toBe(true);
      expect(sut(event({ agent: 'neuroscientist' }), v)).toBe(false);
    });

    it('delivers every agent when empty', () => {
      expect(sut(event({ agent: 'anyone' }), viewer({ agentFilter: [] }))).toBe(true);
    });
  });

  describe('performance_threshold', () => {
    const v = viewer({ threshold: 0.8 });

    it('delivers events without metrics', () => {
      expect(sut(event(), v)).toBe(true);
    });

    it('delivers a score at the threshold and refuses one below', () => {
      expect(sut(event({ metrics: { confidence_score: 0.8 } }), v)).toBe(true);
      expect(sut(event({ metrics: { confidence_score: 0.5 } }), v)).toBe(false);
    });

    it('refuses an event with metrics but no confidence_score', () => {
      expect(sut(event({ metrics: { latency_ms: 1 } }), v)).toBe(false);
    });
  });

  describe('subscriptions', () => {
    it('delivers only what one of the subscriptions carries', () => {
      const v = viewer({ subscriptions: ['llm_usage', 'tool_usage'] });

      expect(sut(event({ type: 'llm_call' }), v)).toBe(true);
      expect(sut(event({ type: 'tool_usage' }), v)).toBe(true);
      expect(sut(event({ type: 'agent_decision' }), v)).toBe(false);
    });

    it('delivers nothing without subscriptions', () => {
      expect(sut(event(), viewer({ subscriptions: [] }))).toBe(false);
    });

    it('delivers performance events to agent_performance', () => {
      const v = viewer({ subscriptions: ['agent_performance'] });

      expect(sut(event({ type: 'custom.x', metrics: { latency_ms: 1 } }), v)).toBe(true);
      expect(sut(event({ type: 'custom.x' }), v)).toBe(false);
    });

    it("delivers through user_specific only the viewer's own events, even with the all permission", () => {
      const v = viewer({ subscriptions: ['user_specific'], seesAllUsers: true });

      expect(sut(event({ user_id: 'bob' }), v)).toBe(true);
      expect(sut(event({ user_id: 'alice' }), v)).toBe(false);
      expect(sut(event(), v)).toBe(false);
    });

    it('still applies agent_filter and threshold to user_specific', () => {
      const v = viewer({
        subscriptions: ['user_specific'],
        agentFilter: ['coach'],
        threshold: 0.5,
      });

      expect(sut(event({ user_id: 'bob', agent: 'coach' }), v)).toBe(true);
      expect(sut(event({ user_id: 'bob', agent: 'other' }), v)).toBe(false);
      expect(
        sut(event({ user_id: 'bob', agent: 'coach', metrics: { confidence_score: 0.1 } }), v),
      ).toBe(false);
    });
  });
});
