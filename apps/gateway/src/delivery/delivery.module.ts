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
import { CopyMerger, CopyMode } from './copy-merger';
import { DeliveryService } from './delivery.service';
import { GatewayMetrics } from './gateway-metrics';
import { HistoryService } from '../history/history.service';
import { StreamController } from './stream.controller';
import { StreamLagMetric } from './stream-lag.metric';
import { StreamReader, StreamReaders } from './stream-readers';
import { SummariesModule } from '../summaries/summaries.module';
import { SummaryService } from '../summaries/summary.service';

/**
 * Redis too drops repeated event_ids (`first`): its stream holds each event once only while its
 * dedupe keys live, and a Redis restarted empty forgets them, so a producer retrying after the
 * restart stores events a second time (docs/gateway.md, stream resets).
 */
function copyMode(config: AurenConfig): CopyMode {
  const { backend, hybridAck } = config.stream;
  if (backend === 'hybrid') return hybridAck === 'all' ? 'pair' : 'first';
  return backend === 'memory' ? 'pass' : 'first';
}

/** Reading the stream and emitting each event to its rooms. */
@Module({
  imports: [SummariesModule],
  controllers: [StreamController],
  providers: [
    DeliveryService,
    HistoryService,
    StreamLagMetric,
    GatewayMetrics,
    {
      provide: CopyMerger,
      inject: [AUREN_CONFIG, DeliveryService, GatewayMetrics],
      useFactory: (config: AurenConfig, delivery: DeliveryService, metrics: GatewayMetrics) =>
        new CopyMerger(
          copyMode(config),
          delivery,
          config.stream.kafkaDedupeEvents,
          config.stream.hybridPairWaitMs,
          (outcome) => metrics.copies.inc({ outcome }),
          (waiting) => metrics.copiesWaiting.set(waiting),
        ),
    },
    {
      provide: StreamReaders,
      inject: [
        AUREN_CONFIG,
        EVENT_LOG,
        KAFKA_HISTORY,
        GatewayMetrics,
        SummaryService,
        DeliveryService,
        CopyMerger,
      ],
      useFactory: (
        config: AurenConfig,
        log: EventLog,
        kafkaHistory: KafkaHistory | null,
        metrics: GatewayMetrics,
        summaries: SummaryService,
        delivery: DeliveryService,
        copies: CopyMerger,
      ) => {
        // The reader of the log history and resume read from rebuilds the summaries and sets
        // where live delivery starts; in hybrid mode that is Redis, and Kafka only delivers.
        const start = async (position: string) => {
          await summaries.warmUp(position);
          delivery.startAt(position);
        };
        const onPoison = () => metrics.poisonRecords.inc();
        const onTombstone = (eventId: string) => copies.tombstone(eventId);
        const readers: StreamReader[] = [];
        const { backend } = config.stream;
        if (backend !== 'kafka') {
          readers.push(
            new StreamTransportStrategy(log, {
              onPoison,
              onTombstone,
              beforeStart: start,
              checkIntervalMs: config.stream.resetCheckMs,
              onReset: (reset) => delivery.reset(reset),
            }),
          );
        }
        if (kafkaHistory && (backend === 'kafka' || backend === 'hybrid')) {
          readers.push(
            new KafkaStreamServer(kafkaHistory, {
              brokers: config.stream.kafkaBrokers,
              topic: config.stream.kafkaTopic,
              partitions: config.stream.kafkaPartitions,
              warmUpRecords: backend === 'kafka' ? config.stream.kafkaHistoryEvents : 0,
              onPoison,
              onTombstone,
              beforeStart: backend === 'kafka' ? start : undefined,
            }),
          );
        }
        return new StreamReaders(readers);
      },
    },
  ],
  exports: [CopyMerger, DeliveryService, GatewayMetrics, HistoryService, StreamReaders],
})
export class DeliveryModule {}
