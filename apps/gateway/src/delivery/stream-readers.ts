import type { CustomTransportStrategy } from '@nestjs/microservices';

export type StreamReader = CustomTransportStrategy & { readonly isConnected: boolean };

/**
 * The transports this pod reads the stream with: one (Redis, memory or Kafka), or both Redis and
 * Kafka in hybrid mode, where the pod is ready while either answers (it keeps delivering).
 */
export class StreamReaders {
  constructor(readonly all: readonly StreamReader[]) {}

  get isConnected(): boolean {
    return this.all.some((reader) => reader.isConnected);
  }
}
