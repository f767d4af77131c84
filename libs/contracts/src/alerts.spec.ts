import { alertIdValue, alertMessage, isAlertTransition, parseAlertTransition } from './alerts';
import { shouldDeliverAlert, type Viewer } from './delivery-rule';
import type { Subscription } from './subscriptions';
import { SUBSCRIPTIONS } from './subscriptions';
import { makeAlert } from '../../../test/fixtures/alerts';

describe(parseAlertTransition.name, () => {
  const sut = parseAlertTransition;

  it('accepts a complete transition and answers a copy of exactly its fields', () => {
    const alert = makeAlert({ acknowledged: true, reason: 'rule_removed' });
    const result = sut({ ...alert, extra: 'dropped' });

    expect(result).toEqual({ ok: true, alert });
    expect(result.ok && result.alert).not.toBe(alert);
  });

  it('accepts nulls where the contract allows them', () => {
    const alert = makeAlert({ agent_id: null, value: null, threshold: null, window: null });

    expect(sut(alert)).toEqual({ ok: true, alert });
  });

  it.each([
    ['not an object', 'x'],
    ['null', null],
    ['an array', []],
    ['alert_id 0', { ...makeAlert(), alert_id: '0' }],
    ['a numeric alert_id', { ...makeAlert(), alert_id: 5 }],
    ['a leading zero', { ...makeAlert(), alert_id: '05' }],
    ['alert_id over 2^64-1', { ...makeAlert(), alert_id: '18446744073709551616' }],
    ['an unknown severity', { ...makeAlert(), severity: 'fatal' }],
    ['an unknown state', { ...makeAlert(), state: 'pending' }],
    ['no owner', { ...makeAlert(), owner: undefined }],
    ['an empty owner', { ...makeAlert(), owner: '' }],
    ['agent_id undefined', { ...makeAlert(), agent_id: undefined }],
    ['a string value', { ...makeAlert(), value: '3' }],
    ['an infinite threshold', { ...makeAlert(), threshold: Infinity }],
    ['a window without to', { ...makeAlert(), window: { from: '2025-01-24T10:25:00Z' } }],
    ['event_ids with a number', { ...makeAlert(), event_ids: ['e-1', 2] }],
    ['too many event_ids', { ...makeAlert(), event_ids: Array.from({ length: 101 }, String) }],
    ['at not a time', { ...makeAlert(), at: 'yesterday' }],
    ['seq 0', { ...makeAlert(), seq: 0 }],
    ['a fractional seq', { ...makeAlert(), seq: 1.5 }],
    ['silenced missing', { ...makeAlert(), silenced: undefined }],
    ['acknowledged a string', { ...makeAlert(), acknowledged: 'yes' }],
  ])('refuses %s, saying why', (_, value) => {
    const result = sut(value);

    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/\w/);
    expect(isAlertTransition(value)).toBe(false);
  });
});

describe(alertIdValue.name, () => {
  it('orders ids as numbers, not strings, up to 2^64-1', () => {
    expect(alertIdValue('10')! > alertIdValue('9')!).toBe(true);
    expect(alertIdValue('18446744073709551615')).toBe(18446744073709551615n);
  });
});

describe(alertMessage.name, () => {
  it('names the message after the state', () => {
    expect(alertMessage(makeAlert()).type).toBe('alert_fired');
    expect(alertMessage(makeAlert({ state: 'resolved' })).type).toBe('alert_resolved');
  });
});

describe(shouldDeliverAlert.name, () => {
  const sut = shouldDeliverAlert;
  const viewer = (over: {
    userId?: string;
    seesAllUsers?: boolean;
    allowedAgents?: string[];
    subscriptions?: Subscription[];
    agentFilter?: string[];
    threshold?: number;
  }): Viewer => ({
    userId: over.userId ?? 'alice',
    seesAllUsers: over.seesAllUsers ?? false,
    allowedAgents: over.allowedAgents ? new Set(over.allowedAgents) : null,
    subscriptions: new Set(over.subscriptions ?? ['alerts']),
    agentFilter: new Set(over.agentFilter ?? []),
    threshold: over.threshold ?? 0,
  });

  it("delivers to the owner's alerts subscription", () => {
    expect(sut(makeAlert(), viewer({}))).toBe(true);
  });

  it('needs the alerts subscription itself: no other subscription carries alerts', () => {
    const others = SUBSCRIPTIONS.filter((s) => s !== 'alerts');

    expect(sut(makeAlert(), viewer({ subscriptions: others }))).toBe(false);
  });

  it("refuses another user's alert unless the viewer has the all permission", () => {
    expect(sut(makeAlert({ owner: 'bob' }), viewer({}))).toBe(false);
    expect(sut(makeAlert({ owner: 'bob' }), viewer({ seesAllUsers: true }))).toBe(true);
  });

  it("applies agent permissions and agent_filter to the alert's agent", () => {
    const alert = makeAlert({ agent_id: 'coach' });

    expect(sut(alert, viewer({ allowedAgents: ['coach'] }))).toBe(true);
    expect(sut(alert, viewer({ allowedAgents: ['other'] }))).toBe(false);
    expect(sut(alert, viewer({ agentFilter: ['coach'] }))).toBe(true);
    expect(sut(alert, viewer({ agentFilter: ['other'] }))).toBe(false);
    expect(sut(alert, viewer({ seesAllUsers: true, agentFilter: ['other'] }))).toBe(false);
  });

  it('delivers an alert without agent whatever the agent permissions and filter', () => {
    const alert = makeAlert({ agent_id: null });

    expect(sut(alert, viewer({ allowedAgents: ['other'], agentFilter: ['x'] }))).toBe(true);
  });

  it('ignores the performance threshold', () => {
    expect(sut(makeAlert({ value: 0.1 }), viewer({ threshold: 0.9 }))).toBe(true);
  });
});
