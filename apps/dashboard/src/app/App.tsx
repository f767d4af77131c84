import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { AlertTransition, StreamedEvent } from '../contracts';
import { EventDetail } from '../components/EventDetail';
import { StateNotice } from '../components/StateNotice';
import { formatInt } from '../format';
import { LiveConnection, type ConnectionSnapshot } from '../live/connection';
import { LiveStore } from '../live/store';
import { serverFiltersDiffer, type UrlState, type View } from '../url-state';
import { AgentDetail } from '../views/AgentDetail';
import { Overview } from '../views/Overview';
import { Banners } from './Banners';
import { initialTheme, saveTheme, tokenStore, type DashboardConfig, type Theme } from './config';
import { FilterBar } from './FilterBar';
import { useStoreVersion, useThrottledVersion, useUrlState } from './hooks';
import { useLookback, type LookbackModule } from './lookback-loader';
import { Login } from './Login';

const NAV: { view: View; label: string }[] = [
  { view: 'overview', label: 'Overview' },
  { view: 'agent', label: 'Agent' },
  { view: 'traces', label: 'Traces' },
  { view: 'collaboration', label: 'Collaboration' },
  { view: 'alerts', label: 'Alerts' },
  { view: 'history', label: 'History' },
];

const NO_EVENTS: readonly StreamedEvent[] = [];

const STATUS_TEXT: Record<ConnectionSnapshot['status'], string> = {
  idle: 'not connected',
  connecting: 'connecting…',
  connected: 'live',
  reconnecting: 'reconnecting…',
  disconnected: 'disconnected',
  refused: 'refused',
};

/** Refusals a new token may cure: the login form is offered with them. */
const TOKEN_CODES = new Set(['AUTH_REQUIRED', 'AUTH_FAILED', 'TOKEN_EXPIRED']);

export function App({ config }: { config: DashboardConfig }) {
  const [url, setUrl] = useUrlState();
  const urlRef = useRef(url);
  urlRef.current = url;
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const [token, setToken] = useState<string | null>(() => tokenStore.get());
  const tokenRef = useRef(token);
  tokenRef.current = token;
  const [showLogin, setShowLogin] = useState(false);
  const [selected, setSelected] = useState<StreamedEvent | null>(null);

  const store = useMemo(() => new LiveStore(), []);
  const effectiveToken = () => tokenRef.current ?? config.testToken;
  const connection = useMemo(
    () =>
      new LiveConnection(store, {
        token: effectiveToken,
        filters: () => ({
          agents: urlRef.current.agents,
          subs: urlRef.current.subs,
          threshold: urlRef.current.threshold,
        }),
      }),
    // one connection for the page; token and filters are read at each handshake
    [store],
  );
  const snapshot = useSyncExternalStore(connection.subscribe, connection.getSnapshot);
  const version = useStoreVersion(store);
  const lookbackView = !['overview', 'agent'].includes(url.view);
  const lookback = useLookback(lookbackView);
  const graphql = useMemo(
    () =>
      config.historyUrl && lookback && !(lookback instanceof Error)
        ? lookback.createGraphqlClient({ url: config.historyUrl, token: effectiveToken })
        : null,
    [config.historyUrl, lookback],
  );

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    saveTheme(theme);
  }, [theme]);

  const canConnect = effectiveToken() !== null;
  useEffect(() => {
    if (canConnect) connection.connect();
    return () => connection.disconnect();
  }, [connection, canConnect]);

  // Number keys 1–6 switch views (outside text fields).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (e.altKey || e.ctrlKey || e.metaKey || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))
        return;
      const item = NAV[Number(e.key) - 1];
      if (item) setUrl({ view: item.view });
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [setUrl]);

  const login = (value: string) => {
    tokenStore.set(value);
    setToken(value);
    tokenRef.current = value;
    setShowLogin(false);
    store.reset();
    connection.restart();
  };
  const logout = () => {
    tokenStore.set(null);
    setToken(null);
    tokenRef.current = null;
    connection.disconnect();
    if (config.testToken) connection.restart();
  };

  const applyFilters = (change: Pick<UrlState, 'agents' | 'subs' | 'threshold'>) => {
    const previous = urlRef.current;
    const next = { ...previous, ...change };
    setUrl(change);
    if (serverFiltersDiffer(previous, next)) void connection.applyFilters(previous, next);
  };
  const selectAgent = useCallback(
    (id: string) => {
      setSelected(null);
      setUrl({ view: 'agent', agent: id });
    },
    [setUrl],
  );
  const selectTrace = useCallback(
    (id: string) => setUrl({ view: 'traces', trace: id, session: null }),
    [setUrl],
  );
  const onQuery = useCallback((q: string) => setUrl({ q }, false), [setUrl]);

  // The collaboration view reads the buffered agent_collaboration events (the store keeps them
  // apart), copied at most every 500 ms and only while it is open; the trace view reads the
  // store's per-trace index. Neither copies nor scans the whole buffer.
  const slowVersion = useThrottledVersion(store, 500);
  const collabOpen = url.view === 'collaboration';
  const collaborations = useMemo(
    () => (collabOpen ? store.collaborations.toArray() : NO_EVENTS),
    [store, slowVersion, collabOpen],
  );
  const liveAlerts: readonly AlertTransition[] = store.alerts;
  const knownAgents = useMemo(() => [...store.agents.keys()].sort(), [store, version]);
  const connected = snapshot.status === 'connected';
  const loading = snapshot.status === 'connecting' || snapshot.loadingRecent;
  const refusal = snapshot.refusal;

  let main;
  if (!canConnect || showLogin) {
    main = (
      <Login
        onToken={login}
        onCancel={canConnect ? () => setShowLogin(false) : undefined}
        reason={
          canConnect
            ? undefined
            : 'This gateway runs in production mode: paste a JWT to see live events.'
        }
      />
    );
  } else if (snapshot.status === 'refused' && refusal && TOKEN_CODES.has(refusal.code)) {
    main = (
      <div className="view">
        <StateNotice kind="error" title={`The gateway refused the connection: ${refusal.code}`}>
          <p data-testid="refusal-message">{refusal.message}</p>
        </StateNotice>
        <Login onToken={login} reason="Paste a valid token to connect again." />
      </div>
    );
  } else if (lookbackView && lookback instanceof Error) {
    main = (
      <StateNotice kind="error" title="This view failed to load">
        <p>{lookback.message}. Reload the page to try again.</p>
      </StateNotice>
    );
  } else if (lookbackView && !lookback) {
    main = <StateNotice kind="loading" title="Loading the view…" />;
  } else {
    // Set when a look-back view is open (the branches above wait for it).
    const views = lookback as LookbackModule;
    switch (url.view) {
      case 'overview':
        main = (
          <Overview
            store={store}
            theme={theme}
            range={url.range}
            onRange={(range) => setUrl({ range })}
            query={url.q}
            onQuery={onQuery}
            onOpen={setSelected}
            onSelectAgent={selectAgent}
            loading={loading}
          />
        );
        break;
      case 'agent':
        main = (
          <AgentDetail
            store={store}
            agentId={url.agent}
            theme={theme}
            query={url.q}
            onQuery={onQuery}
            onOpen={setSelected}
            onSelectAgent={selectAgent}
            loading={loading}
          />
        );
        break;
      case 'traces':
        main = (
          <views.TraceView
            traceId={url.trace ?? undefined}
            sessionId={url.session ?? undefined}
            live={store.runs}
            liveVersion={version}
            graphql={graphql}
            connected={connected}
            onSelectTrace={selectTrace}
          />
        );
        break;
      case 'collaboration':
        main = (
          <views.CollaborationView
            liveEvents={collaborations}
            liveVersion={slowVersion}
            graphql={graphql}
            connected={connected}
            onSelectAgent={selectAgent}
          />
        );
        break;
      case 'alerts':
        main = (
          <views.AlertsView
            liveAlerts={liveAlerts}
            liveVersion={version}
            graphql={graphql}
            connected={connected}
          />
        );
        break;
      case 'history':
        main = (
          <views.HistoryView
            graphql={graphql}
            from={url.from}
            to={url.to}
            onRangeChange={(from, to) => setUrl({ from, to })}
            agents={knownAgents}
            onSelectAgent={selectAgent}
            onSelectTrace={selectTrace}
          />
        );
        break;
    }
  }

  const usingTestToken = token === null && config.testToken !== null;
  return (
    <div className="app">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">AUREN</span>
        <nav aria-label="Views">
          {NAV.map((item, i) => (
            <a
              key={item.view}
              href={`?view=${item.view}`}
              aria-current={url.view === item.view ? 'page' : undefined}
              title={`${item.label} (key ${i + 1})`}
              onClick={(e) => {
                e.preventDefault();
                setUrl({ view: item.view });
              }}
            >
              {item.label}
            </a>
          ))}
        </nav>
        <span className="spacer" />
        <span
          className="counters muted"
          data-testid="counters"
          data-stream-events={snapshot.streamEvents}
          data-received={store.counters.received}
          data-buffered={store.events.length}
          title={`${formatInt(store.counters.received)} events received (${formatInt(snapshot.streamEvents)} live, the rest from recent history), ${formatInt(store.counters.duplicates)} repeats dropped, ${formatInt(store.counters.evicted)} left the ${formatInt(store.events.capacity)}-event buffer`}
        >
          {formatInt(store.counters.received)} received · {formatInt(snapshot.streamEvents)} live ·{' '}
          {formatInt(store.events.length)} in buffer
        </span>
        <span
          className={`pill pill-${snapshot.status}`}
          data-testid="status"
          data-state={snapshot.status}
          role="status"
        >
          {STATUS_TEXT[snapshot.status]}
          {snapshot.session && connected ? ` · ${snapshot.session.user_id}` : ''}
        </span>
        <button type="button" onClick={() => setShowLogin(true)}>
          Token
        </button>
        {token && (
          <button type="button" onClick={logout}>
            Sign out
          </button>
        )}
        <button
          type="button"
          aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
          onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}
        >
          {theme === 'dark' ? '☀' : '☾'}
        </button>
      </header>
      {usingTestToken && (
        <p className="dev-note" data-testid="dev-note">
          Development mode: connected with the test token <code>{config.testToken}</code> (user
          test_user, sees all events). Use “Token” to sign in as someone else.
        </p>
      )}
      {canConnect && !showLogin && (
        <div className="subbar">
          <FilterBar state={url} knownAgents={knownAgents} onApply={applyFilters} />
        </div>
      )}
      {(snapshot.status === 'reconnecting' ||
        snapshot.status === 'disconnected' ||
        (snapshot.status === 'refused' && refusal && !TOKEN_CODES.has(refusal.code))) && (
        <div className="banner banner-error" role="alert" data-testid="disconnected">
          {snapshot.status === 'reconnecting' ? 'Connection lost: reconnecting' : 'Not connected'}
          {refusal ? ` (${refusal.code}: ${refusal.message})` : ''}. Showing the data received so
          far.
          {snapshot.status !== 'reconnecting' && (
            <button type="button" onClick={() => connection.connect()}>
              Connect
            </button>
          )}
        </div>
      )}
      <Banners
        banners={snapshot.banners}
        onDismiss={(id) => connection.dismissBanner(id)}
        onAction={(action) =>
          action === 'reload-recent' ? connection.loadRecent() : connection.connect()
        }
      />
      <main id="main" tabIndex={-1}>
        {main}
      </main>
      {selected && (
        <EventDetail
          event={selected}
          onClose={() => setSelected(null)}
          onSelectAgent={selectAgent}
        />
      )}
    </div>
  );
}
