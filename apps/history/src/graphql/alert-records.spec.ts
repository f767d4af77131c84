import { validateRule } from '@auren/alerts';
import type { Silence } from '../alerts/alert-store';
import { silenceEnd } from './alert-arguments';
import { alertOf, ruleOf, storedRuleForm } from './alert-records';

const RULES: Record<string, unknown>[] = [
  {
    id: 'slow',
    owner: 'alice',
    condition: { kind: 'threshold', metric: 'latency_p95', op: '>', value: 2000, window: '5m' },
    for: '1m',
    webhook: { url: 'https://hooks.example.com/x', secret: 'a-secret-of-16-chars' },
  },
  { id: 'quiet', owner: 'alice', condition: { kind: 'absence', after: '10m' } },
  {
    id: 'errors',
    owner: 'bob',
    groupBy: 'none',
    condition: { kind: 'match', filter: { success: false, textContains: 'timeout' } },
  },
];

describe(storedRuleForm.name, () => {
  const sut = storedRuleForm;

  it.each(RULES.map((rule) => [rule.id, rule]))(
    'stores %s in a form validateRule turns into the same rule',
    (_id, input) => {
      const rule = validateRule(input);
      const stored = sut(rule);
      expect(validateRule(stored)).toEqual(rule);
      expect(JSON.parse(JSON.stringify(stored))).toEqual(stored);
    },
  );

  it('leaves out the resolveAfter of an absence rule, which validation refuses', () => {
    expect(validateRule(RULES[1])).toHaveProperty('resolveAfter', 0);
    expect(sut(validateRule(RULES[1]))).not.toHaveProperty('resolveAfter');
  });
});

describe(ruleOf.name, () => {
  it('answers a rule without its webhook secret', () => {
    const rule = storedRuleForm(validateRule(RULES[0]));
    const now = new Date();
    const answer = ruleOf({
      id: 'slow',
      owner: 'alice',
      rule,
      access: { seesAllUsers: false, allowedAgents: null },
      source: 'api',
      createdAt: now,
      updatedAt: now,
    });
    expect(answer.webhookSecretSet).toBe(true);
    expect(answer.rule.webhook).toEqual({ url: 'https://hooks.example.com/x', format: 'json' });
    expect(JSON.stringify(answer)).not.toContain('a-secret-of-16-chars');
    expect((rule.webhook as { secret: string }).secret).toBe('a-secret-of-16-chars');
  });
});

describe(alertOf.name, () => {
  const body = {
    rule_id: 'slow',
    rule_name: 'Slow',
    severity: 'warning',
    owner: 'alice',
    key: 'slow:coder',
    agent_id: 'coder',
    state: 'firing',
    value: 3,
    threshold: 2,
    window: { from: 1_700_000_000_000, to: '2023-11-14T22:18:20.000Z' },
    event_ids: ['e1'],
    at: '2023-11-14T22:18:20.000Z',
    seq: 7,
    silenced: false,
  };
  const silence = (over: Partial<Silence>): Silence => ({
    id: '1',
    owner: 'alice',
    ruleId: null,
    agentId: null,
    endsAt: new Date(Date.now() + 60_000),
    reason: null,
    createdAt: new Date(),
    ...over,
  });

  it('reads the contract body, times in RFC 3339', () => {
    const alert = alertOf({ alertId: '9', body, acknowledged: true });
    expect(alert).toMatchObject({
      alertId: '9',
      ruleId: 'slow',
      agentId: 'coder',
      state: 'firing',
      window: { from: '2023-11-14T22:13:20.000Z', to: '2023-11-14T22:18:20.000Z' },
      seq: 7,
      reason: null,
      silenced: false,
      acknowledged: true,
    });
  });

  it('shows a firing alert silenced while an active silence of its owner covers it', () => {
    const row = { alertId: '9', body, acknowledged: false };
    expect(alertOf(row, [silence({ agentId: 'coder' })]).silenced).toBe(true);
    expect(alertOf(row, [silence({ ruleId: 'slow', agentId: 'planner' })]).silenced).toBe(false);
    expect(alertOf(row, [silence({ owner: 'bob' })]).silenced).toBe(false);
    expect(alertOf(row, [silence({ endsAt: new Date(Date.now() - 1) })]).silenced).toBe(false);
    const resolved = { ...row, body: { ...body, state: 'resolved' } };
    expect(alertOf(resolved, [silence({})]).silenced).toBe(false);
  });
});

describe(silenceEnd.name, () => {
  const now = Date.parse('2026-12-03T10:00:00Z');

  it('ends after a duration of 1m..30d or at a time at most 30 days ahead', () => {
    expect(silenceEnd('30m', null, now).toISOString()).toBe('2026-12-03T10:30:00.000Z');
    expect(silenceEnd('30d', undefined, now).toISOString()).toBe('2027-01-02T10:00:00.000Z');
    const until = new Date('2026-12-04T00:00:00Z');
    expect(silenceEnd(null, until, now)).toBe(until);
  });

  it.each([
    ['59s', null, 'duration'],
    ['31d', null, 'duration'],
    ['1 h', null, 'duration'],
    [null, new Date('2026-12-03T09:59:59Z'), 'until'],
    [null, new Date('2027-01-03T10:00:00Z'), 'until'],
    ['1h', new Date('2026-12-04T00:00:00Z'), 'duration'],
    [null, null, 'duration'],
  ])('refuses duration %j, until %j, naming %s', (duration, until, argument) => {
    let thrown: unknown;
    try {
      silenceEnd(duration, until, now);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ name: 'QueryInputError', argument });
  });
});
