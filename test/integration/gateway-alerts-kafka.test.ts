import type { AurenConfig } from '@auren/config';
import { createAlertLog, type AlertLog } from '@auren/streaming';
import { RunningApp, startGateway, testConfig } from '../harness/apps';
import { testKafkaBrokers } from '../harness/kafka';
import { readMetrics, sample } from '../harness/metrics';
import { ALERTS_SECRET, alertReadersStarted, runAlertScenario } from './gateway-alerts-scenario';

const unique = () => `${Date.now()}.${Math.random().toString(36).slice(2)}`;

describe('Alerts over Socket.IO with the Kafka alerts log (real broker)', () => {
  const brokers = testKafkaBrokers();
  const gateways: RunningApp[] = [];
  const logs: AlertLog[] = [];

  afterAll(async () => {
    for (const log of logs) await log.close();
    for (const gateway of gateways) await gateway.close();
  });

  async function start(
    env: Record<string, string>,
  ): Promise<{ config: AurenConfig; url: string; log: AlertLog }> {
    const config = await testConfig({
      AUREN_JWT_SECRET: ALERTS_SECRET,
      KAFKA_BROKERS: brokers.join(','),
      AUREN_KAFKA_TOPIC: `test.alerts.${unique()}.events`,
      ...env,
    });
    const gateway = await startGateway(config);
    gateways.push(gateway);
    const log = createAlertLog(config);
    logs.push(log);
    return { config, url: gateway.url, log };
  }

  it('kafka: a re-published transition (a second record) reaches clients once', async () => {
    const { url, log } = await start({ AUREN_STREAM_BACKEND: 'kafka' });
    await alertReadersStarted(url, ['kafka']);

    await runAlertScenario({
      gatewayUrl: url,
      publish: (alert) => log.publisher.publish(alert),
      backends: ['kafka'],
      refusesRepeats: false,
    });
    // The copies were read and dropped by the gateway, not refused by the log.
    const metrics = await readMetrics(url);
    expect(sample(metrics, 'auren_gateway_alert_log_repeats_total', '{backend="kafka"}')).toBe(2);
  });

  it('hybrid: both logs get each transition, clients get it once', async () => {
    const { url, log } = await start({ AUREN_STREAM_BACKEND: 'hybrid' });
    await alertReadersStarted(url, ['redis', 'kafka']);

    await runAlertScenario({
      gatewayUrl: url,
      publish: (alert) => log.publisher.publish(alert),
      backends: ['redis', 'kafka'],
      // Redis refuses the repeat, Kafka stores it: together the publish is not a duplicate.
      refusesRepeats: false,
    });
    const metrics = await readMetrics(url);
    const repeats = ['redis', 'kafka'].map(
      (backend) =>
        sample(metrics, 'auren_gateway_alert_log_repeats_total', `{backend="${backend}"}`) ?? 0,
    );
    // 9 transitions, each read from both logs, plus Kafka's 2 re-published copies: 11 dropped.
    expect(repeats[0] + repeats[1]).toBe(11);
  });
});
