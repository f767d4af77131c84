import {
  DynamicModule,
  Global,
  Inject,
  Logger,
  Module,
  OnApplicationShutdown,
} from '@nestjs/common';
import { AUREN_CONFIG, AurenConfig } from '@auren/config';
import { MemoryStream } from './memory-stream';
import { RedisStream } from './redis-stream';
import { HybridSink } from './kafka/hybrid-sink';
import { KafkaHistory } from './kafka/kafka-history';
import { KafkaSink } from './kafka/kafka-sink';
import { EVENT_LOG, EVENT_SINK, EventLog, EventSink } from './stream.interfaces';
import type { AlertLog } from './alerts/alert-log';
import { createAlertLog } from './alerts/create-alert-log';
import { MemoryAlertLog } from './alerts/memory-alert-log';

type Backend = EventSink & EventLog & { close?: () => unknown };

/** What one process uses of the configured backend: where ingest writes, what gateways read. */
export interface StreamBackends {
  sink: EventSink;
  log: EventLog;
  /** The Kafka reader's history (kafka, hybrid): gateways hand it to their Kafka reader. */
  kafkaHistory?: KafkaHistory;
  close(): Promise<void>;
}

/** Builds the backend `AUREN_STREAM_BACKEND` names. Nothing connects to Kafka until used. */
export function createStreamBackends(config: AurenConfig): StreamBackends {
  const { stream } = config;
  const redis = () =>
    new RedisStream({
      url: stream.redisUrl as string,
      cluster: stream.redis?.cluster,
      key: stream.key,
      maxLen: stream.maxLen,
      dedupeWindowSeconds: stream.dedupeWindowSeconds,
      minReplicas: stream.redisMinReplicas,
      replicaTimeoutMs: stream.redisReplicaTimeoutMs,
    });
  const kafka = () =>
    new KafkaSink({
      brokers: stream.kafkaBrokers,
      topic: stream.kafkaTopic,
      partitions: stream.kafkaPartitions,
      dedupeCapacity: stream.kafkaDedupeEvents,
      dedupeWindowMs: stream.dedupeWindowSeconds * 1000,
    });
  switch (stream.backend) {
    case 'memory':
      return single(new MemoryStream(stream.memoryMaxLen, stream.dedupeWindowSeconds * 1000));
    case 'redis':
      return single(redis());
    case 'kafka': {
      const sink = kafka();
      const history = new KafkaHistory(stream.kafkaHistoryEvents);
      return { sink, log: history, kafkaHistory: history, close: () => sink.close() };
    }
    case 'hybrid': {
      const primary = redis();
      const sink = new HybridSink(primary, kafka(), stream.hybridAck);
      // Hybrid gateways serve history and resume from Redis; the Kafka copy only delivers live.
      return { sink, log: primary, kafkaHistory: new KafkaHistory(0), close: () => sink.close() };
    }
  }
}

function single(backend: Backend): StreamBackends {
  return {
    sink: backend,
    log: backend,
    close: async () => {
      await backend.close?.();
    },
  };
}

const STREAM_BACKENDS = Symbol('STREAM_BACKENDS');
/** The Kafka reader's history, or null when the backend has no Kafka side. */
export const KAFKA_HISTORY = Symbol('KAFKA_HISTORY');
/** The alerts log of the configured backend ({@link AlertLog}: publisher and readers). */
export const ALERT_LOG = Symbol('ALERT_LOG');
/** Its publisher ({@link AlertLogPublisher}): what the alert evaluator publishes transitions to. */
export const ALERT_LOG_PUBLISHER = Symbol('ALERT_LOG_PUBLISHER');

class BackendCloser implements OnApplicationShutdown {
  constructor(
    @Inject(STREAM_BACKENDS) private readonly backends: StreamBackends,
    private readonly owned: boolean,
    private readonly alerts: AlertLog | null,
  ) {}
  async onApplicationShutdown(): Promise<void> {
    await this.alerts?.close();
    if (this.owned) await this.backends.close();
  }
}

export interface StreamingModuleOptions {
  /** A backend shared with another app in the same process (the all-in-one memory stream). */
  shared?: Backend;
  /** The alerts log shared with another app in the same process (the all-in-one, memory backend). */
  sharedAlertLog?: MemoryAlertLog;
}

/**
 * Provides {@link EVENT_SINK}, {@link EVENT_LOG}, {@link KAFKA_HISTORY}, {@link ALERT_LOG} and
 * {@link ALERT_LOG_PUBLISHER} for the configured backend.
 */
@Global()
@Module({})
export class StreamingModule {
  static forRoot(options: StreamingModuleOptions = {}): DynamicModule {
    return {
      module: StreamingModule,
      providers: [
        {
          provide: STREAM_BACKENDS,
          inject: [AUREN_CONFIG],
          useFactory: async (config: AurenConfig): Promise<StreamBackends> => {
            if (options.shared) return single(options.shared);
            const backends = createStreamBackends(config);
            const redis = backends.log;
            if (redis instanceof RedisStream && !(await redis.waitUntilReady(5000))) {
              new Logger('Streaming').warn(
                `Redis at ${redactUrl(config.stream.redisUrl)} is not answering yet; retrying in the background`,
              );
            }
            return backends;
          },
        },
        {
          provide: EVENT_SINK,
          inject: [STREAM_BACKENDS],
          useFactory: (b: StreamBackends) => b.sink,
        },
        { provide: EVENT_LOG, inject: [STREAM_BACKENDS], useFactory: (b: StreamBackends) => b.log },
        {
          provide: KAFKA_HISTORY,
          inject: [STREAM_BACKENDS],
          useFactory: (b: StreamBackends) => b.kafkaHistory ?? null,
        },
        {
          provide: ALERT_LOG,
          inject: [AUREN_CONFIG],
          useFactory: (config: AurenConfig): AlertLog =>
            createAlertLog(config, options.sharedAlertLog),
        },
        {
          provide: ALERT_LOG_PUBLISHER,
          inject: [ALERT_LOG],
          useFactory: (log: AlertLog) => log.publisher,
        },
        {
          provide: BackendCloser,
          inject: [STREAM_BACKENDS, ALERT_LOG],
          useFactory: (backends: StreamBackends, alerts: AlertLog) =>
            new BackendCloser(
              backends,
              options.shared === undefined,
              // A shared log outlives this app; its readers are closed by their transport.
              options.sharedAlertLog === undefined ? alerts : null,
            ),
        },
      ],
      exports: [EVENT_SINK, EVENT_LOG, KAFKA_HISTORY, ALERT_LOG, ALERT_LOG_PUBLISHER],
    };
  }
}

/** A Redis URL fit for logs: the password, if any, is replaced. */
export function redactUrl(url: string | undefined): string {
  if (!url) return '(unset)';
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
