import { CustomTransportStrategy, Server } from '@nestjs/microservices';

/** A stream reader (a NestJS transport) the leader starts at a position of its choosing. */
export type StreamReader = CustomTransportStrategy &
  Pick<Server, 'addHandler' | 'listen' | 'close'>;
/** `onStart` gets the position reading really starts after (`$` resolved to the stream's head). */
export type StreamReaderFactory = (
  startFrom: string,
  onStart: (position: string) => Promise<void>,
) => StreamReader;

/**
 * The alert evaluator's NestJS transport: registered with the app like any microservice (its
 * `@EventPattern(STREAM_EVENT_PATTERN)` handler is AlertsController), it reads nothing until
 * this replica leads. Then {@link open} starts a real stream reader (Redis, memory or Kafka) at
 * the evaluator's checkpoint, with this transport's handlers; {@link pause} stops it when
 * leadership ends. Only one reader runs at a time.
 */
export class LeaderStreamTransport extends Server implements CustomTransportStrategy {
  private inner: StreamReader | null = null;
  /** Bumped by every open and pause: an open that waited sees whether it is still wanted. */
  private turn = 0;
  private listening!: () => void;
  /** Resolves once Nest has registered the handlers and called {@link listen}. */
  private readonly registered = new Promise<void>((resolve) => (this.listening = resolve));

  constructor(private readonly create: StreamReaderFactory) {
    super();
  }

  listen(callback: () => void): void {
    this.listening();
    callback();
  }

  /**
   * Starts reading after `position` (`$`: the live end), once the app's microservices have
   * started (the handlers are registered then: leadership may come first).
   */
  async open(position: string, onStart: (position: string) => Promise<void>): Promise<void> {
    const turn = ++this.turn;
    await this.registered;
    // Paused meanwhile (leadership ended before the app started its microservices): no reader.
    if (turn !== this.turn) return;
    await this.pause();
    this.turn = turn;
    const inner = this.create(position, onStart);
    for (const [pattern, handler] of this.getHandlers()) {
      inner.addHandler(pattern, handler, handler.isEventHandler, handler.extras);
    }
    this.inner = inner;
    await new Promise<void>((resolve, reject) => {
      try {
        const started = inner.listen(() => resolve()) as unknown;
        if (started instanceof Promise) started.catch((error: unknown) => reject(asError(error)));
      } catch (error) {
        reject(asError(error));
      }
    });
  }

  /** Stops reading (leadership ended). */
  async pause(): Promise<void> {
    this.turn += 1;
    const inner = this.inner;
    this.inner = null;
    await inner?.close();
  }

  async close(): Promise<void> {
    await this.pause();
  }

  on(): never {
    throw new Error('LeaderStreamTransport has no events to subscribe to');
  }

  unwrap<T>(): T {
    return this.inner as T;
  }
}

const asError = (error: unknown): Error =>
  error instanceof Error ? error : new Error(String(error));
