/**
 * View 5: alerts. What fires now and the recent transitions, live (alert_fired / alert_resolved /
 * alert_updated bodies from the gateway) and stored (GraphQL `firingAlerts` and `alerts`), with
 * acknowledge (`acknowledgeAlert`) and silence (`silenceAlerts`) buttons.
 */
import { useCallback, useMemo, useState } from 'react';
import type { AlertTransition } from './contracts';
import { describeError, type GraphqlClient } from './graphql';
import {
  ACKNOWLEDGE_ALERT_MUTATION,
  ALERTS_PAGE_QUERY,
  FIRING_ALERTS_QUERY,
  SILENCE_ALERTS_MUTATION,
  type AcknowledgeAnswer,
  type AlertsPageAnswer,
  type FiringAlertsAnswer,
  type SilenceAnswer,
} from './queries';
import {
  SILENCE_DURATIONS,
  coveredBySilence,
  fromGraphqlAlert,
  mergeAlerts,
  type AlertPatch,
} from './alerts-model';
import { formatDateTime, formatNumber, formatRelative } from './format';
import {
  Disconnected,
  Empty,
  ErrorNote,
  Loading,
  Notice,
  useAsync,
  useNow,
  useThrottled,
} from './ui';

export interface AlertsViewProps {
  liveAlerts: readonly AlertTransition[];
  liveVersion: number;
  graphql: GraphqlClient | null;
  connected: boolean;
}

const PAGE = 50;

interface Feedback {
  tone: 'info' | 'bad';
  text: string;
}

export function AlertsView(props: AlertsViewProps) {
  const graphql = props.graphql;
  const [round, setRound] = useState(0);
  const firing = useAsync<AlertTransition[]>(graphql ? `firing:${round}` : null, async () =>
    (await graphql!.request<FiringAlertsAnswer>(FIRING_ALERTS_QUERY)).firingAlerts.map(
      fromGraphqlAlert,
    ),
  );
  const firstPage = useAsync<AlertsPageAnswer['alerts']>(
    graphql ? 'alerts' : null,
    async () =>
      (await graphql!.request<AlertsPageAnswer>(ALERTS_PAGE_QUERY, { first: PAGE })).alerts,
  );
  const [more, setMore] = useState<{
    alerts: AlertTransition[];
    endCursor: string | null;
    hasNext: boolean;
  } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(null);
  const [patches, setPatches] = useState<AlertPatch[]>([]);
  const [feedback, setFeedback] = useState<Feedback | null>(null);
  const [busy, setBusy] = useState<Set<string>>(new Set());
  const version = useThrottled(props.liveVersion, 250);
  const now = useNow(5000);

  const stored = useMemo(() => {
    const list: AlertTransition[] = [];
    for (const e of firstPage.data?.edges ?? []) list.push(fromGraphqlAlert(e.node));
    if (more) list.push(...more.alerts);
    // firingAlerts is the newer view of the flags (an active silence covers a firing alert now).
    if (firing.data) list.push(...firing.data);
    return list;
  }, [firstPage.data, more, firing.data]);
  const lists = useMemo(
    () => mergeAlerts(stored, props.liveAlerts, patches),
    [stored, version, props.liveAlerts, patches],
  );

  const hasNext = more ? more.hasNext : (firstPage.data?.pageInfo.hasNextPage ?? false);
  const endCursor = more ? more.endCursor : (firstPage.data?.pageInfo.endCursor ?? null);
  const loadMore = useCallback(async () => {
    if (!graphql || !endCursor) return;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const page = (
        await graphql.request<AlertsPageAnswer>(ALERTS_PAGE_QUERY, {
          first: PAGE,
          after: endCursor,
        })
      ).alerts;
      setMore((prev) => ({
        alerts: [
          ...(prev?.alerts ?? []),
          ...(page?.edges ?? []).map((e) => fromGraphqlAlert(e.node)),
        ],
        endCursor: page?.pageInfo.endCursor ?? null,
        hasNext: page?.pageInfo.hasNextPage ?? false,
      }));
    } catch (error) {
      setMoreError(error);
    } finally {
      setLoadingMore(false);
    }
  }, [graphql, endCursor]);

  const withBusy = async (id: string, run: () => Promise<void>) => {
    setBusy((s) => new Set(s).add(id));
    try {
      await run();
    } finally {
      setBusy((s) => {
        const next = new Set(s);
        next.delete(id);
        return next;
      });
    }
  };

  const acknowledge = (alert: AlertTransition) =>
    withBusy(`ack:${alert.alert_id}`, async () => {
      if (!graphql) return;
      try {
        const answer = await graphql.request<AcknowledgeAnswer>(ACKNOWLEDGE_ALERT_MUTATION, {
          alertId: alert.alert_id,
        });
        const acked = answer.acknowledgeAlert;
        setPatches((p) => [
          ...p,
          { alertId: alert.alert_id, acknowledged: acked ? acked.acknowledged : true },
        ]);
        setFeedback({
          tone: 'info',
          text: `Acknowledged “${alert.rule_name}”${alert.agent_id ? ` on ${alert.agent_id}` : ''}.`,
        });
      } catch (error) {
        setFeedback({
          tone: 'bad',
          text: `Could not acknowledge “${alert.rule_name}”: ${describeError(error)}`,
        });
      }
    });

  const silence = (alert: AlertTransition, duration: string, scope: 'agent' | 'rule') =>
    withBusy(`silence:${alert.alert_id}`, async () => {
      if (!graphql) return;
      const agentId = scope === 'agent' ? alert.agent_id : null;
      try {
        const answer = await graphql.request<SilenceAnswer>(SILENCE_ALERTS_MUTATION, {
          ruleId: alert.rule_id,
          agentId,
          duration,
          reason: 'silenced from the dashboard',
        });
        const covered = coveredBySilence(lists.firing, alert.rule_id, agentId);
        setPatches((p) => [...p, ...covered.map((alertId) => ({ alertId, silenced: true }))]);
        const until = answer.silenceAlerts?.endsAt;
        setFeedback({
          tone: 'info',
          text: `Silenced “${alert.rule_name}”${agentId ? ` on ${agentId}` : ' (every agent)'} for ${duration}${until ? `, until ${formatDateTime(until)}` : ''}.`,
        });
        setRound((r) => r + 1);
      } catch (error) {
        setFeedback({
          tone: 'bad',
          text: `Could not silence “${alert.rule_name}”: ${describeError(error)}`,
        });
      }
    });

  const resolved = lists.transitions;
  return (
    <section className="lb-view" data-testid="alerts-view" aria-labelledby="lb-alerts-title">
      <header className="lb-header">
        <h2 id="lb-alerts-title">Alerts</h2>
        {graphql && (
          <button
            type="button"
            className="lb-button"
            onClick={() => {
              setRound((r) => r + 1);
              firstPage.reload();
              setMore(null);
            }}
          >
            Refresh
          </button>
        )}
      </header>
      {!props.connected && <Disconnected />}
      {!graphql && (
        <Notice tone="info" testId="alerts-not-configured">
          Not configured: the history service (GraphQL) is needed for acknowledgements and the alert
          list; live alerts still appear here.
        </Notice>
      )}
      <div className="lb-live-region" aria-live="polite" data-testid="alerts-feedback">
        {feedback && (
          <div className={`lb-notice lb-notice-${feedback.tone}`}>
            <span>{feedback.text}</span>
            <button
              type="button"
              className="lb-button lb-button-small"
              onClick={() => setFeedback(null)}
            >
              Dismiss
            </button>
          </div>
        )}
      </div>
      {firing.status === 'error' && (
        <ErrorNote error={firing.error} onRetry={firing.reload} what="the firing alerts" />
      )}

      <h3 id="lb-firing-title">
        Firing now <span className="lb-count">{formatNumber(lists.firing.length, 0)}</span>
      </h3>
      {firing.status === 'loading' && lists.firing.length === 0 ? (
        <Loading what="firing alerts" />
      ) : lists.firing.length === 0 ? (
        <Empty testId="alerts-none-firing">Nothing is firing.</Empty>
      ) : (
        <div className="lb-table-wrap">
          <table className="lb-table" aria-labelledby="lb-firing-title" data-testid="alerts-firing">
            <thead>
              <tr>
                <th scope="col">Severity</th>
                <th scope="col">Rule</th>
                <th scope="col">Agent</th>
                <th scope="col" className="lb-num">
                  Value
                </th>
                <th scope="col">Since</th>
                <th scope="col">State</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {lists.firing.map((a) => (
                <FiringRow
                  key={a.alert_id}
                  alert={a}
                  now={now}
                  canAct={graphql !== null}
                  ackBusy={busy.has(`ack:${a.alert_id}`)}
                  silenceBusy={busy.has(`silence:${a.alert_id}`)}
                  onAck={() => void acknowledge(a)}
                  onSilence={(d, scope) => void silence(a, d, scope)}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h3 id="lb-recent-title">Recent transitions</h3>
      {firstPage.status === 'error' && (
        <ErrorNote error={firstPage.error} onRetry={firstPage.reload} what="the alert history" />
      )}
      {firstPage.status === 'loading' && resolved.length === 0 ? (
        <Loading what="alert history" />
      ) : resolved.length === 0 ? (
        <Empty testId="alerts-empty">
          No alert has fired{graphql ? '' : ' since this page opened'}.
        </Empty>
      ) : (
        <div className="lb-table-wrap">
          <table
            className="lb-table"
            aria-labelledby="lb-recent-title"
            data-testid="alerts-transitions"
          >
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Transition</th>
                <th scope="col">Severity</th>
                <th scope="col">Rule</th>
                <th scope="col">Agent</th>
                <th scope="col" className="lb-num">
                  Value
                </th>
                <th scope="col">Flags</th>
              </tr>
            </thead>
            <tbody>
              {resolved.map((a) => (
                <tr
                  key={a.alert_id}
                  data-testid="alert-transition-row"
                  data-alert-id={a.alert_id}
                  data-state={a.state}
                >
                  <td title={formatDateTime(a.at)}>{formatRelative(a.at, now)}</td>
                  <td>
                    <span className={`lb-badge lb-badge-${a.state === 'firing' ? 'failed' : 'ok'}`}>
                      {a.state === 'firing' ? 'fired' : 'resolved'}
                    </span>
                    {a.reason && <span className="lb-muted"> ({a.reason.replace(/_/g, ' ')})</span>}
                  </td>
                  <td>
                    <Severity value={a.severity} />
                  </td>
                  <td>{a.rule_name}</td>
                  <td>{a.agent_id ?? '—'}</td>
                  <td className="lb-num">{valueText(a)}</td>
                  <td>
                    <Flags alert={a} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {graphql && hasNext && (
        <div className="lb-more">
          <button
            type="button"
            className="lb-button"
            onClick={() => void loadMore()}
            disabled={loadingMore}
          >
            {loadingMore ? 'Loading…' : 'Load older transitions'}
          </button>
        </div>
      )}
      {moreError !== null && (
        <ErrorNote error={moreError} onRetry={() => void loadMore()} what="older transitions" />
      )}
    </section>
  );
}

function FiringRow(props: {
  alert: AlertTransition;
  now: number;
  canAct: boolean;
  ackBusy: boolean;
  silenceBusy: boolean;
  onAck: () => void;
  onSilence: (duration: string, scope: 'agent' | 'rule') => void;
}) {
  const a = props.alert;
  const [duration, setDuration] = useState<string>('1h');
  const [scope, setScope] = useState<'agent' | 'rule'>(a.agent_id ? 'agent' : 'rule');
  const name = `${a.rule_name}${a.agent_id ? ` on ${a.agent_id}` : ''}`;
  const durationId = `lb-silence-duration-${a.alert_id}`;
  const scopeId = `lb-silence-scope-${a.alert_id}`;
  const ackText = a.acknowledged
    ? 'Acknowledged'
    : props.ackBusy
      ? 'Acknowledging…'
      : 'Acknowledge';
  return (
    <tr
      data-testid="alert-row"
      data-alert-id={a.alert_id}
      data-key={a.key}
      className={`lb-alert-${a.severity}`}
    >
      <td>
        <Severity value={a.severity} />
      </td>
      <td>
        {a.rule_name}
        <div className="lb-muted lb-small">{a.rule_id}</div>
      </td>
      <td>{a.agent_id ?? '—'}</td>
      <td className="lb-num">{valueText(a)}</td>
      <td title={formatDateTime(a.at)}>{formatRelative(a.at, props.now)}</td>
      <td>
        <Flags alert={a} />
      </td>
      <td className="lb-actions">
        {props.canAct ? (
          <>
            <button
              type="button"
              className="lb-button"
              data-testid="ack-button"
              disabled={a.acknowledged === true || props.ackBusy}
              aria-label={`${ackText} ${name}`}
              onClick={() => props.onAck()}
            >
              {ackText}
            </button>
            <span className="lb-silence">
              <label className="lb-sr-only" htmlFor={durationId}>
                Silence duration for {name}
              </label>
              <select
                id={durationId}
                className="lb-input"
                value={duration}
                onChange={(e) => setDuration(e.target.value)}
              >
                {SILENCE_DURATIONS.map((d) => (
                  <option key={d} value={d}>
                    {d}
                  </option>
                ))}
              </select>
              {a.agent_id && (
                <>
                  <label className="lb-sr-only" htmlFor={scopeId}>
                    Silence scope for {name}
                  </label>
                  <select
                    id={scopeId}
                    className="lb-input"
                    value={scope}
                    onChange={(e) => setScope(e.target.value as 'agent' | 'rule')}
                  >
                    <option value="agent">this agent</option>
                    <option value="rule">every agent</option>
                  </select>
                </>
              )}
              <button
                type="button"
                className="lb-button"
                data-testid="silence-button"
                disabled={props.silenceBusy}
                aria-label={`Silence ${name} for ${duration}`}
                onClick={() => props.onSilence(duration, scope)}
              >
                {props.silenceBusy ? 'Silencing…' : 'Silence'}
              </button>
            </span>
          </>
        ) : (
          <span className="lb-muted lb-small">needs the history service</span>
        )}
      </td>
    </tr>
  );
}

function Severity(props: { value: string }) {
  return <span className={`lb-badge lb-sev-${props.value}`}>{props.value}</span>;
}

function Flags(props: { alert: AlertTransition }) {
  const a = props.alert;
  if (!a.acknowledged && !a.silenced) return <span className="lb-muted">—</span>;
  return (
    <>
      {a.acknowledged && <span className="lb-badge lb-badge-ack">acknowledged</span>}
      {a.silenced && <span className="lb-badge lb-badge-muted">silenced</span>}
    </>
  );
}

/** `2,153 (threshold 2,000)`; the value alone without a threshold; `—` without either. */
export function valueText(a: Pick<AlertTransition, 'value' | 'threshold'>): string {
  if (a.value === null) return '—';
  const v = formatNumber(a.value, 3);
  return a.threshold === null ? v : `${v} (threshold ${formatNumber(a.threshold, 3)})`;
}
