import { describe, expect, it } from 'vitest';
import type { AlertTransition } from './contracts';
import {
  compareAlertIds,
  coveredBySilence,
  fromGraphqlAlert,
  mergeAlerts,
  type GqlAlert,
} from './alerts-model';

function t(
  id: string,
  key: string,
  state: 'firing' | 'resolved',
  extra: Partial<AlertTransition> = {},
): AlertTransition {
  const [rule, agent] = key.split(':');
  return {
    alert_id: id,
    rule_id: rule,
    rule_name: `name of ${rule}`,
    severity: 'warning',
    owner: 'alice',
    key,
    agent_id: agent ?? null,
    state,
    value: 10,
    threshold: 5,
    window: null,
    event_ids: [],
    at: '2026-12-03T10:00:00.000Z',
    seq: 1,
    silenced: false,
    ...extra,
  };
}

describe('compareAlertIds', () => {
  it('orders decimal ids numerically', () => {
    expect(compareAlertIds('9', '10')).toBeLessThan(0);
    expect(compareAlertIds('100', '99')).toBeGreaterThan(0);
    expect(compareAlertIds('18446744073709551615', '18446744073709551614')).toBeGreaterThan(0);
    expect(compareAlertIds('7', '7')).toBe(0);
  });
});

describe('fromGraphqlAlert', () => {
  it('turns GraphQL names and enums into the contract shape', () => {
    const g: GqlAlert = {
      alertId: '42',
      ruleId: 'slow',
      ruleName: 'Slow',
      severity: 'CRITICAL',
      owner: 'alice',
      key: 'slow:planner',
      agentId: 'planner',
      state: 'FIRING',
      value: 2153,
      threshold: 2000,
      window: { from: '2026-12-03T09:58:00.000Z', to: '2026-12-03T10:03:00.000Z' },
      eventIds: ['e1'],
      at: '2026-12-03T10:03:00.000Z',
      seq: 3,
      reason: null,
      silenced: true,
      acknowledged: false,
    };
    expect(fromGraphqlAlert(g)).toEqual({
      alert_id: '42',
      rule_id: 'slow',
      rule_name: 'Slow',
      severity: 'critical',
      owner: 'alice',
      key: 'slow:planner',
      agent_id: 'planner',
      state: 'firing',
      value: 2153,
      threshold: 2000,
      window: g.window,
      event_ids: ['e1'],
      at: g.at,
      seq: 3,
      silenced: true,
      acknowledged: false,
    });
  });
});

describe('mergeAlerts', () => {
  it('fires per key by the latest transition, newest first', () => {
    const live = [
      t('1', 'slow:planner', 'firing'),
      t('2', 'slow:coder', 'firing'),
      t('3', 'slow:planner', 'resolved'),
      t('4', 'errors', 'firing'),
    ];
    const { firing, transitions } = mergeAlerts([], live);
    expect(firing.map((a) => a.alert_id)).toEqual(['4', '2']);
    expect(transitions.map((a) => a.alert_id)).toEqual(['4', '3', '2', '1']);
  });

  it('merges stored and live without duplicates, keeping the stored flags', () => {
    const stored = [t('10', 'slow:planner', 'firing', { acknowledged: true })];
    const live = [
      t('10', 'slow:planner', 'firing', { acknowledged: false }),
      t('11', 'slow:coder', 'firing'),
    ];
    const { firing, transitions } = mergeAlerts(stored, live);
    expect(transitions).toHaveLength(2);
    expect(firing.find((a) => a.alert_id === '10')!.acknowledged).toBe(true);
  });

  it('applies alert_updated bodies to the transition they name, not as new alerts', () => {
    const live = [
      t('20', 'slow:planner', 'firing'),
      t('21', 'slow:planner', 'firing', { updates: '20', acknowledged: true, silenced: false }),
      t('22', 'slow:planner', 'firing', { updates: '20', acknowledged: true, silenced: true }),
    ];
    const { firing, transitions } = mergeAlerts([], live);
    expect(transitions.map((a) => a.alert_id)).toEqual(['20']);
    expect(firing[0]).toMatchObject({ alert_id: '20', acknowledged: true, silenced: true });
  });

  it('shows an update of a transition it never saw as that transition', () => {
    const { firing } = mergeAlerts(
      [],
      [t('31', 'x', 'firing', { updates: '30', acknowledged: true })],
    );
    expect(firing.map((a) => [a.alert_id, a.acknowledged, a.updates])).toEqual([
      ['30', true, undefined],
    ]);
  });

  it('applies local patches last', () => {
    const { firing } = mergeAlerts(
      [t('5', 'x', 'firing')],
      [],
      [
        { alertId: '5', acknowledged: true },
        { alertId: '404', silenced: true },
      ],
    );
    expect(firing[0].acknowledged).toBe(true);
  });
});

describe('coveredBySilence', () => {
  it('matches the rule, and the agent when given', () => {
    const firing = [
      t('1', 'slow:planner', 'firing'),
      t('2', 'slow:coder', 'firing'),
      t('3', 'errors:planner', 'firing'),
    ];
    expect(coveredBySilence(firing, 'slow', 'planner')).toEqual(['1']);
    expect(coveredBySilence(firing, 'slow', null)).toEqual(['1', '2']);
  });
});
