import { Module } from '@nestjs/common';
import { AUREN_CONFIG, AurenConfig } from '@auren/config';
import {
  EVENT_LOG,
  EventLog,
  KAFKA_HISTORY,
  KafkaHistory,
  KafkaStreamServer,
  StreamTransportStrategy,
} from '@auren/streaming';
import { AlertDispatcher } from './alert-dispatcher.service';
import { AlertEngine } from './alert-engine.service';
import { AlertMetrics } from './alert-metrics';
import { AlertsController } from './alerts.controller';
import { LeaderStreamTransport } from './leader-stream.transport';

/**
 * Alert rules evaluated on the live stream, on one replica at a time (docs/alerts.md): the
 * leader's stream transport (connected as a microservice by createHistoryApp), the engine, the
 * dispatcher (alerts log and webhooks) and their metrics.
 */
@Module({
  controllers: [AlertsController],
  providers: [
    AlertMetrics,
    AlertDispatcher,
    AlertEngine,
    {
      provide: LeaderStreamTransport,
      inject: [AUREN_CONFIG, EVENT_LOG, KAFKA_HISTORY],
      useFactory: (config: AurenConfig, log: EventLog, kafkaHistory: KafkaHistory | null) =>
        new LeaderStreamTransport((startFrom, onStart) => {
          // Redis (also in hybrid mode) and the memory stream resume after the checkpoint;
          // Kafka starts at the live end (docs/alerts.md, "What a takeover may miss").
          if (config.stream.backend === 'kafka' && kafkaHistory) {
            return new KafkaStreamServer(kafkaHistory, {
              brokers: config.stream.kafkaBrokers,
              topic: config.stream.kafkaTopic,
              partitions: config.stream.kafkaPartitions,
              warmUpRecords: 0,
              groupPrefix: 'auren-alerts',
              beforeStart: onStart,
            });
          }
          return new StreamTransportStrategy(log, {
            startFrom,
            beforeStart: onStart,
            checkIntervalMs: config.stream.resetCheckMs,
          });
        }),
    },
  ],
  exports: [AlertEngine, AlertMetrics, LeaderStreamTransport],
})
export class AlertsModule {}
