import { MemoryAlertLog, MemoryStream } from '@auren/streaming';
import { RunningApp, startGateway, testConfig } from '../harness/apps';
import { ALERTS_SECRET, alertReadersStarted, runAlertScenario } from './gateway-alerts-scenario';

/** The all-in-one's set-up: one process, its gateway and the publisher sharing one alerts log. */
describe('Alerts over Socket.IO with the in-process (memory) alerts log', () => {
  let gateway: RunningApp;
  const log = new MemoryAlertLog();

  beforeAll(async () => {
    const config = await testConfig({
      AUREN_JWT_SECRET: ALERTS_SECRET,
      AUREN_STREAM_BACKEND: 'memory',
      REDIS_URL: undefined,
    });
    gateway = await startGateway(config, {
      shared: new MemoryStream(1000, 60_000),
      sharedAlertLog: log,
    });
    await alertReadersStarted(gateway.url, ['memory']);
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('delivers each transition once, to exactly the connections allowed to see it', async () => {
    await runAlertScenario({
      gatewayUrl: gateway.url,
      publish: (alert) => log.publish(alert),
      backends: ['memory'],
      refusesRepeats: true,
    });
  });
});
