import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { BaseRpcContext } from '@nestjs/microservices/ctx-host/base-rpc.context';
import { isObservable } from 'rxjs';
import { alertIdValue, parseAlertTransition, type AlertTransition } from '@auren/contracts';
import type { AlertLogReader, AlertLogRecord } from './alert-log';

/** The pattern every alert transition is dispatched under: `@EventPattern(ALERT_TRANSITION_PATTERN)`. */
export const ALERT_TRANSITION_PATTERN = 'auren.alert_transition';

export interface AlertTransportOptions {
  /** How long one read waits for a record (default 1000 ms). */
  blockMs?: number;
  /** Longest pause between attempts while a backend is away (default 5000 ms). */
  maxBackoffMs?: number;
  /** A record that is not a valid transition (logged and skipped). */
  onPoison?: (backend: string, record: AlertLogRecord, reason: string) => void;
  /** A copy of an alert_id already delivered, or an older one (dropped). */
  onRepeat?: (backend: string, alertId: string) => void;
  /** A failed start or read (retried with backoff). */
  onReadError?: (backend: string, error: Error) => void;
  /** Whether a backend's reader reads (started and its last read answered). */
  onReading?: (backend: string, reading: boolean) => void;
}

/** Context of an alert transition: which log it came from, and where in it. */
export class AlertContext extends BaseRpcContext<[backend: string, position: string]> {
  get backend(): string {
    return this.args[0];
  }
  get position(): string {
    return this.args[1];
  }
}

/**
 * A NestJS transport that reads the alerts log (one reader per backend: two in hybrid mode) from
 * the live end at start, and hands each transition, checked by `parseAlertTransition`, to the
 * `@EventPattern(ALERT_TRANSITION_PATTERN)` handler. Each alert_id is handed over at most once:
 * whatever is not above the last alert_id handed over (a re-publish, the other hybrid copy) is
 * dropped. A backend that fails is retried with capped backoff and never stops the process;
 * bad records are logged and skipped. Alerts are not part of readiness: a gateway whose alerts
 * log is away still delivers events.
 */
export class AlertTransportStrategy
  extends Server<Record<string, never>, 'connected' | 'disconnected'>
  implements CustomTransportStrategy
{
  protected override readonly logger = new Logger('AlertsLog');
  private running = false;
  private loops: Array<Promise<void>> = [];
  private handler: MessageHandler | null = null;
  private last = 0n;
  private readonly reading = new Map<string, boolean>();
  private readonly blockMs: number;
  private readonly maxBackoffMs: number;

  constructor(
    private readonly readers: readonly AlertLogReader[],
    private readonly options: AlertTransportOptions = {},
  ) {
    super();
    this.blockMs = options.blockMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 5000;
  }

  /** The last alert_id handed to the handler ('0' before the first). */
  get lastAlertId(): string {
    return String(this.last);
  }

  /** Whether every reader has started and its last read answered. */
  get isReading(): boolean {
    return this.readers.length > 0 && this.readers.every((r) => this.reading.get(r.backendName));
  }

  /** Starts reading in the background and returns at once (like the stream transport). */
  listen(callback: () => void): void {
    this.running = true;
    this.loops = this.readers.map((reader) => this.follow(reader));
    callback();
  }

  async close(): Promise<void> {
    this.running = false;
    await Promise.all(this.readers.map((reader) => reader.close().catch(() => undefined)));
    await Promise.all(this.loops);
  }

  on(): never {
    throw new Error('AlertTransportStrategy has no events to subscribe to');
  }

  unwrap<T>(): T {
    return this.readers as T;
  }

  private async follow(reader: AlertLogReader): Promise<void> {
    const backend = reader.backendName;
    let started = false;
    let failures = 0;
    while (this.running) {
      try {
        if (!started) {
          await reader.start();
          started = true;
          this.setReading(backend, true);
        }
        const records = await reader.read(this.blockMs);
        if (failures > 0) {
          failures = 0;
          this.setReading(backend, true);
          this.logger.log(`Reading the ${backend} alerts log again`);
        }
        for (const record of records) {
          if (!this.running) break;
          await this.dispatch(backend, record);
        }
      } catch (error) {
        if (!this.running) break;
        failures += 1;
        this.options.onReadError?.(backend, error as Error);
        if (failures === 1) {
          this.setReading(backend, false);
          this.logger.warn(
            `Alerts log (${backend}) ${started ? 'read' : 'start'} failed (${(error as Error).message}); retrying`,
          );
        }
        await pause(Math.min(100 * 2 ** Math.min(failures - 1, 8), this.maxBackoffMs));
      }
    }
    this.setReading(backend, false);
  }

  private async dispatch(backend: string, record: AlertLogRecord): Promise<void> {
    let value: unknown;
    try {
      value = JSON.parse(record.json);
    } catch {
      return this.poison(backend, record, 'not JSON');
    }
    const parsed = parseAlertTransition(value);
    if (!parsed.ok) return this.poison(backend, record, parsed.reason);
    const alert: AlertTransition = parsed.alert;
    const id = alertIdValue(alert.alert_id) as bigint;
    if (id <= this.last) {
      this.options.onRepeat?.(backend, alert.alert_id);
      return;
    }
    // Taken before the handler runs: the other hybrid reader's copy is dropped even meanwhile.
    this.last = id;
    try {
      this.handler ??= this.getHandlerByPattern(ALERT_TRANSITION_PATTERN);
      if (!this.handler)
        throw new Error(`no @EventPattern('${ALERT_TRANSITION_PATTERN}') handler is registered`);
      const result: unknown = await this.handler(
        alert,
        new AlertContext([backend, record.position]),
      );
      if (isObservable(result))
        result.subscribe({ error: (e: Error) => this.logger.error(e.message) });
    } catch (error) {
      this.logger.error(
        `Alert handler failed for alert ${alert.alert_id}: ${(error as Error).message}`,
      );
    }
  }

  private poison(backend: string, record: AlertLogRecord, reason: string): void {
    this.logger.warn(`Skipped ${backend} alerts log record ${record.position}: ${reason}`);
    this.options.onPoison?.(backend, record, reason);
  }

  private setReading(backend: string, reading: boolean): void {
    if (this.reading.get(backend) === reading) return;
    this.reading.set(backend, reading);
    this.options.onReading?.(backend, reading);
    this._status$.next(this.isReading ? 'connected' : 'disconnected');
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
