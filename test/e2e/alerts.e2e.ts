import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client as PgClient } from 'pg';
import { verifyWebhook, WEBHOOK_SIGNATURE_HEADER } from '@auren/alerts';
import type { AlertMessage, AlertTransition } from '@auren/contracts';
import { AppProcess, postJson } from '../harness/apps';
import { connectClient, type ConnectedClient } from '../harness/clients';
import { signHs } from '../harness/jwt';
import { freePort } from '../harness/ports';
import { createDatabase } from '../harness/postgres';
import { waitFor } from '../harness/wait';

const SECRET = 'alerts-e2e-jwt-secret-of-at-least-32-characters';
const HOOK_SECRET = 'alerts-e2e-webhook-secret';

/** A local webhook receiver: verifies every signature, records what it accepted, per path. */
class Receiver {
  readonly accepted = new Map<string, Array<{ state: string; key: string; deliveryId: string }>>();
  readonly attempts = new Map<string, number>();
  readonly badSignatures: string[] = [];
  /** Per path: answers before the first 200 ('hang' never answers, a number is a status). */
  readonly script = new Map<string, Array<'hang' | number>>();
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async handle(req: IncomingMessage, res: import('node:http').ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    const path = req.url ?? '/';
    this.attempts.set(path, (this.attempts.get(path) ?? 0) + 1);
    const next = this.script.get(path)?.shift();
    if (next === 'hang') return; // never answers: the sender's timeout ends it
    if (typeof next === 'number') {
      res.writeHead(next).end();
      return;
    }
    const check = verifyWebhook(
      HOOK_SECRET,
      String(req.headers[WEBHOOK_SIGNATURE_HEADER.toLowerCase()] ?? ''),
      body,
      Date.now(),
    );
    if (!check.ok) {
      this.badSignatures.push(`${path}: ${JSON.stringify(check)}`);
      res.writeHead(401).end();
      return;
    }
    const payload = JSON.parse(body) as { state: string; key: string; delivery_id: string };
    const list = this.accepted.get(path) ?? [];
    list.push({ state: payload.state, key: payload.key, deliveryId: payload.delivery_id });
    this.accepted.set(path, list);
    res.writeHead(200).end('ok');
  }

  got(path: string): Array<{ state: string; key: string }> {
    return this.accepted.get(path) ?? [];
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A client subscribed to `alerts` only, recording every alert message in order. */
async function alertClient(url: string, token: string) {
  const client = await connectClient(url, { token, subscriptions: ['alerts'] });
  const alerts: AlertMessage[] = [];
  client.socket.on('alert_fired', (message) => alerts.push(message));
  client.socket.on('alert_resolved', (message) => alerts.push(message));
  client.socket.on('alert_updated', (message) => alerts.push(message));
  return { client, alerts };
}

const statesOf = (alerts: AlertMessage[], key: string) =>
  alerts.filter((m) => m.alert.key === key).map((m) => m.type);

/**
 * Issue 12 "How it will be checked": rules created through the GraphQL API, events posted through
 * a real ingest, a real gateway and real socket.io-clients subscribed to `alerts`, a local webhook
 * receiver verifying signatures: each crossing gives exactly one fired and one resolved, to the
 * owner's dashboard and webhook; another user's client gets none. Two history (evaluator)
 * replicas, the leader SIGKILLed while an alert fires: still exactly once. Webhooks that hang,
 * answer 500 or are down are retried and delivered once, or dead-lettered.
 */
describe('Alerts end to end: Redis, PostgreSQL, ingest, gateway, two evaluators', () => {
  const redisUrl = process.env.AUREN_TEST_REDIS_URL as string;
  const key = `e2e:alerts:${Date.now()}:events`;
  const receiver = new Receiver();
  let ingest: AppProcess;
  let gateway: AppProcess;
  let evaluators: AppProcess[];
  let ingestUrl: string;
  let gatewayUrl: string;
  let historyUrls: string[];
  let databaseUrl: string;
  let alice: { client: ConnectedClient; alerts: AlertMessage[] };
  let bob: { client: ConnectedClient; alerts: AlertMessage[] };
  let admin: { client: ConnectedClient; alerts: AlertMessage[] };
  const tokens = {
    alice: signHs({ sub: 'alice' }, SECRET),
    bob: signHs({ sub: 'bob' }, SECRET),
    admin: signHs({ sub: 'ops', permissions: ['all'] }, SECRET),
  };

  async function graphql(
    who: keyof typeof tokens,
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<{ data?: Record<string, unknown>; errors?: Array<{ message: string }> }> {
    for (const url of historyUrls) {
      try {
        const response = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[who]}` },
          body: JSON.stringify({ query, variables }),
        });
        return (await response.json()) as { data?: Record<string, unknown> };
      } catch {
        // That replica is gone (SIGKILLed): ask the other.
      }
    }
    throw new Error('no history replica answers');
  }

  async function saveRule(who: keyof typeof tokens, rule: Record<string, unknown>) {
    const answer = await graphql(
      who,
      'mutation S($rule: JSON!) { saveAlertRule(rule: $rule) { id owner } }',
      { rule },
    );
    expect(answer.errors).toBeUndefined();
    return answer.data?.saveAlertRule as { id: string; owner: string };
  }

  async function post(events: Array<Record<string, unknown>>): Promise<void> {
    const reply = await postJson(`${ingestUrl}/v1/events/batch`, { events });
    expect(reply.status).toBe(202);
  }

  const leaderIndex = async (): Promise<number> => {
    for (const [i, url] of historyUrls.entries()) {
      const text = await fetch(`${url}/metrics`)
        .then((r) => r.text())
        .catch(() => '');
      if (/^auren_alert_leader 1$/m.test(text)) return i;
    }
    return -1;
  };

  beforeAll(async () => {
    await receiver.start();
    databaseUrl = await createDatabase('alerts');
    const env = { REDIS_URL: redisUrl, AUREN_STREAM_KEY: key, AUREN_JWT_SECRET: SECRET };
    const [ingestPort, gatewayPort, ...historyPorts] = await Promise.all(
      [0, 1, 2, 3].map(() => freePort()),
    );
    ingest = AppProcess.spawn('ingest', { ...env, INGEST_PORT: String(ingestPort) });
    gateway = AppProcess.spawn('gateway', { ...env, GATEWAY_PORT: String(gatewayPort) });
    evaluators = historyPorts.map((port) =>
      AppProcess.spawn('history', {
        ...env,
        HISTORY_PORT: String(port),
        DATABASE_URL: databaseUrl,
        AUREN_ALERT_TICK_MS: '200',
        AUREN_ALERT_WEBHOOK_TIMEOUT_MS: '500',
        AUREN_ALERT_WEBHOOK_RETRY_BASE_MS: '100',
        AUREN_ALERT_WEBHOOK_RETRY_SPAN_MS: '1500',
        AUREN_ALERT_WEBHOOK_MAX_ATTEMPTS: '4',
      }),
    );
    ingestUrl = `http://127.0.0.1:${ingestPort}`;
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    historyUrls = historyPorts.map((port) => `http://127.0.0.1:${port}`);
    await ingest.ready(`${ingestUrl}/health/ready`);
    await gateway.ready(`${gatewayUrl}/health/ready`);
    await Promise.all(evaluators.map((e, i) => e.ready(`${historyUrls[i]}/health/ready`, 60_000)));
    await waitFor(async () => (await leaderIndex()) >= 0, {
      timeoutMs: 20_000,
      what: 'one evaluator to lead',
    });
    [alice, bob, admin] = await Promise.all([
      alertClient(gatewayUrl, tokens.alice),
      alertClient(gatewayUrl, tokens.bob),
      alertClient(gatewayUrl, tokens.admin),
    ]);
  }, 120_000);

  afterAll(async () => {
    if (process.env.AUREN_DEBUG_ALERTS) {
      for (const url of historyUrls) {
        const text = await fetch(`${url}/metrics`)
          .then((r) => r.text())
          .catch(() => '');
        console.log(
          text
            .split('\n')
            .filter((l) => l.startsWith('auren_alert'))
            .join('\n'),
        );
      }
      for (const e of evaluators) console.log(e.text.slice(-4000));
      console.log(gateway.text.slice(-3000));
      const db = new PgClient({ connectionString: databaseUrl });
      await db.connect();
      console.log(
        JSON.stringify(
          (await db.query('SELECT alert_id, key, state, published FROM auren_alert_transitions'))
            .rows,
        ),
      );
      console.log(
        JSON.stringify((await db.query('SELECT id, owner, access FROM auren_alert_rules')).rows),
      );
      await db.end();
    }
    for (const c of [alice, bob, admin]) c?.client.close();
    await Promise.all([ingest, gateway, ...evaluators].map((p) => p?.stop()));
    await receiver.close();
  });

  it('fires and resolves each condition exactly once, to the owner (dashboard and signed webhook) and to `all`, never to another user', async () => {
    const hook = (path: string) => ({
      url: `${receiver.url}${path}`,
      format: 'json',
      secret: HOOK_SECRET,
    });
    await saveRule('alice', {
      id: 'tool-fail',
      name: 'Tool failed',
      severity: 'warning',
      scope: { agents: ['agent-m'] },
      condition: { kind: 'match', filter: { eventTypes: ['tool_usage'], success: false } },
      resolveAfter: '2s',
      webhook: hook('/match'),
    });
    await saveRule('alice', {
      id: 'cost',
      name: 'Cost runaway',
      severity: 'critical',
      scope: { agents: ['agent-c'] },
      condition: { kind: 'threshold', metric: 'cost_sum', op: '>', value: 1, window: '3s' },
      webhook: hook('/cost'),
    });
    await saveRule('alice', {
      id: 'stalled',
      name: 'Agent stalled',
      severity: 'info',
      scope: { agents: ['agent-a'] },
      condition: { kind: 'absence', after: '2s' },
      webhook: hook('/absence'),
    });
    // Bob's rule would match alice's events if it could see them.
    await saveRule('bob', {
      id: 'bob-tool-fail',
      name: 'Bob: tool failed',
      severity: 'warning',
      condition: { kind: 'match', filter: { eventTypes: ['tool_usage'], success: false } },
      resolveAfter: '1s',
      webhook: hook('/bob'),
    });
    // The evaluator picks rule changes up within a second.
    await waitFor(
      async () => {
        const i = await leaderIndex();
        const text = await fetch(`${historyUrls[i]}/metrics`).then((r) => r.text());
        return /^auren_alert_rules_loaded 4$/m.test(text);
      },
      { timeoutMs: 10_000, what: 'the 4 rules loaded' },
    );

    const mine = { user_id: 'alice' };
    await post([
      {
        ...mine,
        event_type: 'tool_usage',
        source_agent: { id: 'agent-m' },
        performance_metrics: { success: false },
      },
      ...[1, 2, 3].map(() => ({
        ...mine,
        event_type: 'llm_call',
        source_agent: { id: 'agent-c' },
        performance_metrics: { token_cost: 0.5, success: true },
      })),
      { ...mine, event_type: 'agent_execution_started', source_agent: { id: 'agent-a' } },
    ]);
    const keys = ['tool-fail:agent-m', 'cost:agent-c', 'stalled:agent-a'];
    for (const k of ['tool-fail:agent-m', 'cost:agent-c', 'stalled:agent-a']) {
      await waitFor(() => statesOf(alice.alerts, k).includes('alert_fired'), {
        timeoutMs: 15_000,
        what: `${k} fired at alice`,
      });
    }
    // The stalled agent speaks again: the absence resolves.
    await post([{ ...mine, event_type: 'agent_decision', source_agent: { id: 'agent-a' } }]);
    for (const k of keys) {
      await waitFor(() => statesOf(alice.alerts, k).includes('alert_resolved'), {
        timeoutMs: 20_000,
        what: `${k} resolved at alice`,
      });
    }
    // Bob's marker: his own event, which his rule sees; it is published after alice's alerts.
    await post([
      {
        user_id: 'bob',
        event_type: 'tool_usage',
        source_agent: { id: 'agent-b' },
        performance_metrics: { success: false },
      },
    ]);
    await waitFor(() => statesOf(bob.alerts, 'bob-tool-fail:agent-b').includes('alert_fired'), {
      timeoutMs: 15_000,
      what: "bob's own alert",
    });
    for (const k of keys) {
      expect([k, statesOf(alice.alerts, k)]).toEqual([k, ['alert_fired', 'alert_resolved']]);
      expect([k, statesOf(admin.alerts, k)]).toEqual([k, ['alert_fired', 'alert_resolved']]);
      expect([k, statesOf(bob.alerts, k)]).toEqual([k, []]);
    }
    expect(bob.alerts.every((m) => m.alert.owner === 'bob')).toBe(true);
    expect(alice.alerts.every((m) => m.alert.owner === 'alice')).toBe(true);
    const fired = alice.alerts.find((m) => m.alert.key === 'cost:agent-c')
      ?.alert as AlertTransition;
    expect(fired.value).toBeGreaterThan(1);
    expect(fired.event_ids.length).toBeGreaterThanOrEqual(2);

    for (const path of ['/match', '/cost', '/absence']) {
      await waitFor(() => receiver.got(path).length >= 2, {
        timeoutMs: 10_000,
        what: `2 webhooks at ${path}`,
      });
      expect(receiver.got(path).map((h) => h.state)).toEqual(['firing', 'resolved']);
    }
    expect(receiver.got('/bob').every((h) => h.key.startsWith('bob-tool-fail:agent-b'))).toBe(true);
    expect(receiver.badSignatures).toEqual([]);
  }, 90_000);

  it('a leader SIGKILLed while an alert fires: its successor resolves it; exactly one fired and one resolved reach the client and the webhook', async () => {
    await saveRule('alice', {
      id: 'takeover',
      name: 'Takeover',
      severity: 'critical',
      scope: { agents: ['agent-k'] },
      condition: { kind: 'match', filter: { eventTypes: ['tool_usage'], success: false } },
      resolveAfter: '4s',
      webhook: { url: `${receiver.url}/takeover`, format: 'json', secret: HOOK_SECRET },
    });
    const before = await leaderIndex();
    await waitFor(
      async () => {
        const text = await fetch(`${historyUrls[before]}/metrics`).then((r) => r.text());
        return /^auren_alert_rules_loaded 5$/m.test(text);
      },
      { timeoutMs: 10_000, what: 'the takeover rule loaded' },
    );
    await post([
      {
        user_id: 'alice',
        event_type: 'tool_usage',
        source_agent: { id: 'agent-k' },
        performance_metrics: { success: false },
      },
    ]);
    await waitFor(() => statesOf(alice.alerts, 'takeover:agent-k').includes('alert_fired'), {
      timeoutMs: 15_000,
      what: 'takeover fired',
    });
    await evaluators[before].stop('SIGKILL');
    const survivor = 1 - before;
    await waitFor(async () => (await leaderIndex()) === survivor, {
      timeoutMs: 20_000,
      what: 'the other evaluator to lead',
    });
    await waitFor(() => statesOf(alice.alerts, 'takeover:agent-k').includes('alert_resolved'), {
      timeoutMs: 20_000,
      what: 'takeover resolved by the successor',
    });
    await waitFor(() => receiver.got('/takeover').length >= 2, {
      timeoutMs: 10_000,
      what: 'both webhooks',
    });
    // Anything sent twice would be there by now: one more alert of the same client goes after it.
    await post([
      {
        user_id: 'alice',
        event_type: 'tool_usage',
        source_agent: { id: 'agent-m' },
        performance_metrics: { success: false },
      },
    ]);
    await waitFor(
      () =>
        statesOf(alice.alerts, 'tool-fail:agent-m').filter((s) => s === 'alert_fired').length === 2,
      { timeoutMs: 15_000, what: 'a later alert after the takeover' },
    );
    expect(statesOf(alice.alerts, 'takeover:agent-k')).toEqual(['alert_fired', 'alert_resolved']);
    expect(receiver.got('/takeover').map((h) => h.state)).toEqual(['firing', 'resolved']);
    const db = new PgClient({ connectionString: databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ state: string }>(
        "SELECT state FROM auren_alert_transitions WHERE key = 'takeover:agent-k' ORDER BY alert_id",
      );
      expect(rows.map((r) => r.state)).toEqual(['firing', 'resolved']);
    } finally {
      await db.end();
    }
  }, 90_000);

  it('webhooks that hang, answer 500 or refuse connections are retried and delivered once, or dead-lettered; evaluation goes on meanwhile', async () => {
    receiver.script.set('/flaky', ['hang', 500]);
    const deadPort = await freePort(); // nothing listens there
    await saveRule('alice', {
      id: 'flaky',
      name: 'Flaky receiver',
      severity: 'warning',
      scope: { agents: ['agent-f'] },
      condition: { kind: 'match', filter: { eventTypes: ['tool_usage'], success: false } },
      resolveAfter: '30s',
      webhook: { url: `${receiver.url}/flaky`, format: 'json', secret: HOOK_SECRET },
    });
    await saveRule('alice', {
      id: 'unreachable',
      name: 'Unreachable receiver',
      severity: 'warning',
      scope: { agents: ['agent-d'] },
      condition: { kind: 'match', filter: { eventTypes: ['tool_usage'], success: false } },
      resolveAfter: '30s',
      webhook: { url: `http://127.0.0.1:${deadPort}/down`, format: 'json', secret: HOOK_SECRET },
    });
    const leader = await leaderIndex();
    await waitFor(
      async () => {
        const text = await fetch(`${historyUrls[leader]}/metrics`).then((r) => r.text());
        return /^auren_alert_rules_loaded 7$/m.test(text);
      },
      { timeoutMs: 10_000, what: 'the webhook rules loaded' },
    );
    const fail = (agent: string) => ({
      user_id: 'alice',
      event_type: 'tool_usage',
      source_agent: { id: agent },
      performance_metrics: { success: false },
    });
    await post([fail('agent-f'), fail('agent-d')]);
    // While both deliveries fail, another alert is evaluated and delivered at once.
    await saveRule('alice', {
      id: 'prompt',
      name: 'Prompt',
      severity: 'info',
      scope: { agents: ['agent-q2'] },
      condition: { kind: 'match', filter: { eventTypes: ['tool_usage'], success: false } },
      resolveAfter: '30s',
    });
    await waitFor(
      async () => {
        const text = await fetch(`${historyUrls[leader]}/metrics`).then((r) => r.text());
        return /^auren_alert_rules_loaded 8$/m.test(text);
      },
      { timeoutMs: 10_000, what: 'the prompt rule loaded' },
    );
    await post([fail('agent-q2')]);
    await waitFor(() => statesOf(alice.alerts, 'prompt:agent-q2').includes('alert_fired'), {
      timeoutMs: 5000,
      what: 'an alert evaluated while webhooks fail',
    });
    await waitFor(() => receiver.got('/flaky').length === 1, {
      timeoutMs: 15_000,
      what: 'the flaky webhook delivered',
    });
    expect(receiver.attempts.get('/flaky')).toBe(3);
    const answer = await waitFor(
      async () => {
        const reply = await graphql(
          'alice',
          '{ webhookDeadLetters(first: 10) { alertId url attempts lastError } }',
        );
        const list = (reply.data?.webhookDeadLetters ?? []) as Array<{
          url: string;
          attempts: number;
        }>;
        return list.some((d) => d.url.includes(`:${deadPort}/`)) && list;
      },
      { timeoutMs: 15_000, what: 'the unreachable webhook dead-lettered' },
    );
    const dead = answer.find((d) => d.url.includes(`:${deadPort}/`));
    expect(dead?.attempts).toBe(4);
    expect(JSON.stringify(answer)).not.toContain(HOOK_SECRET);
    expect(receiver.got('/flaky')).toHaveLength(1);

    // Acknowledged through the API: shown live as alert_updated (not a second alert_fired), to
    // the owner only.
    const firing = alice.alerts.find(
      (m) => m.alert.key === 'prompt:agent-q2' && m.type === 'alert_fired',
    );
    const ack = await graphql(
      'alice',
      'mutation A($id: String!) { acknowledgeAlert(alertId: $id) { acknowledged } }',
      { id: firing?.alert.alert_id },
    );
    expect(ack.errors).toBeUndefined();
    const updated = await waitFor(
      () =>
        alice.alerts.find(
          (m) => m.type === 'alert_updated' && m.alert.updates === firing?.alert.alert_id,
        ),
      { timeoutMs: 10_000, what: 'alert_updated after the acknowledgement' },
    );
    expect(updated.alert.acknowledged).toBe(true);
    expect(statesOf(alice.alerts, 'prompt:agent-q2')).toEqual(['alert_fired', 'alert_updated']);
    expect(bob.alerts.some((m) => m.alert.key === 'prompt:agent-q2')).toBe(false);
  }, 90_000);
});
