/**
 * The alerts management API (docs/graphql.md, "Alerts") over real HTTP on a real PostgreSQL:
 * rules validated as the alerts library says (every refusal BAD_USER_INPUT naming the field, never
 * a 5xx), each user reaching only their own rules, alerts, silences, webhooks and dead letters
 * (`all` reaching everyone's), acknowledgements and silences queued for the dashboards, and no
 * secret in any answer. Alerts and webhook deliveries are written with SQL, as the evaluator
 * would write them.
 */
import { PostgresDatabase } from '../../apps/history/src/store/sql-database';
import {
  GQL_SECRET,
  GraphqlAnswer,
  historyConfig,
  HistoryApi,
  startHistoryApi,
} from '../harness/graphql';
import { signHs } from '../harness/jwt';
import { createDatabase } from '../harness/postgres';

const token = (claims: Record<string, unknown>) => signHs(claims, GQL_SECRET, { exp: null });
const alice = token({ sub: 'alice' });
const bob = token({ sub: 'bob' });
const admin = token({ sub: 'root', permissions: ['all'] });
const aliceCoder = token({ sub: 'alice', permissions: ['coder'] });

const RULE_SECRET = 'rule-secret-0123456789-abcdef';
const USER_SECRET = 'user-secret-0123456789-abcdef';
const DEAD_SECRET = 'dead-letter-secret-0123456789';

let db: PostgresDatabase;
let api: HistoryApi;

beforeAll(async () => {
  db = new PostgresDatabase(await createDatabase('alertsgql'));
  // Private webhook addresses refused, as in production (development allows them).
  api = await startHistoryApi(
    await historyConfig({ AUREN_ALERT_WEBHOOK_ALLOW_PRIVATE: 'false' }),
    db,
  );
});

afterAll(async () => {
  await api?.close();
  await db?.close();
});

type Errors = NonNullable<GraphqlAnswer['body']['errors']>;

function gql<T = Record<string, unknown>>(
  who: string | undefined,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GraphqlAnswer<T>> {
  return api.query<T>(query, { token: who, variables });
}

/** The data of an answer that must have no error. */
async function data<T = Record<string, unknown>>(
  who: string | undefined,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const answer = await gql<T>(who, query, variables);
  expect({ status: answer.status, errors: answer.body.errors }).toEqual({
    status: 200,
    errors: undefined,
  });
  return answer.body.data as T;
}

/** The errors of an answer that must fail (never a 5xx). */
async function refused(
  who: string | undefined,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<Errors> {
  const answer = await gql(who, query, variables);
  expect(answer.status).toBeLessThan(500);
  expect(answer.body.errors?.length).toBeGreaterThan(0);
  return answer.body.errors!;
}

const RULE_FIELDS =
  'id owner name severity enabled source webhookSecretSet rule createdAt updatedAt';
const SAVE = `mutation Save($rule: JSON!) { saveAlertRule(rule: $rule) { ${RULE_FIELDS} } }`;
const ALERT_FIELDS = `alertId ruleId ruleName severity owner key agentId state value threshold
  window { from to } eventIds at seq reason silenced acknowledged`;

interface RuleAnswer {
  id: string;
  owner: string;
  name: string;
  severity: string;
  enabled: boolean;
  source: string;
  webhookSecretSet: boolean;
  rule: Record<string, unknown>;
  updatedAt: string;
}

interface AlertAnswer {
  alertId: string;
  ruleId: string;
  agentId: string | null;
  state: string;
  silenced: boolean;
  acknowledged: boolean;
  [field: string]: unknown;
}

function slowRule(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    name: `LLM calls are slow (${id})`,
    severity: 'critical',
    scope: { agents: ['planner', 'coder'], eventTypes: ['llm_call'] },
    condition: { kind: 'threshold', metric: 'latency_p95', op: '>', value: 2000, window: '5m' },
    ...extra,
  };
}

async function storedRule(
  id: string,
): Promise<{ owner: string; rule: Record<string, unknown> } | undefined> {
  const { rows } = await db.query<{ owner: string; rule: Record<string, unknown> }>(
    'SELECT owner, rule FROM auren_alert_rules WHERE id = $1',
    [id],
  );
  return rows[0];
}

async function rulesVersion(): Promise<number> {
  const { rows } = await db.query<{ v: string }>('SELECT rules_version AS v FROM auren_alert_meta');
  return Number(rows[0].v);
}

describe('saveAlertRule', () => {
  it('stores a valid rule for its caller and answers it without the webhook secret', async () => {
    const version = await rulesVersion();
    const input = slowRule('alice-slow', {
      webhook: { url: 'https://hooks.example.com/alice', format: 'json', secret: RULE_SECRET },
    });
    const answer = await gql<{ saveAlertRule: RuleAnswer }>(alice, SAVE, { rule: input });
    expect(answer.body.errors).toBeUndefined();
    const saved = answer.body.data!.saveAlertRule;
    expect(saved).toMatchObject({
      id: 'alice-slow',
      owner: 'alice',
      name: 'LLM calls are slow (alice-slow)',
      severity: 'CRITICAL',
      enabled: true,
      source: 'api',
      webhookSecretSet: true,
    });
    // Validated form: durations in ms, defaults filled in, no secret.
    expect(saved.rule).toMatchObject({
      owner: 'alice',
      groupBy: 'agent',
      for: 0,
      condition: { window: 300_000, resolveValue: 2000 },
      webhook: { url: 'https://hooks.example.com/alice', format: 'json' },
    });
    expect(saved.rule.webhook).not.toHaveProperty('secret');
    expect(JSON.stringify(answer.body)).not.toContain(RULE_SECRET);

    const row = await storedRule('alice-slow');
    expect(row?.owner).toBe('alice');
    expect((row?.rule.webhook as { secret?: string }).secret).toBe(RULE_SECRET);
    expect(await rulesVersion()).toBe(version + 1);
  });

  it('keeps the stored secret when the answered rule is saved back as it is', async () => {
    const { alertRule } = await data<{ alertRule: RuleAnswer }>(
      alice,
      `query { alertRule(id: "alice-slow") { ${RULE_FIELDS} } }`,
    );
    const again = await data<{ saveAlertRule: RuleAnswer }>(alice, SAVE, {
      rule: { ...alertRule.rule, severity: 'warning' },
    });
    expect(again.saveAlertRule).toMatchObject({ severity: 'WARNING', webhookSecretSet: true });
    const row = await storedRule('alice-slow');
    expect((row?.rule.webhook as { secret?: string }).secret).toBe(RULE_SECRET);
    expect(row?.rule.severity).toBe('warning');
  });

  it.each([
    ['an unknown field', slowRule('bad-1', { colour: 'red' }), 'colour', /unknown field/],
    [
      'a window of 0',
      slowRule('bad-2', {
        condition: { kind: 'threshold', metric: 'latency_p95', op: '>', value: 1, window: 0 },
      }),
      'condition.window',
      /between 1s and 7d/,
    ],
    [
      'a window of 10 years',
      slowRule('bad-3', {
        condition: { kind: 'threshold', metric: 'latency_p95', op: '>', value: 1, window: '3650d' },
      }),
      'condition.window',
      /between 1s and 7d/,
    ],
    [
      'a webhook that is not http',
      slowRule('bad-4', { webhook: { url: 'ftp://hooks.example.com/x' } }),
      'webhook.url',
      /http or https/,
    ],
    [
      'a link-local webhook',
      slowRule('bad-5', { webhook: { url: 'http://169.254.10.1/hook' } }),
      'webhook.url',
      /link-local/,
    ],
    [
      'a private webhook (AUREN_ALERT_WEBHOOK_ALLOW_PRIVATE=false)',
      slowRule('bad-6', { webhook: { url: 'http://10.1.2.3/hook' } }),
      'webhook.url',
      /private addresses are refused/,
    ],
    [
      'a pattern (regular expression) field',
      slowRule('bad-7', {
        scope: {},
        condition: { kind: 'match', filter: { pattern: 'time.*out' } },
      }),
      'condition.filter.pattern',
      /regular expressions are not supported/,
    ],
    [
      'a short webhook secret',
      slowRule('bad-8', { webhook: { url: 'https://h.example.com', secret: 'short' } }),
      'webhook.secret',
      /at least 16/,
    ],
  ])(
    'refuses %s: BAD_USER_INPUT naming the rule and the field',
    async (_what, rule, field, reason) => {
      const answer = await gql(alice, SAVE, { rule });
      expect(answer.status).toBe(200);
      expect(answer.body.data).toEqual({ saveAlertRule: null });
      const error = answer.body.errors![0];
      expect(error.extensions.code).toBe('BAD_USER_INPUT');
      expect(error.extensions.argument).toBe(`rule.${field}`);
      expect(error.message).toContain(`rule "${String(rule.id)}": ${field}: `);
      expect(error.message).toMatch(reason);
      const problems = error.extensions.problems as Array<{ field: string; reason: string }>;
      expect(problems.map((p) => p.field)).toContain(field);
      expect(problems.find((p) => p.field === field)?.reason).toMatch(reason);
      expect(await storedRule(String(rule.id))).toBeUndefined();
    },
  );

  it('lists every problem of a rule, and refuses a rule that is not an object', async () => {
    const errors = await refused(alice, SAVE, {
      rule: slowRule('bad-9', { colour: 'red', severity: 'loud' }),
    });
    const problems = errors[0].extensions.problems as Array<{ field: string }>;
    expect(problems.map((p) => p.field).sort()).toEqual(['colour', 'severity']);
    const notObject = await refused(alice, SAVE, { rule: 'id: x' });
    expect(notObject[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'rule' });
    // A rule written inline in the operation (a literal, not a variable) is checked the same way.
    const literal = await refused(
      alice,
      'mutation { saveAlertRule(rule: {id: "bad-10", condition: {kind: "absence", after: 0}}) { id } }',
    );
    expect(literal[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'rule.condition.after',
    });
  });

  it('refuses a rule for another user unless the caller has all', async () => {
    const errors = await refused(alice, SAVE, {
      rule: slowRule('alice-for-bob', { owner: 'bob' }),
    });
    expect(errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', argument: 'rule.owner' });
    expect(await storedRule('alice-for-bob')).toBeUndefined();

    const byAdmin = await data<{ saveAlertRule: RuleAnswer }>(admin, SAVE, {
      rule: slowRule('bob-slow', { owner: 'bob' }),
    });
    expect(byAdmin.saveAlertRule.owner).toBe('bob');
    expect((await storedRule('bob-slow'))?.owner).toBe('bob');
  });
});

describe('rules of other users', () => {
  beforeAll(async () => {
    await data(bob, SAVE, {
      rule: { id: 'bob-cost', condition: { kind: 'absence', after: '10m' } },
    });
  });

  it('are neither listed, nor read, nor deleted, nor replaced by another user', async () => {
    const bobs = await data<{ alertRules: RuleAnswer[] }>(bob, `{ alertRules { id owner } }`);
    expect(bobs.alertRules).toEqual([
      { id: 'bob-cost', owner: 'bob' },
      { id: 'bob-slow', owner: 'bob' },
    ]);
    const read = await data<{ alertRule: RuleAnswer | null }>(
      bob,
      '{ alertRule(id: "alice-slow") { id } }',
    );
    expect(read.alertRule).toBeNull();

    const deleted = await data<{ deleteAlertRule: boolean }>(
      bob,
      'mutation { deleteAlertRule(id: "alice-slow") }',
    );
    expect(deleted.deleteAlertRule).toBe(false);
    expect((await storedRule('alice-slow'))?.owner).toBe('alice');

    const before = await storedRule('alice-slow');
    const replaced = await refused(bob, SAVE, { rule: slowRule('alice-slow') });
    expect(replaced[0].extensions).toMatchObject({ code: 'FORBIDDEN', argument: 'rule.id' });
    expect(replaced[0].message).toContain('rule "alice-slow": id: ');
    expect(await storedRule('alice-slow')).toEqual(before);
  });

  it('are all reached with the all permission, which keeps a rule’s owner when it replaces it', async () => {
    const all = await data<{ alertRules: RuleAnswer[] }>(admin, '{ alertRules { id owner } }');
    expect(all.alertRules.map((r) => `${r.owner}/${r.id}`)).toEqual([
      'alice/alice-slow',
      'bob/bob-cost',
      'bob/bob-slow',
    ]);
    const replaced = await data<{ saveAlertRule: RuleAnswer }>(admin, SAVE, {
      rule: { id: 'bob-cost', condition: { kind: 'absence', after: '20m' } },
    });
    expect(replaced.saveAlertRule.owner).toBe('bob');
    const stored = await storedRule('bob-cost');
    expect(stored?.rule.condition).toEqual({ kind: 'absence', after: 1_200_000 });
    // Stored as valid input: an absence rule takes no resolveAfter.
    expect(stored?.rule).not.toHaveProperty('resolveAfter');
  });

  it('deletes only your own rule, once', async () => {
    await data(alice, SAVE, { rule: slowRule('alice-temp') });
    const first = await data<{ deleteAlertRule: boolean }>(
      alice,
      'mutation { deleteAlertRule(id: "alice-temp") }',
    );
    const second = await data<{ deleteAlertRule: boolean }>(
      alice,
      'mutation { deleteAlertRule(id: "alice-temp") }',
    );
    expect([first.deleteAlertRule, second.deleteAlertRule]).toEqual([true, false]);
    expect(await storedRule('alice-temp')).toBeUndefined();
  });
});

/** Writes a transition as the evaluator would (the contract's AlertTransition as its body). */
async function insertTransition(t: {
  ruleId: string;
  owner: string;
  agentId: string | null;
  state: 'firing' | 'resolved';
  seq: number;
  silenced?: boolean;
}): Promise<string> {
  const key = t.agentId === null ? t.ruleId : `${t.ruleId}:${t.agentId}`;
  const at = new Date(Date.UTC(2026, 11, 3, 10, t.seq)).toISOString();
  const body = {
    rule_id: t.ruleId,
    rule_name: `name of ${t.ruleId}`,
    severity: 'critical',
    owner: t.owner,
    key,
    agent_id: t.agentId,
    state: t.state,
    value: 2150 + t.seq,
    threshold: 2000,
    window: { from: new Date(Date.parse(at) - 300_000).toISOString(), to: at },
    event_ids: [`e-${key}-${t.seq}`],
    at,
    seq: t.seq,
    silenced: t.silenced ?? false,
  };
  const { rows } = await db.query<{ alert_id: string }>(
    `INSERT INTO auren_alert_transitions (rule_id, key, seq, owner, agent_id, state, severity, at, body)
     VALUES ($1, $2, $3, $4, $5, $6, 'critical', $7, $8::jsonb) RETURNING alert_id`,
    [t.ruleId, key, t.seq, t.owner, t.agentId, t.state, at, JSON.stringify(body)],
  );
  return String(rows[0].alert_id);
}

async function updatesOf(alertId: string): Promise<Array<Record<string, unknown>>> {
  const { rows } = await db.query<{ body: Record<string, unknown> }>(
    'SELECT body FROM auren_alert_updates WHERE of_alert = $1 ORDER BY alert_id',
    [alertId],
  );
  return rows.map((row) => row.body);
}

describe('alerts', () => {
  // alice-slow:planner fired, resolved, fired again; alice-slow:coder fires; bob-slow:planner fires.
  const ids = { planner1: '', planner2: '', planner3: '', coder: '', bob: '' };
  const FIRING = `{ firingAlerts { ${ALERT_FIELDS} } }`;

  beforeAll(async () => {
    ids.planner1 = await insertTransition({
      ruleId: 'alice-slow',
      owner: 'alice',
      agentId: 'planner',
      state: 'firing',
      seq: 1,
    });
    ids.planner2 = await insertTransition({
      ruleId: 'alice-slow',
      owner: 'alice',
      agentId: 'planner',
      state: 'resolved',
      seq: 2,
    });
    ids.planner3 = await insertTransition({
      ruleId: 'alice-slow',
      owner: 'alice',
      agentId: 'planner',
      state: 'firing',
      seq: 3,
    });
    ids.coder = await insertTransition({
      ruleId: 'alice-slow',
      owner: 'alice',
      agentId: 'coder',
      state: 'firing',
      seq: 4,
    });
    ids.bob = await insertTransition({
      ruleId: 'bob-slow',
      owner: 'bob',
      agentId: 'planner',
      state: 'firing',
      seq: 5,
    });
  });

  it('lists what fires now, per viewer, from the stored transitions', async () => {
    const firing = async (who: string) =>
      (await data<{ firingAlerts: AlertAnswer[] }>(who, FIRING)).firingAlerts;
    expect((await firing(alice)).map((a) => a.alertId)).toEqual([ids.coder, ids.planner3]);
    expect((await firing(bob)).map((a) => a.alertId)).toEqual([ids.bob]);
    expect((await firing(admin)).map((a) => a.alertId)).toEqual([ids.bob, ids.coder, ids.planner3]);
    // A token limited to the agent coder sees no alert about planner.
    expect((await firing(aliceCoder)).map((a) => a.alertId)).toEqual([ids.coder]);

    const [, planner] = await firing(alice);
    expect(planner).toEqual({
      alertId: ids.planner3,
      ruleId: 'alice-slow',
      ruleName: 'name of alice-slow',
      severity: 'CRITICAL',
      owner: 'alice',
      key: 'alice-slow:planner',
      agentId: 'planner',
      state: 'FIRING',
      value: 2153,
      threshold: 2000,
      window: { from: '2026-12-03T09:58:00.000Z', to: '2026-12-03T10:03:00.000Z' },
      eventIds: ['e-alice-slow:planner-3'],
      at: '2026-12-03T10:03:00.000Z',
      seq: 3,
      reason: null,
      silenced: false,
      acknowledged: false,
    });
  });

  it('pages through the history newest first, with filters, within the viewer’s alerts', async () => {
    const PAGE = `query P($ruleId: String, $state: AlertState, $first: Int, $after: String) {
      alerts(ruleId: $ruleId, state: $state, first: $first, after: $after) {
        edges { cursor node { alertId state } } pageInfo { hasNextPage endCursor } } }`;
    type Page = {
      alerts: {
        edges: Array<{ cursor: string; node: { alertId: string; state: string } }>;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    };
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page: Page = await data<Page>(alice, PAGE, { first: 3, after });
      seen.push(...page.alerts.edges.map((e) => e.node.alertId));
      expect(page.alerts.edges.map((e) => e.cursor)).toEqual(
        page.alerts.edges.map((e) => e.node.alertId),
      );
      if (!page.alerts.pageInfo.hasNextPage) break;
      after = page.alerts.pageInfo.endCursor;
    }
    expect(seen).toEqual([ids.coder, ids.planner3, ids.planner2, ids.planner1]);

    const resolved = await data<Page>(alice, PAGE, { state: 'RESOLVED' });
    expect(resolved.alerts.edges.map((e) => e.node)).toEqual([
      { alertId: ids.planner2, state: 'RESOLVED' },
    ]);
    const bobsRule = await data<Page>(alice, PAGE, { ruleId: 'bob-slow' });
    expect(bobsRule.alerts.edges).toEqual([]);
    const admins = await data<Page>(admin, PAGE, { ruleId: 'bob-slow' });
    expect(admins.alerts.edges.map((e) => e.node.alertId)).toEqual([ids.bob]);
    const coderOnly = await data<Page>(aliceCoder, PAGE, {});
    expect(coderOnly.alerts.edges.map((e) => e.node.alertId)).toEqual([ids.coder]);
  });

  it('refuses a bad page size or cursor with BAD_USER_INPUT', async () => {
    for (const [variables, argument] of [
      [{ first: 0 }, 'first'],
      [{ first: 501 }, 'first'],
      [{ after: 'abc' }, 'after'],
      [{ after: '99999999999999999999' }, 'after'],
    ] as const) {
      const errors = await refused(
        alice,
        'query($first: Int, $after: String) { alerts(first: $first, after: $after) { edges { cursor } } }',
        variables,
      );
      expect(errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
    }
  });

  describe('acknowledgeAlert', () => {
    const ACK = `mutation A($id: String!, $comment: String) {
      acknowledgeAlert(alertId: $id, comment: $comment) { alertId acknowledged state } }`;

    it('is refused for another user’s alert, an agent the token may not watch, an old transition', async () => {
      for (const [who, id] of [
        [bob, ids.planner3],
        [aliceCoder, ids.planner3],
        [alice, ids.planner1],
        [alice, ids.planner2],
        [alice, '987654321'],
      ] as const) {
        const errors = await refused(who, ACK, { id });
        expect(errors[0].extensions).toMatchObject({ code: 'NOT_FOUND', argument: 'alertId' });
      }
      const malformed = await refused(alice, ACK, { id: 'x' });
      expect(malformed[0].extensions.code).toBe('BAD_USER_INPUT');
      const { rows } = await db.query('SELECT * FROM auren_alert_acks');
      expect(rows).toEqual([]);
      expect(await updatesOf(ids.planner3)).toEqual([]);
    });

    it('marks the owner’s firing alert once, and queues one update for the dashboards', async () => {
      const acked = await data<{ acknowledgeAlert: AlertAnswer }>(alice, ACK, {
        id: ids.planner3,
        comment: 'on it',
      });
      expect(acked.acknowledgeAlert).toEqual({
        alertId: ids.planner3,
        acknowledged: true,
        state: 'FIRING',
      });
      const again = await data<{ acknowledgeAlert: AlertAnswer }>(alice, ACK, { id: ids.planner3 });
      expect(again.acknowledgeAlert.acknowledged).toBe(true);

      const { rows } = await db.query<{ by_user: string; comment: string | null }>(
        'SELECT by_user, comment FROM auren_alert_acks WHERE alert_id = $1',
        [ids.planner3],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].by_user).toBe('alice');
      const updates = await updatesOf(ids.planner3);
      expect(updates).toHaveLength(1);
      expect(updates[0]).toMatchObject({
        acknowledged: true,
        silenced: false,
        key: 'alice-slow:planner',
        state: 'firing',
      });

      const firing = await data<{ firingAlerts: AlertAnswer[] }>(alice, FIRING);
      expect(firing.firingAlerts.map((a) => [a.alertId, a.acknowledged])).toEqual([
        [ids.coder, false],
        [ids.planner3, true],
      ]);
    });
  });

  describe('silences', () => {
    const SILENCE = `mutation S($ruleId: String, $agentId: String, $duration: String, $until: DateTime, $reason: String) {
      silenceAlerts(ruleId: $ruleId, agentId: $agentId, duration: $duration, until: $until, reason: $reason) {
        id owner ruleId agentId endsAt active reason } }`;
    const LIST =
      'query L($activeOnly: Boolean!) { alertSilences(activeOnly: $activeOnly) { id owner ruleId agentId active } }';
    type SilenceAnswer = {
      id: string;
      owner: string;
      ruleId: string | null;
      agentId: string | null;
      endsAt: string;
      active: boolean;
    };
    let silenceId = '';

    it('silences a rule and an agent of one’s own, and queues the firing alerts it covers', async () => {
      const started = Date.now();
      const { silenceAlerts } = await data<{ silenceAlerts: SilenceAnswer }>(alice, SILENCE, {
        ruleId: 'alice-slow',
        agentId: 'coder',
        duration: '30m',
        reason: 'deploying the coder',
      });
      silenceId = silenceAlerts.id;
      expect(silenceAlerts).toMatchObject({
        owner: 'alice',
        ruleId: 'alice-slow',
        agentId: 'coder',
        active: true,
      });
      const ends = Date.parse(silenceAlerts.endsAt);
      expect(ends).toBeGreaterThanOrEqual(started + 30 * 60_000 - 1000);
      expect(ends).toBeLessThanOrEqual(Date.now() + 30 * 60_000 + 1000);

      expect(await updatesOf(ids.coder)).toEqual([
        expect.objectContaining({ silenced: true, acknowledged: false, key: 'alice-slow:coder' }),
      ]);
      // The planner alert of the same rule is not covered: only its acknowledgement update.
      expect(await updatesOf(ids.planner3)).toHaveLength(1);
      const firing = await data<{ firingAlerts: AlertAnswer[] }>(alice, FIRING);
      expect(firing.firingAlerts.map((a) => [a.alertId, a.silenced])).toEqual([
        [ids.coder, true],
        [ids.planner3, false],
      ]);
    });

    it('lists silences per owner; all sees every one', async () => {
      const until = new Date(Date.now() + 3_600_000).toISOString();
      const bobs = await data<{ silenceAlerts: SilenceAnswer }>(bob, SILENCE, {
        agentId: 'planner',
        until,
      });
      expect(bobs.silenceAlerts).toMatchObject({
        owner: 'bob',
        ruleId: null,
        agentId: 'planner',
        endsAt: until,
      });
      // It covers bob's own alert on planner, not alice's.
      expect(await updatesOf(ids.bob)).toEqual([expect.objectContaining({ silenced: true })]);
      expect((await updatesOf(ids.planner3)).map((u) => u.silenced)).toEqual([false]);
      await db.query(
        `INSERT INTO auren_alert_silences (owner, rule_id, ends_at) VALUES ('alice', 'alice-slow', now() - interval '1 hour')`,
      );
      const list = async (who: string, activeOnly: boolean) =>
        (await data<{ alertSilences: SilenceAnswer[] }>(who, LIST, { activeOnly })).alertSilences;
      expect((await list(alice, true)).map((s) => s.id)).toEqual([silenceId]);
      const everything = await list(alice, false);
      expect(everything.map((s) => [s.owner, s.active])).toEqual([
        ['alice', false],
        ['alice', true],
      ]);
      expect((await list(bob, true)).map((s) => s.id)).toEqual([bobs.silenceAlerts.id]);
      expect((await list(admin, true)).map((s) => s.id).sort()).toEqual(
        [bobs.silenceAlerts.id, silenceId].sort(),
      );
    });

    it('refuses another user’s rule, a silence of nothing, and bad ends', async () => {
      const notYours = await refused(bob, SILENCE, { ruleId: 'alice-slow', duration: '1h' });
      expect(notYours[0].extensions).toMatchObject({ code: 'NOT_FOUND', argument: 'ruleId' });
      const past = new Date(Date.now() - 60_000).toISOString();
      const far = new Date(Date.now() + 31 * 86_400_000).toISOString();
      for (const [variables, argument] of [
        [{ duration: '1h' }, 'ruleId'],
        [{ agentId: 'planner', duration: '30s' }, 'duration'],
        [{ agentId: 'planner', duration: '31d' }, 'duration'],
        [{ agentId: 'planner', duration: 'soon' }, 'duration'],
        [{ agentId: 'planner' }, 'duration'],
        [{ agentId: 'planner', duration: '1h', until: far }, 'duration'],
        [{ agentId: 'planner', until: past }, 'until'],
        [{ agentId: 'planner', until: far }, 'until'],
        [{ agentId: '', duration: '1h' }, 'agentId'],
      ] as const) {
        const errors = await refused(alice, SILENCE, variables);
        expect({ variables, ...errors[0].extensions }).toMatchObject({
          variables,
          code: 'BAD_USER_INPUT',
          argument,
        });
      }
      const { rows } = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM auren_alert_silences WHERE owner = 'alice'",
      );
      expect(rows[0].n).toBe(2);
    });

    it('deletes only one’s own silence, and queues the alerts it no longer covers', async () => {
      const DELETE = 'mutation D($id: String!) { deleteSilence(id: $id) }';
      expect(
        (await data<{ deleteSilence: boolean }>(bob, DELETE, { id: silenceId })).deleteSilence,
      ).toBe(false);
      expect((await refused(alice, DELETE, { id: 'one' }))[0].extensions.code).toBe(
        'BAD_USER_INPUT',
      );
      expect(
        (await data<{ deleteSilence: boolean }>(alice, DELETE, { id: silenceId })).deleteSilence,
      ).toBe(true);
      expect(
        (await data<{ deleteSilence: boolean }>(alice, DELETE, { id: silenceId })).deleteSilence,
      ).toBe(false);
      const updates = await updatesOf(ids.coder);
      expect(updates.map((u) => u.silenced)).toEqual([true, false]);
      const firing = await data<{ firingAlerts: AlertAnswer[] }>(alice, FIRING);
      expect(firing.firingAlerts.find((a) => a.alertId === ids.coder)?.silenced).toBe(false);
    });
  });

  describe('webhook dead letters', () => {
    const DEAD = `{ webhookDeadLetters { alertId url format owner attempts lastError lastStatus failedAt alert { alertId key } } }`;
    type Dead = {
      alertId: string;
      url: string;
      owner: string;
      attempts: number;
      lastError: string | null;
      lastStatus: number | null;
    };

    beforeAll(async () => {
      const insert = (alertId: string, url: string, owner: string, status: string) =>
        db.query(
          `INSERT INTO auren_alert_webhooks (alert_id, url, format, secret, owner, payload, status, attempts, last_error, last_status)
           VALUES ($1, $2, 'json', $3, $4, '{"signed":"body"}', $5, 8, 'HTTP 500 from the receiver', 500)`,
          [alertId, url, DEAD_SECRET, owner, status],
        );
      await insert(ids.planner3, 'https://hooks.example.com/alice', 'alice', 'dead');
      await insert(ids.coder, 'https://hooks.example.com/alice', 'alice', 'pending');
      await insert(ids.bob, 'https://hooks.example.com/bob', 'bob', 'dead');
    });

    it('lists the failed deliveries of one’s own alerts, never their secret', async () => {
      const answer = await gql<{ webhookDeadLetters: Dead[] }>(alice, DEAD);
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body.data!.webhookDeadLetters).toEqual([
        expect.objectContaining({
          alertId: ids.planner3,
          url: 'https://hooks.example.com/alice',
          format: 'JSON',
          owner: 'alice',
          attempts: 8,
          lastError: 'HTTP 500 from the receiver',
          lastStatus: 500,
          alert: { alertId: ids.planner3, key: 'alice-slow:planner' },
        }),
      ]);
      expect(JSON.stringify(answer.body)).not.toContain(DEAD_SECRET);
      const bobs = await data<{ webhookDeadLetters: Dead[] }>(bob, DEAD);
      expect(bobs.webhookDeadLetters.map((d) => d.alertId)).toEqual([ids.bob]);
      const all = await gql<{ webhookDeadLetters: Dead[] }>(admin, DEAD);
      expect(all.body.data!.webhookDeadLetters.map((d) => d.alertId)).toEqual([
        ids.bob,
        ids.planner3,
      ]);
      expect(JSON.stringify(all.body)).not.toContain(DEAD_SECRET);
      const secret = await refused(alice, '{ webhookDeadLetters { secret } }');
      expect(secret[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    });

    it('puts back in the queue only one’s own dead letter', async () => {
      const RETRY =
        'mutation R($id: String!, $url: String!) { retryDeadLetter(alertId: $id, url: $url) }';
      const variables = { id: ids.planner3, url: 'https://hooks.example.com/alice' };
      expect(
        (await data<{ retryDeadLetter: boolean }>(bob, RETRY, variables)).retryDeadLetter,
      ).toBe(false);
      const status = async () =>
        (
          await db.query<{ status: string; attempts: number }>(
            'SELECT status, attempts FROM auren_alert_webhooks WHERE alert_id = $1',
            [ids.planner3],
          )
        ).rows[0];
      expect(await status()).toEqual({ status: 'dead', attempts: 8 });
      expect(
        (await data<{ retryDeadLetter: boolean }>(alice, RETRY, variables)).retryDeadLetter,
      ).toBe(true);
      expect(await status()).toEqual({ status: 'pending', attempts: 0 });
      expect((await data<{ webhookDeadLetters: Dead[] }>(alice, DEAD)).webhookDeadLetters).toEqual(
        [],
      );
    });
  });
});

describe('a user’s webhook', () => {
  const SET = `mutation W($url: String!, $format: WebhookFormat!, $secret: String!) {
    setAlertWebhook(url: $url, format: $format, secret: $secret) { url format } }`;
  const MINE = '{ myAlertWebhook { url format } }';

  it('is set, read back without its secret, kept per user, and deleted', async () => {
    expect((await data<{ myAlertWebhook: unknown }>(alice, MINE)).myAlertWebhook).toBeNull();
    const set = await gql(alice, SET, {
      url: 'https://hooks.slack.example.com/T1/B2',
      format: 'SLACK',
      secret: USER_SECRET,
    });
    expect(set.body).toEqual({
      data: { setAlertWebhook: { url: 'https://hooks.slack.example.com/T1/B2', format: 'SLACK' } },
    });
    const mine = await gql(alice, MINE);
    expect(mine.body).toEqual({
      data: { myAlertWebhook: { url: 'https://hooks.slack.example.com/T1/B2', format: 'SLACK' } },
    });
    expect(JSON.stringify(mine.body)).not.toContain(USER_SECRET);
    const { rows } = await db.query<{ owner: string; secret: string; format: string }>(
      'SELECT owner, secret, format FROM auren_alert_user_webhooks',
    );
    expect(rows).toEqual([{ owner: 'alice', secret: USER_SECRET, format: 'slack' }]);
    expect((await data<{ myAlertWebhook: unknown }>(bob, MINE)).myAlertWebhook).toBeNull();
    expect((await refused(alice, '{ myAlertWebhook { secret } }'))[0].extensions.code).toBe(
      'GRAPHQL_VALIDATION_FAILED',
    );

    const DELETE = 'mutation { deleteAlertWebhook }';
    expect((await data<{ deleteAlertWebhook: boolean }>(bob, DELETE)).deleteAlertWebhook).toBe(
      false,
    );
    expect((await data<{ deleteAlertWebhook: boolean }>(alice, DELETE)).deleteAlertWebhook).toBe(
      true,
    );
    expect((await data<{ myAlertWebhook: unknown }>(alice, MINE)).myAlertWebhook).toBeNull();
    expect((await db.query('SELECT 1 FROM auren_alert_user_webhooks')).rows).toEqual([]);
  });

  it('refuses a bad URL or a short secret, without repeating the secret', async () => {
    for (const [url, secret, argument, reason] of [
      ['ftp://hooks.example.com/x', USER_SECRET, 'url', /http or https/],
      ['http://169.254.169.254/latest', USER_SECRET, 'url', /metadata/],
      ['http://[fe80::1]/hook', USER_SECRET, 'url', /link-local/],
      ['http://127.0.0.1:9000/hook', USER_SECRET, 'url', /loopback/],
      ['https://hooks.example.com/x', 'short-secret', 'secret', /16 to 512/],
    ] as const) {
      const errors = await refused(alice, SET, { url, format: 'JSON', secret });
      expect(errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
      expect(errors[0].message).toMatch(reason);
      expect(errors[0].message).not.toContain(secret);
    }
    expect((await db.query('SELECT 1 FROM auren_alert_user_webhooks')).rows).toEqual([]);
  });
});

describe('credentials', () => {
  it('answers UNAUTHENTICATED (401) to a bad token, for queries and mutations alike', async () => {
    const bad = signHs({ sub: 'alice' }, 'another-secret-of-at-least-32-characters!!', {
      exp: null,
    });
    for (const query of [
      '{ alertRules { id } }',
      '{ firingAlerts { alertId } }',
      'mutation { deleteAlertRule(id: "alice-slow") }',
    ]) {
      const answer = await gql(bad, query);
      expect(answer.status).toBe(401);
      expect(answer.body.errors![0].extensions).toMatchObject({
        code: 'UNAUTHENTICATED',
        reason: 'AUTH_FAILED',
      });
    }
    const save = await gql(bad, SAVE, { rule: slowRule('intruder') });
    expect(save.status).toBe(401);
    expect(await storedRule('intruder')).toBeUndefined();
    expect((await storedRule('alice-slow'))?.owner).toBe('alice');
  });

  it('runs no mutation sent with GET', async () => {
    const query = encodeURIComponent('mutation { deleteAlertRule(id: "alice-slow") }');
    const response = await fetch(`${api.url}/graphql?query=${query}`, {
      headers: { authorization: `Bearer ${alice}` },
    });
    expect(response.status).toBe(405);
    const body = (await response.json()) as GraphqlAnswer['body'];
    expect(body.errors?.[0].extensions.code).toBe('BAD_REQUEST');
    expect((await storedRule('alice-slow'))?.owner).toBe('alice');
  });

  it('refuses test tokens and missing credentials in production mode', async () => {
    const prod = await startHistoryApi(await historyConfig({ NODE_ENV: 'production' }), db);
    try {
      for (const who of ['test-token-123', undefined]) {
        const answer = await prod.query(SAVE, {
          token: who,
          variables: { rule: slowRule('prod-test') },
        });
        expect(answer.status).toBe(401);
        expect(answer.body.errors![0].extensions.code).toBe('UNAUTHENTICATED');
      }
      expect(await storedRule('prod-test')).toBeUndefined();
      // Production refuses private webhook addresses by default.
      const jwt = signHs({ sub: 'alice' }, GQL_SECRET);
      const privateHook = await prod.query(SAVE, {
        token: jwt,
        variables: {
          rule: slowRule('prod-private', { webhook: { url: 'http://192.168.1.10/hook' } }),
        },
      });
      expect(privateHook.body.errors![0].extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        argument: 'rule.webhook.url',
      });
    } finally {
      await prod.close();
    }
  });
});
