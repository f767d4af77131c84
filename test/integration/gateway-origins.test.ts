import { ConfigError, loadConfig } from '@auren/config';
import { RunningApp, startGateway, testConfig } from '../harness/apps';
import { connectClient } from '../harness/clients';
import { PollingSession, RawWebSocket } from '../harness/engine-io';

const ALLOWED = 'https://dash.example.com';

/** Issue 10 §4: the Origin allow-list of Socket.IO handshakes (AUREN_CORS_ORIGINS). */
describe('Gateway Origin allow-list', () => {
  let gateway: RunningApp;

  beforeAll(async () => {
    gateway = await startGateway(
      await testConfig({ AUREN_CORS_ORIGINS: `${ALLOWED},http://localhost:5173` }),
    );
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('refuses a long-polling handshake from an unlisted Origin with 403', async () => {
    const answer = await PollingSession.handshake(gateway.url, { origin: 'https://evil.example' });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toEqual({
      code: 4,
      message: 'origin https://evil.example is not allowed (AUREN_CORS_ORIGINS)',
    });
  });

  it('refuses a WebSocket handshake from an unlisted Origin (engine.io answers an upgrade 400)', async () => {
    await expect(
      RawWebSocket.open(gateway.url, { origin: 'https://evil.example' }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('accepts a listed Origin over long-polling and WebSocket, through to connection', async () => {
    const session = await PollingSession.open(gateway.url, { origin: ALLOWED });
    expect(await session.connect({ token: 'test-origin' })).toHaveProperty('connected');
    await session.close();
    const socket = await RawWebSocket.open(gateway.url, { origin: ALLOWED });
    socket.sendConnect({ token: 'test-origin' });
    expect(await socket.outcome()).toHaveProperty('connected');
    await socket.close();
  });

  it("accepts the gateway's own origin (its live page) and clients that send no Origin", async () => {
    const own = await PollingSession.handshake(gateway.url, { origin: gateway.url });
    expect(own.status).toBe(200);
    // socket.io-client from Node sends no Origin: not a browser page, the token is its control.
    const client = await connectClient(gateway.url, { token: 'test-origin' }, ['polling']);
    client.close();
  });

  it('refuses a configured entry that is not an origin, naming the variable', () => {
    for (const bad of ['https://dash.example.com/', 'dash.example.com', 'https://a.com/app']) {
      let error: unknown;
      try {
        loadConfig({ AUREN_CORS_ORIGINS: bad });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/AUREN_CORS_ORIGINS/);
      expect((error as Error).message).toContain('is not an origin');
    }
  });
});
