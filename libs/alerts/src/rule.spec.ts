import { formatDuration, parseDuration } from './duration';
import { RuleValidationError, validateRule, validateRules, type RuleProblem } from './rule';

const base = {
  id: 'cost-runaway',
  owner: 'alice',
  condition: { kind: 'threshold', metric: 'cost_sum', op: '>', value: 10, window: '5m' },
};

function problemsOf(input: unknown, options = {}): RuleProblem[] {
  try {
    validateRules(Array.isArray(input) ? input : [input], options);
  } catch (error) {
    if (error instanceof RuleValidationError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a RuleValidationError');
}

function withCondition(condition: Record<string, unknown>): unknown {
  return { ...base, condition: { ...base.condition, ...condition } };
}

describe('parseDuration', () => {
  it('reads units and milliseconds, refuses anything else', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration(1500)).toBe(1500);
    for (const bad of ['5 m', '1.5h', '-1s', '5w', '', 'm', 1.5, -1, NaN, null, {}]) {
      expect(parseDuration(bad)).toBeUndefined();
    }
    expect(formatDuration(300_000)).toBe('5m');
    expect(formatDuration(1500)).toBe('1500ms');
  });
});

describe('validateRule', () => {
  it('normalises a minimal rule: defaults, durations in ms, resolveValue = value', () => {
    const sut = validateRule(base);
    expect(sut).toEqual({
      id: 'cost-runaway',
      name: 'cost-runaway',
      owner: 'alice',
      severity: 'warning',
      scope: {},
      groupBy: 'agent',
      condition: {
        kind: 'threshold',
        metric: 'cost_sum',
        op: '>',
        value: 10,
        window: 300_000,
        resolveValue: 10,
      },
      for: 0,
      resolveAfter: 0,
      enabled: true,
    });
    // A normalised rule validates to itself (it can be stored and read back).
    expect(validateRule(sut)).toEqual(sut);
  });

  it('gives match rules a 5m resolveAfter by default', () => {
    const sut = validateRule({ ...base, condition: { kind: 'match', filter: { success: false } } });
    expect(sut.resolveAfter).toBe(300_000);
  });

  it('refuses window 0 with a one-line message naming rule and field', () => {
    const problems = problemsOf(withCondition({ window: 0 }));
    expect(problems).toEqual([
      {
        rule: 'cost-runaway',
        field: 'condition.window',
        reason: 'must be between 1s and 7d (got 0)',
        message: 'rule "cost-runaway": condition.window: must be between 1s and 7d (got 0)',
      },
    ]);
  });

  it('refuses a window of 10 years, and one of 7d + 1 ms', () => {
    expect(problemsOf(withCondition({ window: '3650d' }))[0].message).toBe(
      'rule "cost-runaway": condition.window: must be between 1s and 7d (got "3650d")',
    );
    expect(problemsOf(withCondition({ window: 7 * 86_400_000 + 1 }))[0].field).toBe(
      'condition.window',
    );
    expect(validateRule(withCondition({ window: '7d' })).condition).toMatchObject({
      window: 604_800_000,
    });
  });

  it('refuses unknown fields at every level', () => {
    const problems = problemsOf({
      ...base,
      colour: 'red',
      scope: { agents: ['a'], team: 'x' },
      condition: { ...base.condition, windw: '5m' },
    });
    expect(problems.map((p) => [p.field, p.reason])).toEqual(
      expect.arrayContaining([
        ['colour', 'unknown field'],
        ['scope.team', 'unknown field'],
        ['condition.windw', 'unknown field'],
      ]),
    );
  });

  it('refuses a pattern (regular expression) field with a clear reason', () => {
    const problems = problemsOf({
      ...base,
      condition: { kind: 'match', filter: { pattern: 'err.*or' } },
    });
    expect(problems).toHaveLength(1);
    expect(problems[0].field).toBe('condition.filter.pattern');
    expect(problems[0].message).toMatch(/regular expressions are not supported.*textContains/);
  });

  it('refuses non-finite values, unknown metrics, event types and kinds', () => {
    expect(problemsOf(withCondition({ value: Infinity }))[0]).toMatchObject({
      field: 'condition.value',
    });
    expect(problemsOf(withCondition({ metric: 'cost_total' }))[0].reason).toMatch(
      /^must be one of cost_sum, tokens_sum/,
    );
    expect(
      problemsOf({ ...base, scope: { eventTypes: ['llm_call', 'llm_cal'] } })[0],
    ).toMatchObject({ field: 'scope.eventTypes[1]' });
    expect(problemsOf({ ...base, condition: { kind: 'regex' } })[0]).toMatchObject({
      field: 'condition.kind',
      reason: 'must be one of threshold, absence, match',
    });
    expect(validateRule({ ...base, scope: { eventTypes: ['custom.my_thing'] } }).scope).toEqual({
      eventTypes: ['custom.my_thing'],
    });
  });

  it('refuses webhooks that are not http(s) or point at link-local or metadata addresses', () => {
    const webhook = (url: string) => problemsOf({ ...base, webhook: { url } })[0];
    expect(webhook('ftp://example.com/hook')).toMatchObject({ field: 'webhook.url' });
    expect(webhook('file:///etc/passwd').reason).toMatch(/http or https/);
    expect(webhook('http://169.254.169.254/latest/meta-data').reason).toMatch(/metadata/);
    expect(webhook('http://169.254.10.1/').reason).toMatch(/link-local/);
    expect(webhook('http://[fe80::1]/').reason).toMatch(/link-local/);
    expect(webhook('http://metadata.google.internal/').reason).toMatch(/metadata/);
    expect(webhook('http://127.0.0.1:9999/').reason).toMatch(/loopback/);
    const local = { ...base, webhook: { url: 'http://127.0.0.1:9999/' } };
    expect(validateRule(local, { allowPrivate: true }).webhook).toEqual({
      url: 'http://127.0.0.1:9999/',
      format: 'json',
    });
  });

  it('checks fields against each other', () => {
    const reasons = (input: unknown) => problemsOf(input).map((p) => `${p.field}: ${p.reason}`);
    expect(reasons(withCondition({ metric: 'failure_rate', value: 0.2 }))).toEqual([
      'condition.minCount: is required for failure_rate (events reporting success)',
    ]);
    expect(reasons(withCondition({ metric: 'confidence_min', op: '>', value: 0.5 }))).toEqual([
      'condition.op: must be < or <= for confidence_min (got >)',
    ]);
    expect(reasons(withCondition({ resolveValue: 12 }))).toEqual([
      'condition.resolveValue: must be at most value (10) for op > (got 12)',
    ]);
    expect(reasons({ ...base, for: '1m', condition: { kind: 'absence', after: '5m' } })).toEqual([
      'for: only threshold conditions take "for" (this is absence)',
    ]);
    expect(
      reasons({
        ...base,
        scope: { eventTypes: ['llm_call'] },
        condition: { kind: 'absence', after: '5m' },
      }),
    ).toEqual(['scope.eventTypes: absence watches every event of an agent']);
    expect(reasons(withCondition({ eventType: 'llm_call' }))).toEqual([
      'condition.eventType: applies to event_count only',
    ]);
  });

  it('names rules without a valid id by index and refuses duplicate ids', () => {
    const problems = problemsOf([base, { ...base, id: 'Bad Id!' }, base]);
    expect(problems.map((p) => p.message)).toEqual([
      'rule #1: id: must be 1..64 characters of a-z, 0-9, _ and -',
      'rule "cost-runaway": id: is used by more than one rule (#2)',
    ]);
  });

  it('lists every problem of a rule in one error', () => {
    const error = (() => {
      try {
        validateRule({
          id: 'x',
          owner: '',
          condition: { kind: 'absence', after: 0 },
          enabled: 'yes',
        });
      } catch (caught) {
        return caught as RuleValidationError;
      }
      throw new Error('expected a RuleValidationError');
    })();
    expect(error).toBeInstanceOf(RuleValidationError);
    expect(error.problems.map((p) => p.field).sort()).toEqual(
      ['condition.after', 'enabled', 'owner'].sort(),
    );
    expect(error.message.split('\n')).toHaveLength(3);
  });
});
