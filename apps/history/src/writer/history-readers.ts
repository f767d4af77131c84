import type { CustomTransportStrategy } from '@nestjs/microservices';
import type { AurenConfig } from '@auren/config';
import {
  BatchReader,
  EventLog,
  KafkaGroupServer,
  LogBatchSource,
  RedisGroupSource,
  RedisStream,
  StreamEntry,
  StreamGroupTransport,
} from '@auren/streaming';

export type HistoryReader = CustomTransportStrategy & BatchReader;

/**
 * The transports this process writes history from: a Redis consumer group (redis), a Kafka
 * consumer group (kafka), both (hybrid: the second copy of an event is a no-op), or this
 * process's own position in the memory stream (memory: the all-in-one process).
 */
export class HistoryReaders {
  constructor(readonly all: readonly HistoryReader[]) {}

  /**
   * Why the writers cannot keep up, or null: no reader reaches its stream, or the events not
   * written yet exceed `maxLag`. With two readers (hybrid) each sees every event, so the one
   * furthest ahead counts.
   */
  async problem(maxLag: number): Promise<string | null> {
    const looks = await Promise.all(
      this.all.map(async (reader) => {
        if (!reader.isConnected) return { reader, error: `${reader.source} stream unreachable` };
        try {
          return { reader, lag: (await reader.lag()) ?? 0 };
        } catch (error) {
          return {
            reader,
            error: `${reader.source} stream unreachable: ${(error as Error).message}`,
          };
        }
      }),
    );
    const reached = looks.filter((look) => look.lag !== undefined);
    if (reached.length === 0) return looks.map((look) => look.error).join('; ');
    const lag = Math.min(...reached.map((look) => look.lag ?? 0));
    return lag > maxLag ? `${lag} events not written yet (AUREN_HISTORY_MAX_LAG=${maxLag})` : null;
  }
}

export function createHistoryReaders(
  config: AurenConfig,
  log: EventLog,
  onPoison: (entry: StreamEntry, reason: string) => void,
): HistoryReaders {
  const { stream, history } = config;
  const readers: HistoryReader[] = [];
  const transport = { batchSize: history.batchSize, onPoison };
  if (log instanceof RedisStream) {
    const group = new RedisGroupSource({
      url: stream.redisUrl as string,
      cluster: stream.redis?.cluster,
      key: log.key,
      group: history.group,
      claimIdleMs: history.claimIdleMs,
    });
    readers.push(new StreamGroupTransport(group, transport));
  } else if (stream.backend !== 'kafka') {
    readers.push(new StreamGroupTransport(new LogBatchSource(log), transport));
  }
  if (stream.backend === 'kafka' || stream.backend === 'hybrid') {
    readers.push(
      new KafkaGroupServer({
        brokers: stream.kafkaBrokers,
        topic: stream.kafkaTopic,
        partitions: stream.kafkaPartitions,
        group: history.group,
        batchSize: history.batchSize,
        onPoison,
      }),
    );
  }
  return new HistoryReaders(readers);
}
