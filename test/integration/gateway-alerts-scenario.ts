import type { AlertMessage, AlertTransition, HandshakeAuth } from '@auren/contracts';
import type { AlertPublishOutcome } from '@auren/streaming';
import { makeAlert } from '../fixtures/alerts';
import { connectClient, type ConnectedClient } from '../harness/clients';
import { signHs } from '../harness/jwt';
import { readMetrics, sample } from '../harness/metrics';
import { waitFor } from '../harness/wait';

/** The JWT secret the gateways of the alert tests run with (AUREN_JWT_SECRET). */
export const ALERTS_SECRET = 'alerts-integration-secret-0123456789abcdef';

export interface AlertScenarioTarget {
  gatewayUrl: string;
  publish(alert: AlertTransition): Promise<AlertPublishOutcome>;
  /** Alerts log backends the gateway reads (`auren_gateway_alert_log_reading{backend}`). */
  backends: string[];
  /** Whether the log itself refuses a re-published alert_id (Redis, memory; not Kafka). */
  refusesRepeats: boolean;
}

/** Waits until the gateway's alerts log readers have taken their start position. */
export async function alertReadersStarted(url: string, backends: string[]): Promise<void> {
  await waitFor(
    async () => {
      const text = await readMetrics(url);
      return backends.every(
        (backend) =>
          sample(text, 'auren_gateway_alert_log_reading', `{backend="${backend}"}`) === 1,
      );
    },
    { timeoutMs: 30_000, what: `the alerts log readers (${backends.join(', ')}) to start` },
  );
}

const fired = (alert: AlertTransition): AlertMessage => ({ type: 'alert_fired', alert });
const resolved = (alert: AlertTransition): AlertMessage => ({ type: 'alert_resolved', alert });

/**
 * The delivery scenario of the alerts feature, the same for every backend: who gets which
 * transition, each once and in order, even when it is published twice. "Gets none" is asserted
 * after a later transition the same connection does receive (a connection receives in
 * publication order), never after a sleep.
 */
export async function runAlertScenario(target: AlertScenarioTarget): Promise<void> {
  const clients: ConnectedClient[] = [];
  const connect = async (claims: Record<string, unknown>, auth: HandshakeAuth) => {
    const client = await connectClient(target.gatewayUrl, {
      token: signHs(claims, ALERTS_SECRET),
      ...auth,
    });
    clients.push(client);
    return client;
  };
  try {
    // The threshold does not apply to alerts.
    const owner = await connect(
      { sub: 'alice' },
      { subscriptions: ['alerts'], performance_threshold: 0.9 },
    );
    const other = await connect({ sub: 'bob' }, { subscriptions: ['alerts'] });
    const admin = await connect(
      { sub: 'root', permissions: ['all'] },
      { subscriptions: ['alerts', 'all_events'] },
    );
    const eventsOnly = await connect({ sub: 'alice' }, { subscriptions: ['all_events'] });
    const filtered = await connect(
      { sub: 'alice' },
      { subscriptions: ['alerts'], agent_filter: ['agent-b'] },
    );
    const restricted = await connect(
      { sub: 'alice', permissions: ['agent-b'] },
      { subscriptions: ['alerts'] },
    );
    let next = 0;
    const alert = (over: Partial<AlertTransition>) =>
      makeAlert({ alert_id: String(++next), agent_id: 'agent-a', ...over });

    const aFired = alert({ rule_id: 'slow', seq: 1 });
    const aResolved = alert({ rule_id: 'slow', seq: 2, state: 'resolved', value: 1200 });
    const bobs = alert({ owner: 'bob', rule_id: 'bobs' });
    const agentB = alert({ rule_id: 'errors', agent_id: 'agent-b', severity: 'critical' });
    const noAgent = alert({ rule_id: 'quiet', agent_id: null, value: null, threshold: null });
    for (const transition of [aFired, aFired, aResolved, aResolved])
      await target.publish(transition);
    if (target.refusesRepeats) {
      expect(await target.publish(aFired)).toBe('duplicate');
      expect(await target.publish(aResolved)).toBe('duplicate');
    }
    for (const transition of [bobs, agentB, noAgent]) await target.publish(transition);

    expect(await owner.waitForAlerts(4)).toEqual([
      fired(aFired),
      resolved(aResolved),
      fired(agentB),
      fired(noAgent),
    ]);
    expect(await other.waitForAlerts(1)).toEqual([fired(bobs)]);
    expect(await admin.waitForAlerts(5)).toEqual(
      [aFired, aResolved, bobs, agentB, noAgent].map((a) =>
        a === aResolved ? resolved(a) : fired(a),
      ),
    );
    // agent_filter and agent permissions narrow alerts of agents, not alerts without agent.
    expect(await filtered.waitForAlerts(2)).toEqual([fired(agentB), fired(noAgent)]);
    expect(await restricted.waitForAlerts(2)).toEqual([fired(agentB), fired(noAgent)]);

    // Subscribing and unsubscribing at run time.
    expect(
      await eventsOnly.socket.timeout(5000).emitWithAck('subscribe', { subscription: 'alerts' }),
    ).toEqual({ type: 'subscription_confirmed', subscription: 'alerts' });
    expect(
      await owner.socket.timeout(5000).emitWithAck('unsubscribe', { subscription: 'alerts' }),
    ).toEqual({ type: 'unsubscription_confirmed', subscription: 'alerts' });
    const later = alert({ rule_id: 'slow', seq: 3 });
    const laterB = alert({ rule_id: 'errors', agent_id: 'agent-b', seq: 2, state: 'resolved' });
    await target.publish(later);
    await target.publish(laterB);
    // The gateway has handed both on (a subscribed client has them) before the owner subscribes
    // again: with Kafka, reading takes long enough for the subscription to win otherwise.
    await eventsOnly.waitForAlerts(2);
    await owner.socket.timeout(5000).emitWithAck('subscribe', { subscription: 'alerts' });
    const last = alert({ rule_id: 'slow', seq: 4, state: 'resolved' });
    const bobsLast = alert({ owner: 'bob', rule_id: 'bobs', seq: 2, state: 'resolved' });
    await target.publish(last);
    await target.publish(bobsLast);

    // Subscribed only to all_events until now: nothing before its subscription.
    expect(await eventsOnly.waitForAlerts(3)).toEqual([
      fired(later),
      resolved(laterB),
      resolved(last),
    ]);
    expect((await owner.waitForAlerts(5)).slice(4)).toEqual([resolved(last)]);
    expect((await filtered.waitForAlerts(3)).slice(2)).toEqual([resolved(laterB)]);
    expect((await restricted.waitForAlerts(3)).slice(2)).toEqual([resolved(laterB)]);
    expect(await other.waitForAlerts(2)).toEqual([fired(bobs), resolved(bobsLast)]);
    expect(await admin.waitForAlerts(9)).toHaveLength(9);
    // The marker alerts above arrived last: nothing else came before or after them.
    for (const client of [owner, other, eventsOnly, filtered, restricted])
      expect(client.events).toEqual([]);
    expect(owner.alerts).toHaveLength(5);
    expect(other.alerts).toHaveLength(2);
    expect(admin.alerts).toHaveLength(9);

    // One message per transition per connection, counted by state.
    const sent = clients.flatMap((c) => c.alerts);
    const metrics = await readMetrics(target.gatewayUrl);
    expect(sample(metrics, 'auren_gateway_alerts_delivered_total', '{state="firing"}')).toBe(
      sent.filter((m) => m.type === 'alert_fired').length,
    );
    expect(sample(metrics, 'auren_gateway_alerts_delivered_total', '{state="resolved"}')).toBe(
      sent.filter((m) => m.type === 'alert_resolved').length,
    );
  } finally {
    for (const client of clients) client.close();
  }
}
