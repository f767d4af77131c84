import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AppProcess, postJson } from '../harness/apps';
import { freePort } from '../harness/ports';

/**
 * The live console at the gateway's `/console` (the dashboard is at `/`), driven in a real headless Chromium against the all-in-one
 * app started from dist/ with the in-memory stream (what a new user's `npm start` runs).
 */
const CHROMIUM = '/usr/bin/chromium';
const XSS = '<img src=x onerror="window.__pwned=1">';
const WAIT_MS = 15_000;

let seq = 0;
const run = Date.now().toString(36);
const eventId = (tag: string) => `page-${run}-${tag}-${seq++}`;

describe('Live page in headless Chromium (all-in-one, memory stream)', () => {
  let app: AppProcess | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let pageErrors: string[] = [];
  let ingestUrl = '';
  let gatewayUrl = '';

  /** POSTs one event to ingest and expects it accepted; returns its event_id. */
  const publish = async (
    agent: string,
    eventType: string,
    over: Record<string, unknown> = {},
  ): Promise<string> => {
    const id = eventId(agent);
    const reply = await postJson(`${ingestUrl}/v1/events`, {
      event_id: id,
      event_type: eventType,
      source_agent: { id: agent },
      ...over,
    });
    expect(reply.status).toBe(202);
    return id;
  };

  /** Fills the form, clicks Connect, and waits for `connection_established` to be shown. */
  const connect = async (form: {
    token?: string;
    agentFilter?: string;
    threshold?: string;
  }): Promise<void> => {
    if (form.token !== undefined) await page.fill('#token', form.token);
    await page.fill('#agent-filter', form.agentFilter ?? '');
    await page.fill('#threshold', form.threshold ?? '0');
    await page.click('#connect');
    await page.waitForSelector('#status[data-state="connected"]');
    await page.locator('#connection-user', { hasText: 'test_user' }).waitFor(); // connection_established arrived
  };

  /** Waits until the live list shows the row of `id`. */
  const waitForRow = (id: string, list = '#events') =>
    page.waitForSelector(`${list} li.event-row[data-event-id="${id}"]`, { state: 'attached' });

  /** The rows of a list, top (newest) first. */
  const rows = async (list = '#events') =>
    Promise.all(
      (await page.locator(`${list} li.event-row`).all()).map(async (li) => ({
        id: await li.getAttribute('data-event-id'),
        agent: await li.getAttribute('data-agent'),
        type: await li.getAttribute('data-event-type'),
        text: (await li.textContent()) ?? '',
      })),
    );

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}; the page e2e test needs it: run \`apt-get install chromium\` (CI installs it).`,
      );
    }
    const [ingestPort, gatewayPort, grpcPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    ingestUrl = `http://127.0.0.1:${ingestPort}`;
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    app = AppProcess.spawn('all-in-one', {
      INGEST_PORT: String(ingestPort),
      GATEWAY_PORT: String(gatewayPort),
      GRPC_PORT: String(grpcPort),
      AUREN_STREAM_BACKEND: 'memory',
      AUREN_LOG_LEVEL: 'warn',
    });
    await app.ready(`${gatewayUrl}/health/ready`);
    await app.ready(`${ingestUrl}/health/ready`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--no-first-run',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  beforeEach(async () => {
    if (!browser) throw new Error('the browser did not start');
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${gatewayUrl}/console`);
    await page.waitForSelector('#status[data-state="disconnected"]');
  });

  afterEach(async () => {
    await context?.close();
    context = undefined;
    expect(pageErrors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('shows exactly the events of the filtered agent, with their metrics', async () => {
    await connect({ agentFilter: 'neuroscientist' });
    await expect(page.textContent('#connection-filter')).resolves.toBe('neuroscientist');

    const llm = await publish('neuroscientist', 'llm_call', {
      performance_metrics: {
        tokens_used: 850,
        input_tokens: 600,
        output_tokens: 250,
        token_cost: 0.0123,
        latency_ms: 420,
        model: 'gpt-4o',
      },
    });
    const tool = await publish('neuroscientist', 'tool_usage', {
      payload: { tool_name: 'pubmed_search' },
    });
    await publish('training_coach', 'llm_call', {
      performance_metrics: { tokens_used: 99, token_cost: 0.001 },
    });
    await publish('training_coach', 'tool_usage', { payload: { tool_name: 'calendar' } });
    const sentinel = await publish('neuroscientist', 'agent_decision');
    await waitForRow(sentinel);

    const shown = await rows();
    expect(shown.map((r) => r.agent)).toEqual([
      'neuroscientist',
      'neuroscientist',
      'neuroscientist',
    ]);
    expect(shown.map((r) => r.id)).toEqual([sentinel, tool, llm]); // newest first
    expect(shown.map((r) => r.type)).toEqual(['agent_decision', 'tool_usage', 'llm_call']);
    const llmRow = shown[2].text;
    expect(llmRow).toContain('850 tok');
    expect(llmRow).toContain('$0.0123');
    await page.locator('#event-count', { hasText: /^3$/ }).waitFor();

    await page.screenshot({ path: '/tmp/auren-page.png', fullPage: true });
  });

  it('drops events under the performance threshold', async () => {
    await connect({ threshold: '0.8' });
    await expect(page.textContent('#connection-threshold')).resolves.toBe('0.8');

    const low = await publish('neuroscientist', 'llm_call', {
      performance_metrics: { confidence_score: 0.5, tokens_used: 10 },
    });
    const high = await publish('neuroscientist', 'llm_call', {
      performance_metrics: { confidence_score: 0.9, tokens_used: 20 },
    });
    const sentinel = await publish('neuroscientist', 'agent_decision');
    await waitForRow(sentinel);

    const ids = (await rows()).map((r) => r.id);
    expect(ids).toEqual([sentinel, high]);
    expect(ids).not.toContain(low);
  });

  it('shows AUTH_REQUIRED when connecting without a token', async () => {
    await page.fill('#token', '');
    await page.click('#connect');
    const box = await page.waitForSelector('#connect-error[data-code="AUTH_REQUIRED"]', {
      state: 'visible',
    });
    await expect(box.textContent()).resolves.toContain('AUTH_REQUIRED');
    await page.waitForSelector('#status[data-state="error"]');
    await expect(page.isDisabled('#load-recent')).resolves.toBe(true);
  });

  it('loads recent events from the stream, filtered by the agent filter', async () => {
    const mine = await publish('neuroscientist', 'knowledge_access', {
      payload: { source: 'pubmed' },
    });
    const coach = await publish('training_coach', 'knowledge_access');
    await connect({ agentFilter: 'neuroscientist' });
    await expect(page.$$('#events li.event-row')).resolves.toHaveLength(0); // live only: nothing before connect

    await page.click('#load-recent');
    await waitForRow(mine, '#recent-events');
    const recent = await rows('#recent-events');
    expect(recent.length).toBeGreaterThan(0);
    expect(new Set(recent.map((r) => r.agent))).toEqual(new Set(['neuroscientist']));
    expect(recent.map((r) => r.id)).not.toContain(coach);
    expect(recent[0].id).toBe(mine); // newest first
    await page.locator('#recent-count', { hasText: new RegExp(`^${recent.length}$`) }).waitFor();
    await expect(page.locator('#recent-panel').getAttribute('open')).resolves.not.toBeNull(); // <details> opened
  });

  it('renders hostile strings as text, never as HTML', async () => {
    await connect({});
    const hostile = await publish('neuroscientist', 'agent_decision', {
      source_agent: { id: 'neuroscientist', role: XSS, goal: XSS },
      target_agent: { id: `coach${XSS}`, role: XSS },
      payload: { note: XSS, nested: { html: XSS } },
      metadata: { label: XSS },
      performance_metrics: { model: XSS, success: false, error_type: XSS },
    });
    const row = await waitForRow(hostile);
    await expect(row.textContent()).resolves.toContain(XSS); // shown literally in the row
    await page.click(`#events li.event-row[data-event-id="${hostile}"] button.event-summary`); // expand: the JSON view shows role and payload
    const json = await page.waitForSelector(
      `#events li.event-row[data-event-id="${hostile}"] pre.event-json`,
    );
    await expect(json.textContent()).resolves.toContain(
      '"role": "<img src=x onerror=\\"window.__pwned=1\\">"',
    );

    await page.click('#load-recent');
    await waitForRow(hostile, '#recent-events');

    await expect(page.locator('main img').count()).resolves.toBe(0); // no <img> was ever parsed, so no onerror can run
    await expect(
      page.evaluate(() => typeof (globalThis as { __pwned?: unknown }).__pwned),
    ).resolves.toBe('undefined');
  });
});
