import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, postJson } from '../harness/apps';
import { connectClient } from '../harness/clients';
import { freePort } from '../harness/ports';

/**
 * Issue 10 §6: start-up that explains itself, on the built apps (dist/) as `npm run start:*` runs
 * them. The cases are independent processes on their own free ports and run side by side.
 */

type App = 'ingest' | 'gateway' | 'history' | 'all-in-one';
const GRPC_ADVICE = ' (0 picks one) or AUREN_GRPC_ENABLED=false';
const JWT_SECRET = 'a-production-secret-of-at-least-32-characters';
const METRICS_TOKEN = 'metrics-token-5f0c1a9e7b3d4e21';

/** Another process's listening socket on 127.0.0.1 (the apps' development host). */
async function occupy(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

/** Free ports for every door of every app, so that only the occupied one fails. */
async function freeDoors(): Promise<Record<string, string>> {
  return {
    INGEST_PORT: String(await freePort()),
    GATEWAY_PORT: String(await freePort()),
    HISTORY_PORT: String(await freePort()),
    GRPC_PORT: '0',
  };
}

const running: AppProcess[] = [];
function spawn(app: App, env: Record<string, string>): AppProcess {
  const process = AppProcess.spawn(app, env);
  running.push(process);
  return process;
}
afterAll(() => Promise.all(running.map((p) => p.stop())));

describe('A port in use: one line naming the variable, exit 69, nothing started before it', () => {
  const cases: [App, string][] = [
    ['ingest', 'INGEST_PORT'],
    ['ingest', 'GRPC_PORT'],
    ['ingest', 'AUREN_METRICS_PORT'],
    ['gateway', 'GATEWAY_PORT'],
    ['gateway', 'AUREN_METRICS_PORT'],
    ['all-in-one', 'INGEST_PORT'],
    ['all-in-one', 'GATEWAY_PORT'],
    ['all-in-one', 'AUREN_METRICS_PORT'],
    ['all-in-one', 'HISTORY_PORT'],
    ['history', 'HISTORY_PORT'],
    ['history', 'AUREN_METRICS_PORT'],
  ];

  it.concurrent.each(cases)('%s with %s taken', async (app, variable) => {
    const taken = await occupy();
    try {
      const process = spawn(app, { ...(await freeDoors()), [variable]: String(taken.port) });

      expect(await process.exited(90_000)).toBe(69);
      const advice = variable === 'GRPC_PORT' ? GRPC_ADVICE : '';
      expect(lines(process.text)).toEqual([
        `${variable} ${taken.port} is in use by another process: set ${variable} to a free port${advice}`,
      ]);
    } finally {
      taken.server.close();
    }
  });
});

describe('The all-in-one quick start with GRPC_PORT taken', () => {
  it('says so in one line and serves HTTP ingest and Socket.IO without gRPC', async () => {
    const taken = await occupy();
    try {
      const doors = await freeDoors();
      const app = spawn('all-in-one', { ...doors, GRPC_PORT: String(taken.port) });
      const ingest = `http://127.0.0.1:${doors.INGEST_PORT}`;
      const gateway = `http://127.0.0.1:${doors.GATEWAY_PORT}`;
      await app.ready(`${ingest}/health/ready`);
      await app.ready(`${gateway}/health/ready`);
      await app.started('AUREN Realtime is up');

      const client = await connectClient(gateway, { token: 'test-token-startup' });
      try {
        const event = {
          event_id: 'startup-grpc-taken',
          event_type: 'system_health',
          source_agent: { id: 'neuroscientist' },
        };
        expect((await postJson(`${ingest}/v1/events`, event)).status).toBe(202);
        const [delivered] = await client.waitForEvents(1);
        expect(delivered.event_id).toBe(event.event_id);
      } finally {
        client.close();
      }

      const output = lines(app.text);
      const grpcLines = output.filter((line) => line.includes('GRPC_PORT'));
      expect(grpcLines).toHaveLength(1);
      expect(grpcLines[0]).toContain(
        `GRPC_PORT ${taken.port} is in use by another process: set GRPC_PORT to a free port${GRPC_ADVICE}. Running without gRPC ingest; HTTP ingest and the gateway are up.`,
      );
      expect(app.text).not.toContain('No address added');
      const up = output.findIndex((line) => line.includes('AUREN Realtime is up'));
      expect(up).toBeGreaterThan(output.indexOf(grpcLines[0]));
      expect(output[up]).toContain('gRPC ingest off');
    } finally {
      taken.server.close();
    }
  });
});

describe('A history database that cannot be used: one line saying what to do, exit 69', () => {
  it('PostgreSQL not answering: the URL without its password', async () => {
    const dead = await freePort();
    const process = spawn('history', {
      ...(await freeDoors()),
      DATABASE_URL: `postgres://auren:hunter2-secret@127.0.0.1:${dead}/auren`,
    });

    expect(await process.exited(90_000)).toBe(69);
    const output = lines(process.text);
    expect(output).toEqual([
      `The history database postgres://auren:***@127.0.0.1:${dead}/auren cannot be used (connect ECONNREFUSED 127.0.0.1:${dead}): start it or fix DATABASE_URL, then start again`,
    ]);
    expect(process.text).not.toContain('hunter2');
  });

  it('the embedded data folder held by another process', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'auren-history-shared-'));
    const doors = await freeDoors();
    const first = spawn('history', { ...doors, AUREN_HISTORY_DATA_DIR: folder });
    await first.ready(`http://127.0.0.1:${doors.HISTORY_PORT}/health/live`);
    expect(existsSync(join(folder, '.auren-history.pid'))).toBe(true);
    const second = spawn('history', { ...(await freeDoors()), AUREN_HISTORY_DATA_DIR: folder });

    expect(await second.exited(90_000)).toBe(69);
    expect(lines(second.text)).toEqual([
      `The history data folder ${folder} is in use by process ${first.pid}: stop it, or give this process its own folder (AUREN_HISTORY_DATA_DIR) or a PostgreSQL (DATABASE_URL)`,
    ]);
    await first.stop();
    expect(existsSync(join(folder, '.auren-history.pid'))).toBe(false);
  });
});

describe('NODE_ENV other than production, development or test', () => {
  const cases: [App, string][] = [
    ['ingest', 'prod'],
    ['gateway', 'Production'],
    ['all-in-one', 'PRODUCTION'],
  ];

  it.concurrent.each(cases)('%s refuses NODE_ENV=%s with exit 78', async (app, value) => {
    const process = spawn(app, {
      ...(await freeDoors()),
      NODE_ENV: value,
      AUREN_JWT_SECRET: JWT_SECRET,
    });

    expect(await process.exited(30_000)).toBe(78);
    expect(process.text).toContain(
      `NODE_ENV: must be production, development or test (lower case), not "${value}"; unset means development`,
    );
    expect(process.text).not.toContain('Nest');
  });
});

describe('/metrics protection', () => {
  const production = {
    NODE_ENV: 'production',
    AUREN_JWT_SECRET: JWT_SECRET,
    AUREN_HOST: '127.0.0.1',
  };

  it('in production, AUREN_METRICS_TOKEN requires the Bearer token (401 without, 200 with), never logged', async () => {
    const doors = await freeDoors();
    const gateway = spawn('gateway', {
      ...doors,
      ...production,
      AUREN_METRICS_TOKEN: METRICS_TOKEN,
    });
    const url = `http://127.0.0.1:${doors.GATEWAY_PORT}`;
    await gateway.ready(`${url}/health/ready`);

    const without = await fetch(`${url}/metrics`);
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect(((await without.json()) as { message: string }).message).toContain(
      'AUREN_METRICS_TOKEN',
    );
    const wrong = await fetch(`${url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}-not` },
    });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(right.status).toBe(200);
    expect(await right.text()).toContain('auren_gateway_connections');

    expect(gateway.text).not.toContain(METRICS_TOKEN);
    expect(gateway.text).not.toContain('/metrics is open');
  });

  it('in production with /metrics open on the public port and no token, warns at start', async () => {
    const doors = await freeDoors();
    const gateway = spawn('gateway', { ...doors, ...production });
    const url = `http://127.0.0.1:${doors.GATEWAY_PORT}`;
    await gateway.ready(`${url}/health/ready`);

    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    const warning = lines(gateway.text).filter((line) => line.includes('/metrics is open'));
    expect(warning).toHaveLength(1);
    expect(warning[0]).toContain('WARN');
    expect(warning[0]).toContain('set AUREN_METRICS_TOKEN, or AUREN_METRICS_PORT');
  });

  it('AUREN_METRICS_PORT serves both apps’ metrics there only: 404 on the app ports', async () => {
    const doors = await freeDoors();
    const metricsPort = await freePort();
    const app = spawn('all-in-one', {
      ...doors,
      AUREN_METRICS_PORT: String(metricsPort),
      AUREN_METRICS_TOKEN: METRICS_TOKEN,
    });
    const ingest = `http://127.0.0.1:${doors.INGEST_PORT}`;
    const gateway = `http://127.0.0.1:${doors.GATEWAY_PORT}`;
    const metrics = `http://127.0.0.1:${metricsPort}`;
    await app.ready(`${ingest}/health/ready`);
    await app.ready(`${gateway}/health/ready`);
    await app.started('AUREN Realtime is up');
    const auth = { authorization: `Bearer ${METRICS_TOKEN}` };

    for (const url of [ingest, gateway])
      expect((await fetch(`${url}/metrics`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${metrics}/metrics`)).status).toBe(401);
    expect((await fetch(`${metrics}/health/ready`, { headers: auth })).status).toBe(404);
    const reply = await fetch(`${metrics}/metrics`, { headers: auth });
    expect(reply.status).toBe(200);
    const text = await reply.text();
    expect(text).toContain('auren_ingest_events_accepted_total');
    expect(text).toContain('auren_gateway_connections');
    // The process's default metrics, which both apps' registries hold, are written once.
    expect(text.match(/^# TYPE auren_process_cpu_user_seconds_total /gm)).toHaveLength(1);
    expect(app.text).toContain(`Metrics on http://127.0.0.1:${metricsPort}/metrics only`);
  });
});
