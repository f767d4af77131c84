import type { AurenConfig } from '@auren/config';
import { alertLogNames, type AlertLog } from './alert-log';
import { HybridAlertLog } from './hybrid-alert-log';
import { KafkaAlertLog } from './kafka-alert-log';
import { MemoryAlertLog } from './memory-alert-log';
import { RedisAlertLog } from './redis-alert-log';

/**
 * The alerts log of the configured backend (`AUREN_STREAM_BACKEND`): Redis stream
 * `auren:alerts`, Kafka topic `auren.alerts`, both in hybrid mode, or `shared` (else a new
 * in-process log) with the memory backend. Nothing connects until used.
 */
export function createAlertLog(config: AurenConfig, shared?: MemoryAlertLog): AlertLog {
  const { stream } = config;
  const names = alertLogNames(stream);
  const redis = () =>
    new RedisAlertLog({
      url: stream.redisUrl as string,
      cluster: stream.redis?.cluster,
      key: names.redisKey,
    });
  const kafka = () => new KafkaAlertLog({ brokers: stream.kafkaBrokers, topic: names.kafkaTopic });
  switch (stream.backend) {
    case 'memory':
      return shared ?? new MemoryAlertLog();
    case 'redis':
      return redis();
    case 'kafka':
      return kafka();
    case 'hybrid':
      return new HybridAlertLog(redis(), kafka(), stream.hybridAck);
  }
}
