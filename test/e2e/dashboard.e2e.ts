import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AppProcess, postJson } from '../harness/apps';
import { freePort } from '../harness/ports';
import { waitFor } from '../harness/wait';

/**
 * The dashboard (apps/dashboard, served by the gateway at `/`) in headless Chromium against the
 * real stack: the harness's Redis, ingest and a gateway started from dist/ as their own processes
 * (so the gateway can be restarted under the page). Screenshots go to docs/images/dashboard-*.png.
 */
const CHROMIUM = '/usr/bin/chromium';
const WAIT_MS = 15_000;
const IMAGES = join(__dirname, '..', '..', 'docs', 'images');
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const run = Date.now().toString(36);
let seq = 0;
const eventId = (tag: string) => `dash-${run}-${tag}-${seq++}`;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

describe('Dashboard in headless Chromium (Redis, ingest, gateway processes)', () => {
  const redisUrl = process.env.AUREN_TEST_REDIS_URL as string;
  const streamKey = `test:dashboard:${run}`;
  let ingest: AppProcess | undefined;
  let gateway: AppProcess | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let ingestUrl = '';
  let gatewayUrl = '';
  let gatewayPort = 0;
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];

  const startGateway = async () => {
    gateway = AppProcess.spawn('gateway', {
      REDIS_URL: redisUrl,
      AUREN_STREAM_KEY: streamKey,
      GATEWAY_PORT: String(gatewayPort),
      AUREN_LOG_LEVEL: 'warn',
    });
    await gateway.ready(`${gatewayUrl}/health/ready`);
  };

  /** Posts a batch; answers the event ids. */
  const publish = async (events: Record<string, unknown>[]): Promise<string[]> => {
    const withIds = events.map((event) => ({ event_id: eventId('e'), ...event }));
    const reply = await postJson(`${ingestUrl}/v1/events/batch`, { events: withIds });
    expect(reply.status).toBe(202);
    return withIds.map((event) => event.event_id);
  };

  const counter = async (name: 'received' | 'stream-events' | 'buffered') =>
    Number(await page.getAttribute('[data-testid=counters]', `data-${name}`));

  const feedCount = async (testId = 'feed') =>
    Number(await page.getAttribute(`[data-testid=${testId}-count]`, 'data-count'));

  /** axe-core in the page (evaluated over CDP, so the page's CSP need not allow it). */
  const axe = async (name: string) => {
    await page.evaluate(AXE);
    const violations = await page.evaluate(async () => {
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

  const screenshot = (name: string) =>
    page.screenshot({ path: join(IMAGES, `dashboard-${name}.png`), fullPage: true });

  const openPage = async (path = '/') => {
    await context?.close();
    if (!browser) throw new Error('the browser did not start');
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    await page.goto(`${gatewayUrl}${path}`);
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}: apt-get install chromium (CI installs it).`,
      );
    mkdirSync(IMAGES, { recursive: true });
    const ingestPort = await freePort();
    gatewayPort = await freePort();
    ingestUrl = `http://127.0.0.1:${ingestPort}`;
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    ingest = AppProcess.spawn('ingest', {
      REDIS_URL: redisUrl,
      AUREN_STREAM_KEY: streamKey,
      INGEST_PORT: String(ingestPort),
      AUREN_RATE_LIMIT_EVENTS_PER_SECOND: '0',
      AUREN_LOG_LEVEL: 'warn',
    });
    const launched = chromium.launch({
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
    await Promise.all([ingest.ready(`${ingestUrl}/health/ready`), startGateway()]);
    browser = await launched;
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await gateway?.stop();
    await ingest?.stop();
  });

  afterEach(() => {
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });

  it('serves the build with caching headers, a strict CSP, the config endpoint and /console', async () => {
    const index = await fetch(`${gatewayUrl}/`);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain("connect-src 'self' ws: wss:");
    const html = await index.text();
    expect(html).not.toMatch(/<script>/); // no inline script at all
    const asset = /\/assets\/[^"]+\.js/.exec(html)?.[0];
    const js = await fetch(`${gatewayUrl}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const config = (await (await fetch(`${gatewayUrl}/dashboard/config.json`)).json()) as Record<
      string,
      unknown
    >;
    expect(config).toEqual({
      mode: 'development',
      historyUrl: null,
      testToken: expect.stringMatching(/^test/),
    });
    const console = await fetch(`${gatewayUrl}/console`);
    expect(console.status).toBe(200);
    expect(await console.text()).toContain('socket.io');
  });

  it('starts empty, then fills the overview, the agent cards and the feed as events are posted', async () => {
    await openPage('/');
    await page.waitForSelector('[data-testid=status][data-state=connected]');
    await page.waitForSelector('[data-testid=dev-note]');
    await page.waitForSelector('[data-testid=view-overview] [data-state=empty]');
    const agents = ['neuroscientist', 'training_coach', 'sleep_analyst'];
    const types = ['llm_call', 'tool_usage', 'agent_decision', 'agent_collaboration'];
    const now = Date.now();
    const events = Array.from({ length: 120 }, (_, i) => {
      const type = types[i % 4];
      const failed = i % 10 === 0;
      return {
        event_type: type,
        timestamp: new Date(now - (120 - i) * 2000).toISOString(),
        source_agent: { id: agents[i % 3], role: `Role ${i % 3}` },
        payload:
          type === 'tool_usage'
            ? {
                tool_name: 'pubmed_search',
                ...(failed ? { error_message: 'pubmed answered 503' } : {}),
              }
            : type === 'agent_collaboration'
              ? {
                  primary_agent: agents[i % 3],
                  collaborating_agents: [agents[(i + 1) % 3]],
                  consensus_reached: true,
                }
              : failed
                ? { error_message: 'model overloaded' }
                : {},
        performance_metrics: {
          latency_ms: 80 + (i % 20) * 60,
          token_cost: 0.0005 * (i % 9),
          tokens_used: 200 + i,
          success: !failed,
          confidence_score: i % 2 ? 0.9 : 0.5,
          model: i % 2 ? 'gpt-4o' : 'claude-sonnet',
          ...(failed ? { error_type: 'upstream_error' } : {}),
        },
      };
    });
    await publish(events);
    await waitFor(async () => (await counter('received')) >= 120, {
      timeoutMs: WAIT_MS,
      what: '120 events received',
    });
    await page.waitForSelector('[data-testid=agent-card][data-agent=sleep_analyst]');
    expect(await page.locator('[data-testid=agent-card]').count()).toBe(3);
    expect(
      await page.getAttribute('[data-testid=agent-card][data-agent=neuroscientist]', 'data-ops'),
    ).toBe('40');
    await page.waitForSelector('[data-testid=chart-events] canvas');
    await waitFor(async () => (await feedCount()) === 120, { what: 'the feed to show 120 events' });
    await screenshot('overview');
    await axe('overview');
    // A fresh tab is never empty: get_recent fills it.
    await openPage('/');
    await waitFor(async () => (await feedCount()) === 120, {
      what: 'a fresh tab to load recent events',
    });
    await page.click('button[aria-label^="Switch to"]');
    await screenshot('overview-dark');
    await axe('overview (dark)');
    await page.click('button[aria-label^="Switch to"]');
  });

  it('pauses the feed without losing events, and opens an event as JSON', async () => {
    await page.click('[data-testid=feed-pause]');
    const before = await feedCount();
    const ids = await publish(
      Array.from({ length: 25 }, () => ({
        event_type: 'knowledge_access',
        source_agent: { id: 'librarian' },
      })),
    );
    await waitFor(
      async () =>
        Number(await page.getAttribute('[data-testid=feed-paused]', 'data-waiting')) === 25,
      { what: '25 events held while paused' },
    );
    expect(await feedCount()).toBe(before);
    await page.click('[data-testid=feed-pause]');
    await waitFor(async () => (await feedCount()) === before + 25, {
      what: 'the held events shown on resume',
    });
    await page.fill('[data-testid=feed] input[type=search]', 'librarian');
    await waitFor(async () => (await feedCount()) === 25, {
      what: 'the search to narrow the feed',
    });
    expect(page.url()).toContain('q=librarian');
    const newest = ids[ids.length - 1];
    await page.click(`[data-testid=feed] [data-event-id="${newest}"]`);
    const json = await page.textContent('[data-testid=event-json]');
    expect(JSON.parse(json ?? '{}')).toMatchObject({
      event_id: newest,
      source_agent: { id: 'librarian' },
    });
    await screenshot('event-detail');
    await axe('event detail');
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid=event-detail]', { state: 'detached' });
    await page.fill('[data-testid=feed] input[type=search]', '');
  });

  it('shows an agent: failures with their messages, tools, collaborators', async () => {
    await page.click('[data-testid=agent-card][data-agent=neuroscientist]');
    await page.waitForSelector('[data-testid=view-agent][data-agent=neuroscientist]');
    expect(page.url()).toContain('view=agent');
    expect(await page.textContent('[data-testid=agent-ops]')).toBe('40');
    await page.locator('[data-testid=agent-failures]', { hasText: 'model overloaded' }).waitFor();
    await page.locator('[data-testid=agent-tools]', { hasText: 'pubmed_search' }).waitFor();
    await page
      .locator('[data-testid=agent-collaborators]', { hasText: 'training_coach' })
      .waitFor();
    await page.waitForSelector('[data-testid=agent-activity] canvas');
    await screenshot('agent');
    await axe('agent detail');
  });

  it('loads the look-back views on demand (their own chunk, same CSP)', async () => {
    for (const view of ['traces', 'collaboration', 'alerts', 'history']) {
      await page.click(`nav a[href="?view=${view}"]`);
      await waitFor(
        async () =>
          !/Loading the view|failed to load/.test((await page.textContent('main')) ?? '') &&
          ((await page.textContent('main')) ?? '').length > 0,
        { what: `the ${view} view to load` },
      );
      expect(page.url()).toContain(`view=${view}`);
      // No screenshot here: docs/images/dashboard-<view>.png show these views with data
      // (test/e2e/dashboard-lookback.e2e.ts, which runs them against the history service).
    }
  });

  it('fits a tablet: every view at 768 and 1024 px wide without sideways scrolling', async () => {
    const views = ['overview', 'agent', 'traces', 'collaboration', 'alerts', 'history'];
    try {
      for (const viewport of [
        { width: 768, height: 1024 },
        { width: 1024, height: 768 },
      ]) {
        await page.setViewportSize(viewport);
        for (const view of views) {
          await page.click(`nav a[href="?view=${view}"]`);
          await waitFor(
            async () =>
              !/Loading the view/.test((await page.textContent('main')) ?? '') &&
              ((await page.textContent('main')) ?? '').length > 0,
            { what: `the ${view} view at ${viewport.width} px` },
          );
          // Wide content (tables, the feed) scrolls inside its own box, never the page.
          const overflow = await page.evaluate<{ page: number; wide: string[] }>(`({
            page: document.documentElement.scrollWidth - window.innerWidth,
            wide: [...document.querySelectorAll('body *')]
              .filter((el) => {
                const box = el.getBoundingClientRect();
                if (box.width === 0 || box.right <= window.innerWidth + 1) return false;
                // Inside a box that scrolls sideways: reachable by scrolling that box.
                for (let up = el.parentElement; up; up = up.parentElement)
                  if (/(auto|scroll|hidden)/.test(getComputedStyle(up).overflowX)) return false;
                return true;
              })
              .slice(0, 5)
              .map((el) => el.tagName.toLowerCase() + '.' + el.className),
          })`);
          expect({ view, width: viewport.width, ...overflow }).toEqual({
            view,
            width: viewport.width,
            page: 0,
            wide: [],
          });
          // The navigation stays on screen and usable.
          expect(await page.isVisible(`nav a[href="?view=overview"]`)).toBe(true);
        }
        await page.click(`nav a[href="?view=overview"]`);
        await page.waitForSelector('[data-testid=view-overview]');
        await screenshot(`overview-tablet-${viewport.width}`);
      }
      await axe('overview (tablet)');
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it('filters on the gateway: only the chosen agent is sent, and the link keeps the filter', async () => {
    await page.click('nav a[href="?view=overview"]');
    await page.click('.filters summary');
    await page.fill('[data-testid=filter-form] input[name=agents]', 'training_coach');
    await page.click('[data-testid=filter-form] button[type=submit]');
    await page
      .locator('[data-testid=filter-summary]', { hasText: 'agents: training_coach' })
      .waitFor();
    expect(page.url()).toContain('agents=training_coach');
    // After the filter change the buffer holds only the agent's recent events.
    await waitFor(async () => (await page.locator('[data-testid=agent-card]').count()) === 1, {
      what: 'one agent card',
    });
    const streamed = await counter('stream-events');
    const ids = await publish([
      ...Array.from({ length: 5 }, () => ({
        event_type: 'llm_call',
        source_agent: { id: 'neuroscientist' },
      })),
      { event_type: 'llm_call', source_agent: { id: 'training_coach' } },
      ...Array.from({ length: 5 }, () => ({
        event_type: 'tool_usage',
        source_agent: { id: 'sleep_analyst' },
      })),
      { event_type: 'agent_decision', source_agent: { id: 'training_coach' } },
    ]);
    await page.waitForSelector(`[data-testid=feed] [data-event-id="${ids[ids.length - 1]}"]`, {
      state: 'attached',
    });
    // The page counts every stream_event the gateway sent: only the 2 of training_coach came.
    expect((await counter('stream-events')) - streamed).toBe(2);
    // A shared link opens with the same filter.
    await openPage(`/?agents=training_coach`);
    await page.waitForSelector('[data-testid=status][data-state=connected]');
    await page
      .locator('[data-testid=filter-summary]', { hasText: 'agents: training_coach' })
      .waitFor();
    await page.waitForSelector('[data-testid=agent-card][data-agent=training_coach]');
    expect(await page.locator('[data-testid=agent-card]').count()).toBe(1);
    await openPage('/');
    await page.waitForSelector('[data-testid=status][data-state=connected]');
  });

  it('reconnects after the gateway restarts and resumes without losing events', async () => {
    await waitFor(async () => (await feedCount()) > 0, { what: 'recent events' });
    const before = await counter('received');
    await gateway?.stop();
    await page.waitForSelector('[data-testid=disconnected]');
    const ids = await publish(
      Array.from({ length: 7 }, () => ({
        event_type: 'memory_tier_access',
        source_agent: { id: 'archivist' },
        payload: { tier: 'redis', operation: 'get', hit: true },
      })),
    );
    await startGateway();
    await page.waitForSelector('[data-testid=status][data-state=connected]', { timeout: 30_000 });
    await page
      .locator('[data-testid=banner]', {
        hasText: 'Reconnected and resumed: 7 missed events replayed',
      })
      .waitFor();
    for (const id of ids)
      await page.waitForSelector(`[data-testid=feed] [data-event-id="${id}"]`, {
        state: 'attached',
      });
    expect((await counter('received')) - before).toBe(7);
    await screenshot('reconnected');
  });

  it('shows a clear error for a bad token, never a blank page', async () => {
    await page.click('header button:has-text("Token")');
    await page.fill('#token-input', 'not-a-valid-token');
    await page.click('[data-testid=login] button[type=submit]');
    await page.waitForSelector('[data-testid=status][data-state=refused]');
    await page.locator('.state-error', { hasText: 'AUTH_FAILED' }).waitFor();
    expect(await page.textContent('[data-testid=refusal-message]')).toMatch(/token/i);
    await screenshot('bad-token');
    await axe('bad token');
    // The token lives in sessionStorage: a reload keeps it (and the error); sign out clears it.
    expect(
      await page.evaluate(() =>
        (
          globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } }
        ).sessionStorage.getItem('auren.dashboard.token'),
      ),
    ).toBe('not-a-valid-token');
    await page.click('header button:has-text("Sign out")');
    await page.waitForSelector('[data-testid=status][data-state=connected]');
  });
});
