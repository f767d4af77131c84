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

class BackendCloser implements OnApplicationShutdown {
  constructor(
    @Inject(STREAM_BACKENDS) private readonly backends: StreamBackends,
    private readonly owned: boolean,
  ) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.owned) await this.backends.close();
  }
}

export interface StreamingModuleOptions {
  /** A backend shared with another app in the same process (the all-in-one memory stream). */
  shared?: Backend;
}

/** Provides {@link EVENT_SINK}, {@link EVENT_LOG} and {@link KAFKA_HISTORY} for the configured backend. */
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
          provide: BackendCloser,
          inject: [STREAM_BACKENDS],
          useFactory: (backends: StreamBackends) =>
            new BackendCloser(backends, options.shared === undefined),
        },
      ],
      exports: [EVENT_SINK, EVENT_LOG, KAFKA_HISTORY],
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
