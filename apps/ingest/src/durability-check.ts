import { Logger } from '@nestjs/common';
import { Gauge, Registry } from 'prom-client';
import type { AurenConfig } from '@auren/config';
import {
  inspectRedisDurability,
  judgeDurability,
  redactUrl,
  VolatileRedisError,
} from '@auren/streaming';

/**
 * At start: inspects the Redis ingest writes to (redis, hybrid), logs one line on whether
 * acknowledged events survive a Redis restart, exports it as `auren_redis_durability`, and throws
 * {@link VolatileRedisError} in production mode on a volatile Redis unless
 * `AUREN_REDIS_ALLOW_VOLATILE=true` (docs/durability.md).
 */
export async function checkRedisDurability(config: AurenConfig, registry: Registry): Promise<void> {
  const { stream } = config;
  if ((stream.backend !== 'redis' && stream.backend !== 'hybrid') || !stream.redisUrl) return;
  const durability = await inspectRedisDurability(stream.redis ?? stream.redisUrl);
  const gauge = new Gauge({
    name: 'auren_redis_durability',
    help: 'Persistence of the Redis ingest writes to, as inspected at start (one series, value 1; volatile: acknowledged events are lost on a Redis restart)',
    labelNames: ['mode', 'volatile'],
    registers: [registry],
  });
  gauge.set({ mode: durability.mode, volatile: String(durability.volatile) }, 1);

  const verdict = judgeDurability(durability, {
    production: config.production,
    allowVolatile: stream.redisAllowVolatile,
    minReplicas: stream.redisMinReplicas,
  });
  if (verdict.refuse) throw new VolatileRedisError(durability, redactUrl(stream.redisUrl));
  const logger = new Logger('Durability');
  if (verdict.level === 'warn') logger.warn(verdict.message);
  else logger.log(verdict.message);
}
