import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AppProcess, postJson } from '../harness/apps';
import { freePort } from '../harness/ports';
import { createDatabase } from '../harness/postgres';
import { waitFor } from '../harness/wait';

/**
 * The dashboard's look-back views (traces, collaboration, alerts, history) in headless Chromium
 * against the real stack: the harness's Redis and PostgreSQL, and ingest, a gateway and the
 * history service (writer, GraphQL, alert evaluator with a rules file) started from dist/ as
 * processes. The gateway tells the page where history is (AUREN_DASHBOARD_HISTORY_URL); history
 * allows the gateway's origin only (AUREN_CORS_ORIGINS), as a production deployment would. A
 * second gateway without that variable shows the "not configured" states. Screenshots go to
 * docs/images/dashboard-{traces,collaboration,alerts,history}.png.
 */
const CHROMIUM = '/usr/bin/chromium';
const WAIT_MS = 15_000;
const IMAGES = join(__dirname, '..', '..', 'docs', 'images');
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const TOKEN = 'test-token-lookback';

const run = Date.now().toString(36);
const TRACE = `trace-${run}`;
const SESSION = `session-${run}`;
const RULE = 'tool-failed';
let seq = 0;
const id = (tag: string) => `lb-${run}-${tag}-${seq++}`;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

type Json = Record<string, unknown>;

describe('Dashboard look-back views in headless Chromium (Redis, PostgreSQL, ingest, gateway, history)', () => {
  const redisUrl = process.env.AUREN_TEST_REDIS_URL as string;
  const streamKey = `test:lookback:${run}`;
  const dir = mkdtempSync(join(tmpdir(), 'auren-lookback-'));
  const processes: AppProcess[] = [];
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  let page: Page;
  let ingestUrl = '';
  let gatewayUrl = '';
  let bareGatewayUrl = '';
  let historyUrl = '';
  const pageErrors: string[] = [];
  const posted = new Set<string>();

  /** Posts a batch (each event with an `event_id` of ours unless it has one). */
  const publish = async (events: Json[]): Promise<string[]> => {
    const withIds = events.map((event) => ({ event_id: id('e'), ...event }));
    const reply = await postJson(`${ingestUrl}/v1/events/batch`, { events: withIds });
    expect(reply.status).toBe(202);
    const eventIds = withIds.map((event) => String(event.event_id));
    for (const eventId of eventIds) posted.add(eventId);
    return eventIds;
  };

  const graphql = async <T>(query: string, variables: Json = {}): Promise<T> => {
    const response = await fetch(`${historyUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: unknown[] };
    if (body.errors) throw new Error(`GraphQL: ${JSON.stringify(body.errors)}`);
    return body.data as T;
  };

  /** Waits until the history writer stored every event posted so far. */
  const waitStored = async () => {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    await waitFor(
      async () => {
        const data = await graphql<{ events: { edges: { node: { eventId: string } }[] } }>(
          `
            query S($filter: EventFilter) {
              events(filter: $filter, first: 500) {
                edges {
                  node {
                    eventId
                  }
                }
              }
            }
          `,
          { filter: { from } },
        );
        const stored = new Set(data.events.edges.map((e) => e.node.eventId));
        return [...posted].every((eventId) => stored.has(eventId));
      },
      { timeoutMs: WAIT_MS, intervalMs: 200, what: 'the history writer to store the events' },
    );
  };

  const axe = async (name: string, on: Page = page) => {
    await on.evaluate(AXE);
    const violations = await on.evaluate(async () => {
      const result = await (
        globalThis as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }
      ).axe.run();
      return result.violations;
    });
    const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect({
      view: name,
      serious: serious.map(
        (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`,
      ),
    }).toEqual({ view: name, serious: [] });
  };

  /** `fullPage: false` for long pages: the sticky header would be drawn in the middle. */
  const screenshot = (name: string, fullPage = true) =>
    page.screenshot({ path: join(IMAGES, `dashboard-${name}.png`), fullPage });

  /** A page in a context of its own (its own Socket.IO connection), at 1400×900. */
  const newPage = async (url: string): Promise<Page> => {
    if (!browser) throw new Error('the browser did not start');
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    contexts.push(context);
    const opened = await context.newPage();
    opened.setDefaultTimeout(WAIT_MS);
    opened.on('pageerror', (error) => pageErrors.push(error.message));
    await opened.goto(url);
    await opened.waitForSelector('[data-testid=status][data-state=connected]');
    return opened;
  };

  /** `name` of every element `selector` matches, in document order. */
  const attributes = async (selector: string, name: string): Promise<Array<string | null>> => {
    const all = page.locator(selector);
    const out: Array<string | null> = [];
    for (let i = 0; i < (await all.count()); i++) out.push(await all.nth(i).getAttribute(name));
    return out;
  };

  const nav = (view: string, on: Page = page) => on.click(`nav a[href="?view=${view}"]`);

  beforeAll(async () => {
    mkdirSync(IMAGES, { recursive: true });
    const [ingestPort, gatewayPort, barePort, historyPort] = await Promise.all(
      [0, 1, 2, 3].map(() => freePort()),
    );
    ingestUrl = `http://127.0.0.1:${ingestPort}`;
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    bareGatewayUrl = `http://127.0.0.1:${barePort}`;
    historyUrl = `http://127.0.0.1:${historyPort}`;
    const rules = join(dir, 'rules.yaml');
    writeFileSync(
      rules,
      [
        'rules:',
        `  - id: ${RULE}`,
        '    name: Tool call failed',
        '    owner: test_user',
        '    severity: critical',
        '    condition:',
        '      kind: match',
        '      filter: { eventTypes: [tool_usage], success: false }',
        '',
      ].join('\n'),
    );
    const env = {
      REDIS_URL: redisUrl,
      AUREN_STREAM_KEY: streamKey,
      AUREN_LOG_LEVEL: 'warn',
    };
    const databaseUrl = await createDatabase('lookback');
    processes.push(
      AppProcess.spawn('ingest', {
        ...env,
        INGEST_PORT: String(ingestPort),
        AUREN_RATE_LIMIT_EVENTS_PER_SECOND: '0',
      }),
      AppProcess.spawn('gateway', {
        ...env,
        GATEWAY_PORT: String(gatewayPort),
        AUREN_DASHBOARD_HISTORY_URL: `${historyUrl}/graphql`,
      }),
      AppProcess.spawn('gateway', { ...env, GATEWAY_PORT: String(barePort) }),
      AppProcess.spawn('history', {
        ...env,
        HISTORY_PORT: String(historyPort),
        DATABASE_URL: databaseUrl,
        AUREN_ALERT_RULES_FILE: rules,
        AUREN_ALERT_TICK_MS: '200',
        // Only the dashboard's origin may call GraphQL from a browser (docs/dashboard.md).
        AUREN_CORS_ORIGINS: gatewayUrl,
      }),
    );
    const launched = chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-background-networking'],
    });
    launched.catch(() => undefined);
    const [ingest, gateway, bare, history] = processes;
    await Promise.all([
      ingest.ready(`${ingestUrl}/health/ready`),
      gateway.ready(`${gatewayUrl}/health/ready`),
      bare.ready(`${bareGatewayUrl}/health/ready`),
      history.ready(`${historyUrl}/health/ready`, 60_000),
    ]);
    browser = await launched;
  }, 90_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await Promise.all(processes.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
    expect(pageErrors).toEqual([]);
  });

  // The run: planner starts, calls a model and a tool, hands over to researcher (a nested run)
  // whose second tool call fails; planner's completion is posted later, while the run is open.
  const base = Date.now() - 60_000;
  const at = (i: number) => new Date(base + i * 1500).toISOString();
  const ids = {
    planner: id('planner-start'),
    researcher: id('researcher-start'),
    failedTool: id('tool-failed'),
  };
  const llm = (agent: string, i: number, parent: string) => ({
    event_type: 'llm_call',
    timestamp: at(i),
    trace_id: TRACE,
    session_id: SESSION,
    parent_event_id: parent,
    source_agent: { id: agent },
    payload: { prompt: `step ${i}` },
    performance_metrics: {
      model: 'gpt-4o',
      input_tokens: 100,
      output_tokens: 50,
      token_cost: 0.0125,
      latency_ms: 900,
      success: true,
    },
  });
  const runEvents: Json[] = [
    {
      event_id: ids.planner,
      event_type: 'agent_execution_started',
      timestamp: at(0),
      trace_id: TRACE,
      session_id: SESSION,
      source_agent: { id: 'planner', role: 'Planner' },
      payload: {},
    },
    llm('planner', 1, ids.planner),
    {
      event_type: 'tool_usage',
      timestamp: at(2),
      trace_id: TRACE,
      session_id: SESSION,
      parent_event_id: ids.planner,
      source_agent: { id: 'planner' },
      payload: { tool_name: 'web_search' },
      performance_metrics: { latency_ms: 300, success: true },
    },
    {
      event_id: ids.researcher,
      event_type: 'agent_execution_started',
      timestamp: at(3),
      trace_id: TRACE,
      session_id: SESSION,
      parent_event_id: ids.planner,
      source_agent: { id: 'researcher', role: 'Researcher' },
      payload: {},
    },
    llm('researcher', 4, ids.researcher),
    {
      event_id: ids.failedTool,
      event_type: 'tool_usage',
      timestamp: at(5),
      trace_id: TRACE,
      session_id: SESSION,
      parent_event_id: ids.researcher,
      source_agent: { id: 'researcher' },
      payload: { tool_name: 'pubmed_search', error_message: 'pubmed answered 503' },
      performance_metrics: { latency_ms: 2000, success: false, error_type: 'upstream_error' },
    },
    {
      event_type: 'agent_execution_completed',
      timestamp: at(6),
      trace_id: TRACE,
      session_id: SESSION,
      parent_event_id: ids.researcher,
      source_agent: { id: 'researcher' },
      payload: {},
      performance_metrics: { success: false },
    },
  ];
  const collaboration = (source: string, targets: string[], ok: boolean, when: string) => ({
    event_type: 'agent_collaboration',
    timestamp: when,
    source_agent: { id: source },
    payload: { primary_agent: source, collaborating_agents: targets, consensus_reached: ok },
  });
  // Filler: more events than one page of the history's events table (50).
  const filler = Array.from({ length: 60 }, (_, i) => ({
    event_type: 'llm_call',
    timestamp: at(i / 40),
    source_agent: { id: 'summarizer' },
    performance_metrics: {
      model: i % 2 ? 'claude-sonnet' : 'gpt-4o',
      input_tokens: 10,
      output_tokens: 10,
      token_cost: 0.001,
      latency_ms: 100 + i,
      success: true,
    },
  }));

  it('fires the rule on the failed tool call: the alert appears live, is acknowledged (live in another tab too) and silenced', async () => {
    page = await newPage(`${gatewayUrl}/?view=alerts`);
    const other = await newPage(`${gatewayUrl}/?view=alerts`);
    for (const p of [page, other]) await p.waitForSelector('[data-testid=alerts-none-firing]');
    await publish([
      ...runEvents,
      collaboration('planner', ['researcher'], true, at(2.5)),
      collaboration('planner', ['researcher'], true, at(3.5)),
      collaboration('researcher', ['writer'], false, at(5.5)),
      ...filler,
    ]);
    const row = `[data-testid=alert-row][data-key="${RULE}:researcher"]`;
    // Both tabs were open before the event: the row comes from the live alert_fired.
    for (const p of [page, other]) await p.waitForSelector(row);
    expect(await page.locator('[data-testid=alert-row]').count()).toBe(1);
    expect(await page.textContent(row)).toContain('Tool call failed');
    await page
      .locator('[data-testid=alert-transition-row][data-state=firing]', { hasText: 'researcher' })
      .waitFor();

    await page.click(`${row} [data-testid=ack-button]`);
    await page.locator(`${row} [data-testid=ack-button]`, { hasText: 'Acknowledged' }).waitFor();
    expect(await page.isDisabled(`${row} [data-testid=ack-button]`)).toBe(true);
    await page.locator(`${row} .lb-badge-ack`).waitFor();
    await page
      .locator('[data-testid=alerts-feedback]', { hasText: 'Acknowledged “Tool call failed”' })
      .waitFor();
    // The other tab did not call the mutation: only the gateway's alert_updated can tell it.
    await other.locator(`${row} .lb-badge-ack`).waitFor();
    const firing = await graphql<{ firingAlerts: { key: string; acknowledged: boolean }[] }>(
      '{ firingAlerts { key acknowledged } }',
    );
    expect(firing.firingAlerts).toEqual([{ key: `${RULE}:researcher`, acknowledged: true }]);

    await page.selectOption(`${row} select[id^=lb-silence-duration]`, '30m');
    await page.click(`${row} [data-testid=silence-button]`);
    await page
      .locator('[data-testid=alerts-feedback]', {
        hasText: 'Silenced “Tool call failed” on researcher for 30m',
      })
      .waitFor();
    await page.locator(`${row} .lb-badge-muted`, { hasText: 'silenced' }).waitFor();
    const silences = await graphql<{ alertSilences: { ruleId: string; agentId: string }[] }>(
      '{ alertSilences { ruleId agentId } }',
    );
    expect(silences.alertSilences).toEqual([{ ruleId: RULE, agentId: 'researcher' }]);
    await screenshot('alerts');
    await axe('alerts');
    await other.context().close();
  });

  it('traces: the run is listed, opens as a tree with tokens and cost rolled up, and grows live', async () => {
    await nav('traces');
    const runRow = `[data-testid=trace-run-row][data-trace-id="${TRACE}"]`;
    await page.waitForSelector(runRow);
    expect(await page.textContent(`${runRow} td:nth-child(3)`)).toBe(String(runEvents.length));
    await page.click(runRow);
    expect(page.url()).toContain(`trace=${TRACE}`);
    await page.waitForSelector('[data-testid=trace-tree]');
    await waitFor(
      async () =>
        (await page.locator('[data-testid=trace-node]').count()) === runEvents.length && true,
      { what: `${runEvents.length} nodes in the tree` },
    );
    const levels = await attributes('[data-testid=trace-node]', 'aria-level');
    const types = (await attributes('[data-testid=trace-node]', 'data-event-type')).map(
      (type, i) => `${levels[i]}:${type}`,
    );
    // Planner's run at the top, researcher's nested in it, each with its own calls.
    expect(types).toEqual(
      expect.arrayContaining([
        '1:agent_execution_started',
        '2:llm_call',
        '2:tool_usage',
        '2:agent_execution_started',
        '3:llm_call',
        '3:tool_usage',
      ]),
    );
    await page
      .locator(`[data-testid=trace-node][data-event-id="${ids.failedTool}"]`, { hasText: 'failed' })
      .waitFor();
    // Two model calls of 150 tokens and $0.0125 each, rolled up into the root and the summary.
    const root = `[data-testid=trace-node][data-event-id="${ids.planner}"]`;
    expect(await page.textContent(`${root} td:nth-child(3)`)).toBe('300');
    expect(await page.textContent(`${root} td:nth-child(4)`)).toBe('$0.025');
    const summary = (await page.textContent('[data-testid=trace-summary]')) ?? '';
    expect(summary).toContain('running');
    expect(summary).toMatch(/Tokens\s*300/);
    expect(summary).toMatch(/Cost\s*\$0\.025/);

    // Planner completes while the run is open: a new node, and the run is no longer running.
    const [completed] = await publish([
      {
        event_type: 'agent_execution_completed',
        timestamp: new Date().toISOString(),
        trace_id: TRACE,
        session_id: SESSION,
        parent_event_id: ids.planner,
        source_agent: { id: 'planner' },
        payload: {},
        performance_metrics: { success: true, tokens_used: 40, token_cost: 0.01 },
      },
    ]);
    await page.waitForSelector(`[data-testid=trace-node][data-event-id="${completed}"]`);
    // researcher's tool call and its completion reported failure.
    await page.locator('[data-testid=trace-summary]', { hasText: '2 failed' }).waitFor();
    expect(await page.textContent('[data-testid=trace-summary]')).toMatch(/Tokens\s*340/);
    await page.click(`[data-testid=trace-node][data-event-id="${ids.failedTool}"]`);
    await page
      .locator('[data-testid=trace-node-details]', { hasText: 'failed: upstream_error' })
      .waitFor();
    await screenshot('traces');
    await axe('traces');
  });

  it('collaboration: nodes and edges of the agents that collaborated, and a new collaboration live', async () => {
    // The view seeds from the history's last hour and adds live events newer than the seed:
    // the stored events must be there when it opens (see the report on this race).
    await waitStored();
    await nav('collaboration');
    await page.waitForSelector('[data-testid=collab-graph]');
    /** From, to, count, succeeded, failed of each row of the edge table. */
    const edgeRows = async () => {
      const rows = page.locator('[data-testid=collab-edge-row]');
      const out: string[] = [];
      for (let i = 0; i < (await rows.count()); i++)
        out.push((await rows.nth(i).locator('td').allTextContents()).slice(0, 5).join(' '));
      return out;
    };
    expect(await edgeRows()).toEqual(['planner researcher 2 2 0', 'researcher writer 1 0 1']);
    const nodes = async () => (await attributes('[data-testid=collab-node]', 'data-agent')).sort();
    expect(await nodes()).toEqual(['planner', 'researcher', 'writer']);
    expect(await page.locator('[data-testid=collab-edge]').count()).toBe(2);

    await publish([
      collaboration('writer', ['reviewer'], true, new Date().toISOString()),
      collaboration('planner', ['researcher'], true, new Date().toISOString()),
    ]);
    await page.waitForSelector(
      '[data-testid=collab-edge-row][data-source=writer][data-target=reviewer]',
    );
    await waitFor(async () => (await edgeRows())[0] === 'planner researcher 3 3 0', {
      what: 'the planner → researcher edge to count 3',
    });
    expect(await nodes()).toEqual(['planner', 'researcher', 'reviewer', 'writer']);
    expect(await page.locator('[data-testid=collab-edge]').count()).toBe(3);
    await screenshot('collaboration');
    await axe('collaboration');
  });

  it('history: a range covering the events fills agents, cost and events (Load more, trace link)', async () => {
    await waitStored();
    await nav('history');
    await page.waitForSelector('[data-testid=history-range-picker]');
    // A custom range: from 15 minutes ago (the browser's local time, minute precision) to now.
    const from = await page.evaluate(() => {
      const d = new Date(Date.now() - 15 * 60_000);
      const p = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
    });
    await page.fill('[data-testid=history-from]', from);
    await page.fill('[data-testid=history-to]', '');
    await page.click('[data-testid=history-apply]');
    expect(page.url()).toContain('from=');
    await page.waitForSelector('[data-testid=history-agents]');
    const agents = (await attributes('[data-testid=history-agent-row]', 'data-agent')).sort();
    expect(agents).toEqual(['planner', 'researcher', 'summarizer', 'writer']);
    expect(
      await page.textContent(
        '[data-testid=history-agent-row][data-agent=summarizer] td:nth-child(2)',
      ),
    ).toBe('60');
    await page.waitForSelector('[data-testid=history-cost-table]');
    const cost = (await page.textContent('[data-testid=history-cost-table]')) ?? '';
    expect(cost).toContain('gpt-4o');
    expect(cost).toContain('claude-sonnet');
    // Total: two model calls of $0.0125, planner's completion $0.01, 60 × $0.001.
    expect(await page.textContent('[data-testid=history-cost] p')).toContain('$0.095');
    await page.waitForSelector('[data-testid=history-events-table]');
    expect(await page.locator('[data-testid=history-event-row]').count()).toBe(50);
    await page.click('[data-testid=history-load-more]');
    // Every event posted is in the range: the second page holds the rest.
    await waitFor(
      async () =>
        (await page.locator('[data-testid=history-event-row]').count()) === posted.size && true,
      { what: `${posted.size} event rows after Load more` },
    );
    expect(await page.locator('[data-testid=history-load-more]').count()).toBe(0);
    // The top of the view (range picker, agents, cost), not where Load more left the scroll.
    await page.evaluate('window.scrollTo(0, 0)');
    await waitFor(async () => (await page.evaluate<number>('window.scrollY')) === 0, {
      what: 'the page scrolled to the top',
    });
    await screenshot('history', false);
    await axe('history');
    await page.selectOption('#lb-events-agent', 'researcher');
    await page.waitForSelector(
      `[data-testid=history-event-row][data-event-id="${ids.failedTool}"]`,
    );
    await page.click(
      `[data-testid=history-event-row][data-event-id="${ids.failedTool}"] [data-testid=history-event-trace]`,
    );
    await page.waitForSelector('[data-testid=trace-tree]');
    expect(page.url()).toContain('view=traces');
    expect(page.url()).toContain(`trace=${TRACE}`);
    await page.waitForSelector(`[data-testid=trace-node][data-event-id="${ids.failedTool}"]`);
  });

  it('without a history URL, the alerts and history views say it is not configured', async () => {
    const config = (await (await fetch(`${bareGatewayUrl}/dashboard/config.json`)).json()) as Json;
    expect(config.historyUrl).toBeNull();
    page = await newPage(`${bareGatewayUrl}/?view=alerts`);
    await page
      .locator('[data-testid=alerts-not-configured]', { hasText: 'Not configured' })
      .waitFor();
    expect(await page.locator('[data-testid=ack-button]').count()).toBe(0);
    await nav('history');
    await page
      .locator('[data-testid=history-not-configured]', { hasText: 'not configured' })
      .waitFor();
    expect(await page.locator('[data-testid=history-range-picker]').count()).toBe(0);
    await axe('history (not configured)');
  });
});
