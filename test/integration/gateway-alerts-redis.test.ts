import Redis from 'ioredis';
import type { AurenConfig } from '@auren/config';
import { alertLogNames, createAlertLog, type AlertLog } from '@auren/streaming';
import { makeAlert } from '../fixtures/alerts';
import { RunningApp, startGateway, testConfig } from '../harness/apps';
import { connectClient } from '../harness/clients';
import { signHs } from '../harness/jwt';
import { readMetrics, sample } from '../harness/metrics';
import { ALERTS_SECRET, alertReadersStarted, runAlertScenario } from './gateway-alerts-scenario';

describe('Alerts over Socket.IO with the Redis alerts log', () => {
  let config: AurenConfig;
  let gateway: RunningApp;
  let log: AlertLog;
  let redis: Redis;

  beforeEach(async () => {
    config = await testConfig({ AUREN_JWT_SECRET: ALERTS_SECRET });
    gateway = await startGateway(config);
    await alertReadersStarted(gateway.url, ['redis']);
    // The publisher as another process (the evaluator) would have it.
    log = createAlertLog(config);
    redis = new Redis(config.stream.redisUrl as string);
  });
  afterEach(async () => {
    redis.disconnect();
    await log.close();
    await gateway.close();
  });

  it('delivers each transition once, to exactly the connections allowed to see it', async () => {
    await runAlertScenario({
      gatewayUrl: gateway.url,
      publish: (alert) => log.publisher.publish(alert),
      backends: ['redis'],
      refusesRepeats: true,
    });

    // One entry per alert_id, with the id built from it: re-publishes left nothing behind.
    const key = alertLogNames(config.stream).redisKey;
    const entries = (await redis.xrange(key, '-', '+')) as Array<[string, string[]]>;
    expect(entries.map(([id]) => id)).toEqual(Array.from({ length: 9 }, (_, i) => `0-${i + 1}`));
    expect(entries[0][1][0]).toBe('alert');
  });

  it('skips a record that is not a transition, counts it, and delivers what follows', async () => {
    const client = await connectClient(gateway.url, {
      token: signHs({ sub: 'alice' }, ALERTS_SECRET),
      subscriptions: ['alerts'],
    });
    try {
      const key = alertLogNames(config.stream).redisKey;
      await redis.xadd(key, '0-1', 'alert', '{"alert_id":"1","owner":"alice"}');
      await redis.xadd(key, '0-2', 'alert', 'not json');
      const good = makeAlert({ alert_id: '3' });
      expect(await log.publisher.publish(good)).toBe('published');

      expect(await client.waitForAlerts(1)).toEqual([{ type: 'alert_fired', alert: good }]);
      const metrics = await readMetrics(gateway.url);
      expect(
        sample(metrics, 'auren_gateway_alert_log_errors_total', '{backend="redis",kind="invalid"}'),
      ).toBe(2);
    } finally {
      client.close();
    }
  });

  it('refuses to publish an invalid transition', async () => {
    await expect(
      log.publisher.publish({ ...makeAlert(), severity: 'fatal' as never }),
    ).rejects.toThrow(/severity/);
  });
});
