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
import { EVENT_LOG, EVENT_SINK, EventLog, EventSink } from './stream.interfaces';

type Backend = EventSink & EventLog & { close?: () => unknown };

/** Builds the backend `AUREN_STREAM_BACKEND` names. */
export function createStreamBackend(config: AurenConfig): Backend {
  const { stream } = config;
  switch (stream.backend) {
    case 'memory':
      return new MemoryStream(stream.memoryMaxLen, stream.dedupeWindowSeconds * 1000);
    case 'redis':
      return new RedisStream({
        url: stream.redisUrl as string,
        key: stream.key,
        maxLen: stream.maxLen,
        dedupeWindowSeconds: stream.dedupeWindowSeconds,
      });
    default:
      throw new Error(
        `AUREN_STREAM_BACKEND=${stream.backend} is not available in this build yet; use redis or memory`,
      );
  }
}

const STREAM_BACKEND = Symbol('STREAM_BACKEND');

class BackendCloser implements OnApplicationShutdown {
  constructor(
    @Inject(STREAM_BACKEND) private readonly backend: Backend,
    private readonly owned: boolean,
  ) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.owned) await this.backend.close?.();
  }
}

export interface StreamingModuleOptions {
  /** A backend shared with another app in the same process (the all-in-one memory stream). */
  shared?: Backend;
}

/** Provides {@link EVENT_SINK} and {@link EVENT_LOG} for the configured backend. */
@Global()
@Module({})
export class StreamingModule {
  static forRoot(options: StreamingModuleOptions = {}): DynamicModule {
    return {
      module: StreamingModule,
      providers: [
        {
          provide: STREAM_BACKEND,
          inject: [AUREN_CONFIG],
          useFactory: async (config: AurenConfig) => {
            if (options.shared) return options.shared;
            const backend = createStreamBackend(config);
            if (backend instanceof RedisStream && !(await backend.waitUntilReady(5000))) {
              new Logger('Streaming').warn(
                `Redis at ${redactUrl(config.stream.redisUrl)} is not answering yet; retrying in the background`,
              );
            }
            return backend;
          },
        },
        { provide: EVENT_SINK, useExisting: STREAM_BACKEND },
        { provide: EVENT_LOG, useExisting: STREAM_BACKEND },
        {
          provide: BackendCloser,
          inject: [STREAM_BACKEND],
          useFactory: (backend: Backend) =>
            new BackendCloser(backend, options.shared === undefined),
        },
      ],
      exports: [EVENT_SINK, EVENT_LOG],
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
