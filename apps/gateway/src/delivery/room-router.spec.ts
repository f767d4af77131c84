import {
  KNOWN_EVENT_TYPES,
  shouldDeliver,
  shouldDeliverAlert,
  type AlertTransition,
  SUBSCRIPTIONS,
  type AgentEvent,
  type EventType,
  type PerformanceMetrics,
  type Subscription,
  type Viewer,
} from '@auren/contracts';
import { roomsForAlert, roomsForEvent, roomsForViewer } from './room-router';
import { makeAlert } from '../../../../test/fixtures/alerts';
import { makeEvent } from '../../../../test/fixtures/events';
import { prng } from '../../../../test/fixtures/prng';

class Gen {
  constructor(readonly random: () => number) {}
  chance(p: number): boolean {
    return this.random() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }
  subset<T>(items: readonly T[], p: number): T[] {
    return items.filter(() => this.chance(p));
  }
}

/**
 * Ids include `|` and the prefixes of the room-name format, so that a room name that does not
 * escape its parts lets one user's events reach another.
 */
const USERS = ['alice', 'bob', 'carol', 'alice|a:x', 'alice|*', 'none'];
const AGENTS = ['x', 'y', 'z', 'x|*', '*', 'a:x', 'x|t:0'];
const THRESHOLDS = [0, 0.5, 0.8, 0.95];
const SCORES = [0, 0.3, 0.5, 0.79, 0.8, 0.9, 0.95, 1];
const TYPES: EventType[] = [...KNOWN_EVENT_TYPES, 'custom.x'];

function randomViewer(g: Gen): Viewer {
  return {
    userId: g.pick(USERS),
    seesAllUsers: g.chance(0.3),
    allowedAgents: g.chance(0.5) ? null : new Set(g.subset(AGENTS, 0.5)),
    subscriptions: new Set(g.subset(SUBSCRIPTIONS, 0.3)),
    agentFilter: new Set(g.chance(0.4) ? [] : g.subset(AGENTS, 0.4)),
    threshold: g.pick(THRESHOLDS),
  };
}

let eventCounter = 0;
function randomEvent(g: Gen): AgentEvent {
  const event: AgentEvent = {
    event_id: `e-${++eventCounter}`,
    event_type: g.pick(TYPES),
    timestamp: '2025-01-24T10:30:00.000Z',
    received_at: '2025-01-24T10:30:00.000Z',
    source_agent: { id: g.pick(AGENTS) },
    payload: {},
    metadata: {},
  };
  if (g.chance(0.6)) event.user_id = g.pick(USERS);
  if (g.chance(0.5)) {
    const metrics: PerformanceMetrics = { latency_ms: 12 };
    if (g.chance(0.7)) metrics.confidence_score = g.pick(SCORES);
    event.performance_metrics = metrics;
  }
  return event;
}

function viewer(
  overrides: {
    userId?: string;
    seesAllUsers?: boolean;
    allowedAgents?: string[] | null;
    subscriptions?: Subscription[];
    agentFilter?: string[];
    threshold?: number;
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

function event(overrides: Parameters<typeof makeEvent>[0] = {}): AgentEvent {
  return makeEvent({ agent: 'x', event_id: 'e-explicit', ...overrides });
}

/** What Socket.IO's room union does: the viewer gets the event when it is in one of its rooms. */
function routed(e: AgentEvent, v: Viewer, thresholdsInUse: Iterable<number>): boolean {
  const joined = new Set(roomsForViewer(v));
  return roomsForEvent(e, thresholdsInUse).some((room) => joined.has(room));
}

function describeViewer(v: Viewer): string {
  return JSON.stringify({
    ...v,
    allowedAgents: v.allowedAgents && [...v.allowedAgents],
    subscriptions: [...v.subscriptions],
    agentFilter: [...v.agentFilter],
  });
}

describe(roomsForEvent.name, () => {
  it('selects exactly the viewers the delivery rule selects (randomized, seeded)', () => {
    const seed = 20250124;
    const g = new Gen(prng(seed));
    const mismatches: string[] = [];
    let delivered = 0;
    let withheld = 0;

    for (let round = 0; round < 3000; round += 1) {
      const viewers = Array.from({ length: 4 }, () => randomViewer(g));
      const events = Array.from({ length: 4 }, () => randomEvent(g));
      const thresholdsInUse = new Set(viewers.map((v) => v.threshold));
      for (const e of events) {
        for (const v of viewers) {
          const expected = shouldDeliver(e, v);
          if (expected) delivered += 1;
          else withheld += 1;
          if (routed(e, v, thresholdsInUse) !== expected && mismatches.length < 5) {
            mismatches.push(
              `seed ${seed} round ${round}: expected ${expected} for ${JSON.stringify(e)} to ${describeViewer(v)}`,
            );
          }
        }
      }
    }

    expect(mismatches).toEqual([]);
    // The comparison means something only if both outcomes are common.
    expect(delivered).toBeGreaterThan(3000);
    expect(withheld).toBeGreaterThan(3000);
  });

  it('gives no room when the event passes none of the thresholds in use', () => {
    const sut = roomsForEvent;

    expect(sut(event({ metrics: { confidence_score: 0.5 } }), [0.8, 0.95])).toEqual([]);
    expect(sut(event({ metrics: { confidence_score: 0.5 } }), [0, 0.8]).length).toBeGreaterThan(0);
  });

  it('reaches a viewer only through the rooms of thresholds in use', () => {
    const v = viewer({ threshold: 0.8 });
    const e = event({ metrics: { confidence_score: 0.9 } });

    expect(routed(e, v, [0.8])).toBe(true);
    expect(routed(e, v, [0])).toBe(false);
  });

  it("keeps one user's events from another user, and lets the all permission see them", () => {
    const e = event({ user_id: 'alice' });

    expect(routed(e, viewer({ userId: 'bob' }), [0])).toBe(false);
    expect(routed(e, viewer({ userId: 'alice' }), [0])).toBe(true);
    expect(routed(e, viewer({ userId: 'bob', seesAllUsers: true }), [0])).toBe(true);
  });

  it('routes an event without owner to every user', () => {
    expect(routed(event(), viewer({ userId: 'bob' }), [0])).toBe(true);
  });

  it('routes user_specific only to the owner, even with the all permission', () => {
    const v = viewer({ userId: 'bob', seesAllUsers: true, subscriptions: ['user_specific'] });

    expect(routed(event({ user_id: 'bob' }), v, [0])).toBe(true);
    expect(routed(event({ user_id: 'alice' }), v, [0])).toBe(false);
    expect(routed(event(), v, [0])).toBe(false);
  });

  it('does not route to a viewer whose agent_filter and allowedAgents do not overlap', () => {
    const v = viewer({ allowedAgents: ['x'], agentFilter: ['y'] });

    expect(roomsForViewer(v)).toEqual([]);
    expect(routed(event({ agent: 'y' }), v, [0])).toBe(false);
  });

  it('does not let a user id containing "|" select another user\'s events', () => {
    // Unescaped, `u:alice|a:x` + `*` and `u:alice` + `a:x|*` spell the same room name.
    const e = event({ user_id: 'alice', agent: 'x|*' });
    const v = viewer({ userId: 'alice|a:x' });

    expect(shouldDeliver(e, v)).toBe(false);
    expect(routed(e, v, [0])).toBe(false);
  });

  it('does not let an agent_filter entry containing "|" select another user\'s events', () => {
    const e = event({ user_id: 'bob|a:q' });
    const v = viewer({ userId: 'bob', agentFilter: ['q|*'] });

    expect(shouldDeliver(e, v)).toBe(false);
    expect(routed(e, v, [0])).toBe(false);
  });
});

describe(roomsForViewer.name, () => {
  const sut = roomsForViewer;

  it('gives no room to a viewer without subscriptions', () => {
    expect(sut(viewer({ subscriptions: [] }))).toEqual([]);
  });

  it('gives distinct rooms', () => {
    const rooms = sut(viewer({ subscriptions: [...SUBSCRIPTIONS], agentFilter: ['x', 'y'] }));

    expect(new Set(rooms).size).toBe(rooms.length);
  });
});

describe(roomsForAlert.name, () => {
  /** What Socket.IO's room union does for an alert. */
  function routedAlert(alert: AlertTransition, v: Viewer): boolean {
    const joined = new Set(roomsForViewer(v));
    return roomsForAlert(alert).some((room) => joined.has(room));
  }

  it('selects exactly the viewers shouldDeliverAlert selects (randomized, seeded)', () => {
    const seed = 20260312;
    const g = new Gen(prng(seed));
    const mismatches: string[] = [];
    let delivered = 0;
    let withheld = 0;

    for (let round = 0; round < 3000; round += 1) {
      const v = randomViewer(g);
      if (g.chance(0.7)) v.subscriptions = new Set([...v.subscriptions, 'alerts']);
      const alert = makeAlert({
        owner: g.pick(USERS),
        agent_id: g.chance(0.3) ? null : g.pick(AGENTS),
      });
      const expected = shouldDeliverAlert(alert, v);
      if (expected) delivered += 1;
      else withheld += 1;
      if (routedAlert(alert, v) !== expected && mismatches.length < 5) {
        mismatches.push(
          `seed ${seed} round ${round}: expected ${expected} for ${JSON.stringify(alert)} to ${describeViewer(v)}`,
        );
      }
    }

    expect(mismatches).toEqual([]);
    expect(delivered).toBeGreaterThan(300);
    expect(withheld).toBeGreaterThan(300);
  });

  it('never reaches event rooms, and events never reach alert rooms', () => {
    const alertRooms = new Set(roomsForViewer(viewer({ subscriptions: ['alerts'] })));
    const eventRooms = roomsForViewer(viewer({ subscriptions: ['all_events'] }));

    expect(roomsForAlert(makeAlert({ owner: 'bob' })).some((r) => eventRooms.includes(r))).toBe(
      false,
    );
    expect(roomsForEvent(event({ user_id: 'bob' }), [0]).some((r) => alertRooms.has(r))).toBe(
      false,
    );
  });

  it('routes an alert without agent to a viewer whose filters leave it no agent', () => {
    const v = viewer({ subscriptions: ['alerts'], allowedAgents: ['x'], agentFilter: ['y'] });

    expect(routedAlert(makeAlert({ owner: 'bob', agent_id: null }), v)).toBe(true);
    expect(routedAlert(makeAlert({ owner: 'bob', agent_id: 'y' }), v)).toBe(false);
  });
});
