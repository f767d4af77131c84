/**
 * deploy/grafana/dashboards/operations.json against a real Prometheus (Debian's package) scraping a
 * real running stack: ingest, a gateway and history as processes from dist/ on the harness's Redis
 * and PostgreSQL, each with its metrics on AUREN_METRICS_PORT as in docker-compose.yml and k8s/,
 * under generated load (events posted, socket.io-clients receiving, a resume, a refused handshake,
 * a refused event). Every panel's PromQL, with Grafana's `$__rate_interval` as `1m`, must return
 * at least one series through Prometheus's HTTP API. Also: Prometheus loads the shipped alerting
 * rules and evaluates them against the live metrics without error.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, postJson } from '../harness/apps';
import { connectClient, refusal, type ConnectedClient } from '../harness/clients';
import { ensurePrometheus } from '../harness/deploy-tools';
import { createDatabase } from '../harness/postgres';
import { freePort } from '../harness/ports';
import { waitFor } from '../harness/wait';

const ROOT = join(__dirname, '..', '..');
const TOKEN = 'test-token-deploy';

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}

/** Grafana's variables, as a dashboard on this Prometheus would expand them. */
function grafanaExpand(expr: string): string {
  return expr
    .replace(/\$__rate_interval/g, '1m')
    .replace(/\$__interval/g, '15s')
    .replace(/\$__range/g, '1h');
}

interface AlertsAnswer {
  data: { alerts: { labels: { alertname: string }; state: string }[] };
}

interface QueryAnswer {
  status: string;
  data: { resultType: string; result: unknown[] };
  error?: string;
}

describe('Operations dashboard on a real Prometheus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'auren-prometheus-'));
  const processes: AppProcess[] = [];
  const clients: ConnectedClient[] = [];
  let prometheus: ChildProcess | undefined;
  let prometheusUrl = '';
  let prometheusLog = '';
  let ingestUrl = '';
  let load: NodeJS.Timeout | undefined;
  let sequence = 0;

  const events = (count: number) =>
    Array.from({ length: count }, () => ({
      event_id: `deploy-${Date.now()}-${sequence++}`,
      event_type: sequence % 2 ? 'llm_call' : 'agent_decision',
      source_agent: { id: sequence % 3 ? 'neuroscientist' : 'training_coach' },
      performance_metrics: { latency_ms: 100 + (sequence % 50), confidence_score: 0.9 },
    }));

  async function post(count: number): Promise<string[]> {
    const reply = await postJson(`${ingestUrl}/v1/events/batch`, { events: events(count) });
    if (reply.status !== 202) throw new Error(`ingest answered ${reply.status}`);
    return (reply.body.results as { stream_id: string }[]).map((r) => r.stream_id);
  }

  beforeAll(async () => {
    const prometheusBinary = ensurePrometheus();
    const [ingestPort, gatewayPort, historyPort, promPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const metricsPorts = {
      ingest: await freePort(),
      gateway: await freePort(),
      history: await freePort(),
    };
    const env = {
      REDIS_URL: process.env.AUREN_TEST_REDIS_URL,
      AUREN_STREAM_KEY: `e2e-deploy:${Date.now()}:${Math.random().toString(36).slice(2)}`,
      AUREN_METRICS_HOST: '127.0.0.1',
      AUREN_SUMMARY_WARMUP_EVENTS: '0',
    };
    ingestUrl = `http://127.0.0.1:${ingestPort}`;
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const historyUrl = `http://127.0.0.1:${historyPort}`;
    const ingest = AppProcess.spawn('ingest', {
      ...env,
      INGEST_PORT: String(ingestPort),
      AUREN_METRICS_PORT: String(metricsPorts.ingest),
    });
    const gateway = AppProcess.spawn('gateway', {
      ...env,
      GATEWAY_PORT: String(gatewayPort),
      AUREN_METRICS_PORT: String(metricsPorts.gateway),
    });
    const history = AppProcess.spawn('history', {
      ...env,
      HISTORY_PORT: String(historyPort),
      DATABASE_URL: await createDatabase('deploy'),
      AUREN_METRICS_PORT: String(metricsPorts.history),
    });
    processes.push(ingest, gateway, history);
    await Promise.all([
      ingest.ready(`${ingestUrl}/health/ready`),
      gateway.ready(`${gatewayUrl}/health/ready`),
      history.ready(`${historyUrl}/health/ready`, 60_000),
    ]);

    // Prometheus with the job names of deploy/prometheus/prometheus.yml and k8s/monitoring, a 1 s
    // scrape interval, and the shipped rules.
    const target = (port: number) => `127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        `  - ${join(ROOT, 'deploy/prometheus/rules/auren.rules.yml')}`,
        'scrape_configs:',
        ...Object.entries(metricsPorts).flatMap(([app, port]) => [
          `  - job_name: auren-${app}`,
          '    static_configs:',
          `      - targets: ['${target(port)}']`,
        ]),
        '',
      ].join('\n'),
    );
    prometheusUrl = `http://127.0.0.1:${promPort}`;
    prometheus = spawn(
      prometheusBinary,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stderr?.on('data', (chunk: Buffer) => (prometheusLog += chunk.toString()));
    prometheus.stdout?.on('data', (chunk: Buffer) => (prometheusLog += chunk.toString()));

    // Load: a client receiving everything, a client with a narrow filter, events every 200 ms,
    // a refused event, a refused handshake, a resume.
    clients.push(await connectClient(gatewayUrl, { token: TOKEN }));
    clients.push(
      await connectClient(gatewayUrl, { token: TOKEN, agent_filter: ['training_coach'] }),
    );
    const positions = await post(200);
    await clients[0].waitForEvents(200);
    expect((await postJson(`${ingestUrl}/v1/events`, { event_type: 'nonsense' })).status).toBe(400);
    expect((await refusal(gatewayUrl, { token: 'not-a-valid-token' })).code).toBe('AUTH_FAILED');
    const resumed = await connectClient(gatewayUrl, {
      token: TOKEN,
      resume_from: positions[100],
    });
    clients.push(resumed);
    expect(resumed.established.resume).toMatchObject({ recovered: true });
    load = setInterval(() => void post(20).catch(() => undefined), 200);

    await waitFor(
      async () => {
        const answer = (await (await fetch(`${prometheusUrl}/api/v1/targets`)).json()) as {
          data: { activeTargets: { health: string; scrapePool: string }[] };
        };
        const up = answer.data.activeTargets.filter((t) => t.health === 'up');
        return up.length === 3;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'Prometheus to scrape the three apps' },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nprometheus log:\n${prometheusLog.slice(-3000)}`);
    });
  }, 110_000);

  afterAll(async () => {
    if (load) clearInterval(load);
    for (const client of clients) client.close();
    prometheus?.kill('SIGTERM');
    await Promise.all(processes.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function query(expr: string): Promise<QueryAnswer> {
    const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return (await response.json()) as QueryAnswer;
  }

  it('every panel query returns data', async () => {
    const dashboard = JSON.parse(
      readFileSync(join(ROOT, 'deploy/grafana/dashboards/operations.json'), 'utf8'),
    ) as { panels: Panel[] };
    const queries = dashboard.panels.flatMap((panel) =>
      (panel.targets ?? []).map((t) => ({ panel: panel.title, expr: grafanaExpand(t.expr) })),
    );
    expect(queries.length).toBeGreaterThan(15);
    let empty: string[] = [];
    // Rates need two scrapes inside the window, histograms an observation: poll, don't sleep.
    await waitFor(
      async () => {
        const answers = await Promise.all(queries.map((q) => query(q.expr)));
        const failed = answers.find((a) => a.status !== 'success');
        if (failed) throw new Error(`query failed: ${failed.error}`);
        empty = queries
          .filter((_, i) => answers[i].data.result.length === 0)
          .map((q) => `${q.panel}: ${q.expr}`);
        return empty.length === 0;
      },
      { timeoutMs: 45_000, intervalMs: 1000, what: 'every panel to return data' },
    ).catch(() => undefined);
    expect(empty).toEqual([]);
  }, 60_000);

  it('loads the alerting rules and evaluates them without errors', async () => {
    const answer = (await (await fetch(`${prometheusUrl}/api/v1/rules`)).json()) as {
      data: {
        groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[];
      };
    };
    const rules = answer.data.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThan(15);
    await waitFor(
      async () => {
        const now = (await (await fetch(`${prometheusUrl}/api/v1/rules`)).json()) as typeof answer;
        return now.data.groups.flatMap((g) => g.rules).every((r) => r.health === 'ok');
      },
      { timeoutMs: 15_000, intervalMs: 500, what: 'every rule evaluated with health ok' },
    );
    // The stack is healthy except that the harness's Redis keeps nothing on disk: exactly that
    // alert fires, from the ingest's live auren_redis_durability gauge.
    await waitFor(
      async () => {
        const now = (await (await fetch(`${prometheusUrl}/api/v1/alerts`)).json()) as AlertsAnswer;
        return now.data.alerts.some((a) => a.state === 'firing');
      },
      { timeoutMs: 15_000, intervalMs: 500, what: 'the volatile-Redis alert to fire' },
    );
    const firing = (
      (await (await fetch(`${prometheusUrl}/api/v1/alerts`)).json()) as AlertsAnswer
    ).data.alerts.filter((a) => a.state === 'firing');
    expect(firing.map((a) => a.labels.alertname)).toEqual(['AurenRedisVolatile']);
  });
});
