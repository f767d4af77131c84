import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, postJson } from '../harness/apps';
import { freePort } from '../harness/ports';
import { ensureVenv, VENVS } from '../harness/python';
import { waitFor } from '../harness/wait';

const DIR = join(__dirname, '..', '..', 'examples', 'python-dashboard');

interface Message {
  type: string;
  [key: string]: unknown;
}

/** examples/python-dashboard/dashboard.py as a process, its --json output read line by line. */
class Dashboard {
  private readonly out: string[] = [];
  private readonly err: string[] = [];
  private exitCode?: number | null;
  private readonly home = mkdtempSync(join(tmpdir(), 'auren-py-dashboard-'));

  private readonly child: ChildProcess;

  constructor(python: string, args: string[]) {
    this.child = spawn(python, [join(DIR, 'dashboard.py'), ...args], {
      cwd: DIR,
      env: { PATH: process.env.PATH, HOME: this.home, PYTHONUNBUFFERED: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => this.out.push(chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => this.err.push(chunk.toString()));
    this.child.on('exit', (code) => {
      this.exitCode = code;
      rmSync(this.home, { recursive: true, force: true });
    });
  }

  get stderr(): string {
    return this.err.join('');
  }

  /** Every server message printed so far (stdout holds only JSON lines in --json mode). */
  get messages(): Message[] {
    return this.out
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Message);
  }

  /** The event_ids of the stream_events printed, in order. */
  get eventIds(): string[] {
    return this.messages
      .filter((m) => m.type === 'stream_event')
      .map((m) => (m.event as { event_id: string }).event_id);
  }

  async until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
    return waitFor(
      () => {
        const value = probe();
        if (value) return value;
        if (this.exitCode !== undefined) {
          throw new Error(
            `the dashboard exited (${this.exitCode}):\n${this.out.join('')}\n${this.stderr}`,
          );
        }
        return undefined;
      },
      { timeoutMs, what: `${what}\nstdout:\n${this.out.join('')}\nstderr:\n${this.stderr}` },
    );
  }

  type(command: string): void {
    this.child.stdin?.write(`${command}\n`);
  }

  exited(timeoutMs = 15_000): Promise<number | null> {
    return waitFor(() => (this.exitCode !== undefined ? { code: this.exitCode } : undefined), {
      timeoutMs,
      what: `the dashboard to exit:\n${this.out.join('')}\n${this.stderr}`,
    }).then((r) => r.code);
  }

  kill(): void {
    if (this.exitCode === undefined) this.child.kill('SIGKILL');
  }
}

/**
 * The Python dashboard example (python-socketio from PyPI, pinned) against a spawned ingest and
 * gateway on the harness's Redis: handshake filters, a live filter_update, and a forced reconnect
 * — the gateway stopped (drain) and started again — after which it resumes from the last stream
 * position: every event it should see, once, in order, none it should not.
 */
describe('Python dashboard (python-socketio) -> gateway', () => {
  const env = {
    REDIS_URL: process.env.AUREN_TEST_REDIS_URL,
    AUREN_STREAM_KEY: `e2e:py-dashboard:${Date.now()}`,
  };
  let python: string;
  let ingest: AppProcess;
  let gateway: AppProcess;
  let gatewayPort: number;
  let ingestUrl: string;
  let gatewayUrl: string;
  const dashboards: Dashboard[] = [];
  const draining: AppProcess[] = [];
  let seq = 0;

  const startGateway = async () => {
    gateway = AppProcess.spawn('gateway', { ...env, GATEWAY_PORT: String(gatewayPort) });
    await gateway.ready(`${gatewayUrl}/health/ready`);
  };
  const post = async (agent: string) => {
    const eventId = `py-dash-${seq++}-${agent}`;
    const reply = await postJson(`${ingestUrl}/v1/events`, {
      event_id: eventId,
      event_type: 'llm_call',
      source_agent: { id: agent },
      performance_metrics: { latency_ms: 30, confidence_score: 0.9 },
    });
    expect(reply.status).toBe(202);
    return eventId;
  };

  beforeAll(async () => {
    const started = Date.now();
    python = await ensureVenv(VENVS.pythonDashboard);
    process.stderr.write(`python-dashboard: venv ready in ${Date.now() - started} ms\n`);
    const ingestPort = await freePort();
    gatewayPort = await freePort();
    ingestUrl = `http://127.0.0.1:${ingestPort}`;
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    ingest = AppProcess.spawn('ingest', { ...env, INGEST_PORT: String(ingestPort) });
    await Promise.all([ingest.ready(`${ingestUrl}/health/ready`), startGateway()]);
  }, 10 * 60_000);

  afterAll(async () => {
    for (const dashboard of dashboards) dashboard.kill();
    await Promise.all([ingest, gateway, ...draining].map((p) => p?.stop()));
  });

  // Two dashboards through the same steps: python-socketio's default transports (long-polling,
  // upgraded to WebSocket) and long-polling only. A drain ends them differently ("transport error":
  // python-socketio reconnects; "server disconnect": it does not, the dashboard does).
  it('prints filtered events, follows filter_update, and resumes without a gap after the gateway restarts (WebSocket and long-polling)', async () => {
    const open = (transport: string[]) => {
      const dashboard = new Dashboard(python, [
        '--url',
        gatewayUrl,
        '--token',
        'test-py-dashboard',
        '--agent-filter',
        'py_watched',
        '--json',
        '--reconnect-delay-max',
        '1',
        ...transport,
      ]);
      dashboards.push(dashboard);
      return dashboard;
    };
    const both = [open([]), open(['--transport', 'polling'])];
    const eachUntil = <T>(
      what: string,
      probe: (d: Dashboard) => T | undefined | false,
      ms?: number,
    ) => Promise.all(both.map((d) => d.until(what, () => probe(d), ms)));

    const established = await eachUntil('connection_established', (d) =>
      d.messages.find((m) => m.type === 'connection_established'),
    );
    for (const message of established) {
      expect(message).toMatchObject({ user_id: 'test_user', agent_filter: ['py_watched'] });
    }

    // Handshake filter: only py_watched.
    const expected = [await post('py_watched')];
    const hidden = [await post('py_other')];
    expected.push(await post('py_watched'));
    await eachUntil('the first two events', (d) => d.eventIds.length >= 2);

    // filter_update from a stdin command; the reply comes back as filter_updated.
    for (const d of both) d.type('filter py_watched,py_other');
    const updated = await eachUntil('filter_updated', (d) =>
      d.messages.find((m) => m.type === 'filter_updated'),
    );
    for (const message of updated) {
      expect(message).toMatchObject({ agent_filter: ['py_watched', 'py_other'] });
    }
    expected.push(await post('py_other'));
    await eachUntil('the py_other event', (d) => d.eventIds.length >= 3);

    // Forced reconnect: the gateway drains (SIGTERM); events are posted while it is away; a new
    // gateway takes the port. The old process is not waited for: with python-engineio's
    // WebSocket transport it lingers up to 30 s after the drain (README "Drain").
    const old = gateway;
    process.kill(old.pid as number, 'SIGTERM');
    draining.push(old);
    const reasons = await eachUntil(
      'the disconnect',
      (d) => /disconnected \(([a-z ]+)\)/.exec(d.stderr)?.[1],
    );
    expect(reasons).toEqual(['transport error', 'server disconnect']);
    expected.push(await post('py_watched'));
    hidden.push(await post('py_ignored'));
    expected.push(await post('py_other'));
    await waitFor(async () => !(await fetch(`${gatewayUrl}/health/live`).catch(() => undefined)), {
      what: 'the old gateway to stop listening',
    });
    await startGateway();

    const resumed = await eachUntil(
      'connection_established after the restart',
      (d) => d.messages.filter((m) => m.type === 'connection_established')[1],
      30_000,
    );
    // Resumed from the last position, with the filter set by filter_update, not the first one.
    for (const message of resumed) {
      expect(message).toMatchObject({
        agent_filter: ['py_watched', 'py_other'],
        resume: { recovered: true, replayed: 2 },
      });
    }
    expected.push(await post('py_watched'));
    await eachUntil('the live event after the resume', (d) =>
      d.eventIds.includes(expected[expected.length - 1]),
    );

    const order = (a: string, b: string) => {
      const [am, as] = a.split('-').map(BigInt);
      const [bm, bs] = b.split('-').map(BigInt);
      return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
    };
    for (const d of both) {
      expect(d.eventIds).toEqual(expected);
      for (const id of hidden) expect(d.eventIds).not.toContain(id);
      const positions = d.messages
        .filter((m) => m.type === 'stream_event')
        .map((m) => (m.event as { stream_id: string }).stream_id);
      expect([...positions].sort(order)).toEqual(positions);
      expect(new Set(positions).size).toBe(positions.length);
      d.type('quit');
    }
    for (const d of both) {
      expect(await d.exited()).toBe(0);
      expect(d.stderr).toContain(`stopped: ${expected.length} events received`);
    }
  });

  it("exits 3 with the gateway's code and message when the handshake is refused", async () => {
    const dashboard = new Dashboard(python, ['--url', gatewayUrl, '--token', 'not-a-jwt']);
    dashboards.push(dashboard);

    expect(await dashboard.exited()).toBe(3);
    expect(dashboard.stderr).toContain(
      'refused: connect_error AUTH_FAILED: the token is not a valid JWT',
    );
  });
});
