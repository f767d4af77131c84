import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Redis from 'ioredis';
import { AGENT_EVENT_TYPES } from '@auren/contracts';
import { AppProcess, postJson } from '../harness/apps';
import { connectClient, ConnectedClient } from '../harness/clients';
import { freePort } from '../harness/ports';
import { waitFor } from '../harness/wait';

const ROOT = join(__dirname, '..', '..');
const AGENTS = ['neuroscientist', 'training_coach', 'nutritionist', 'sleep_analyst'];

describe('Separate processes: one ingest and two gateways on a real Redis', () => {
  const key = `e2e:${Date.now()}`;
  const redisUrl = process.env.AUREN_TEST_REDIS_URL as string;
  let ingest: AppProcess;
  let gateways: AppProcess[];
  let ingestUrl: string;
  let gatewayUrls: string[];
  const clients: ConnectedClient[] = [];

  beforeAll(async () => {
    const env = { REDIS_URL: redisUrl, AUREN_STREAM_KEY: key };
    const ingestPort = await freePort();
    ingest = AppProcess.spawn('ingest', { ...env, INGEST_PORT: String(ingestPort) });
    const ports = [await freePort(), await freePort()];
    gateways = ports.map((port) =>
      AppProcess.spawn('gateway', { ...env, GATEWAY_PORT: String(port) }),
    );
    ingestUrl = `http://127.0.0.1:${ingestPort}`;
    gatewayUrls = ports.map((port) => `http://127.0.0.1:${port}`);
    await ingest.ready(`${ingestUrl}/health/ready`);
    await Promise.all(gateways.map((g, i) => g.ready(`${gatewayUrls[i]}/health/ready`)));
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all([ingest, ...gateways].map((p) => p.stop()));
  });

  it('delivers every posted event to the matching clients on both gateways, exactly once, in order', async () => {
    const filters = [[], ['neuroscientist'], ['training_coach', 'sleep_analyst']];
    for (const url of gatewayUrls) {
      for (const agent_filter of filters)
        clients.push(await connectClient(url, { token: 'test-token-e2e', agent_filter }));
    }
    const events = Array.from({ length: 400 }, (_, i) => ({
      event_id: `e2e-${i}`,
      event_type: AGENT_EVENT_TYPES[i % AGENT_EVENT_TYPES.length],
      source_agent: { id: AGENTS[i % AGENTS.length] },
    }));
    for (let i = 0; i < events.length; i += 100) {
      const reply = await postJson(`${ingestUrl}/v1/events/batch`, {
        events: events.slice(i, i + 100),
      });
      expect(reply.status).toBe(202);
    }
    const sentinel = {
      event_id: 'e2e-sentinel',
      event_type: 'system_health',
      source_agent: { id: 'neuroscientist' },
    };
    expect((await postJson(`${ingestUrl}/v1/events`, sentinel)).status).toBe(202);
    // Sentinels last: once a client has its sentinel, everything before it has arrived.
    const sentinel2 = {
      event_id: 'e2e-sentinel-2',
      event_type: 'system_health',
      source_agent: { id: 'training_coach' },
    };
    expect((await postJson(`${ingestUrl}/v1/events`, sentinel2)).status).toBe(202);

    const all = [...events, sentinel, sentinel2];
    for (const [i, client] of clients.entries()) {
      const filter = filters[i % filters.length];
      const expected = all
        .filter((e) => filter.length === 0 || filter.includes(e.source_agent.id))
        .map((e) => e.event_id);
      const last = expected[expected.length - 1];
      await waitFor(() => client.events.some((e) => e.event_id === last), {
        timeoutMs: 20_000,
        what: `${last} on client ${i}`,
      });
      expect(client.events.map((e) => e.event_id)).toEqual(expected);
    }

    const redis = new Redis(redisUrl);
    try {
      const entries = (await redis.xrange(key, '-', '+')) as [string, string[]][];
      expect(
        entries.map(([, fields]) => (JSON.parse(fields[1]) as { event_id: string }).event_id),
      ).toEqual(all.map((e) => e.event_id));
    } finally {
      redis.disconnect();
    }
  });
});

describe('All-in-one, as `npm start` runs it without REDIS_URL', () => {
  let app: AppProcess;
  let ingestUrl: string;
  let gatewayUrl: string;

  beforeAll(async () => {
    const [ingestPort, gatewayPort] = [await freePort(), await freePort()];
    app = AppProcess.spawn('all-in-one', {
      INGEST_PORT: String(ingestPort),
      GATEWAY_PORT: String(gatewayPort),
    });
    ingestUrl = `http://127.0.0.1:${ingestPort}`;
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    await app.ready(`${ingestUrl}/health/ready`);
    await app.ready(`${gatewayUrl}/health/ready`);
    await app.started('AUREN Realtime is up');
  });
  afterAll(() => app.stop());

  it('says once, at start, that it uses the in-memory stream', () => {
    expect(app.text.match(/in-memory stream/g)).toHaveLength(1);
  });

  it('carries a posted event to a filtered client and serves the page', async () => {
    const client = await connectClient(gatewayUrl, {
      token: 'test-token-123',
      agent_filter: ['neuroscientist'],
    });
    try {
      await postJson(`${ingestUrl}/v1/events`, {
        event_type: 'llm_call',
        source_agent: { id: 'training_coach' },
      });
      const reply = await postJson(`${ingestUrl}/v1/events`, {
        event_type: 'llm_call',
        source_agent: { id: 'neuroscientist' },
      });
      const [event] = await client.waitForEvents(1);
      expect(event).toMatchObject({
        event_id: reply.body.event_id,
        stream_id: reply.body.stream_id,
        source_agent: { id: 'neuroscientist' },
      });
      const page = await fetch(`${gatewayUrl}/`);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('/assets/'); // the dashboard's build
      const console = await fetch(`${gatewayUrl}/console`);
      expect(await console.text()).toContain('/socket.io/socket.io');
    } finally {
      client.close();
    }
  });

  it('generate-events posts all nine event types, which reach a client', async () => {
    const client = await connectClient(gatewayUrl, { token: 'test-token-123' });
    try {
      const generator = spawn(
        process.execPath,
        [
          join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
          'scripts/generate-events.ts',
          '--count',
          '120',
          '--rate',
          '400',
          '--seed',
          '7',
          '--url',
          ingestUrl,
        ],
        {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stderr = '';
      generator.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => generator.on('exit', resolve));
      expect(code).toBe(0);
      expect(stderr).toMatch(/accepted/i);
      await client.waitForEvents(120, 20_000);
      const types = new Set(client.events.map((e) => e.event_type));
      for (const type of AGENT_EVENT_TYPES) expect(types).toContain(type);
      const llm = client.events.find((e) => e.event_type === 'llm_call');
      expect(llm?.performance_metrics).toEqual(
        expect.objectContaining({
          tokens_used: expect.any(Number),
          token_cost: expect.any(Number),
          model: expect.any(String),
        }),
      );
    } finally {
      client.close();
    }
  });
});

describe('Configuration is validated at start', () => {
  it.each([
    [{ INGEST_PORT: 'not-a-port' }, 'INGEST_PORT'],
    [{ AUREN_STREAM_BACKEND: 'cassandra' }, 'AUREN_STREAM_BACKEND'],
    [{ NODE_ENV: 'production' }, 'AUREN_JWT_SECRET'],
    [{ AUREN_STREAM_BACKEND: 'redis' }, 'REDIS_URL'],
  ])('%j stops the process with a message naming %s', async (env, name) => {
    const app = AppProcess.spawn('ingest', env);
    expect(await app.exited()).toBe(78);
    expect(app.text).toContain(name);
  });
});
