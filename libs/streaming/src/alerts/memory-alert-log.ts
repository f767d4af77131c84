import { alertIdValue, type AlertTransition } from '@auren/contracts';
import {
  ALERT_LOG_MAXLEN,
  alertRecordJson,
  type AlertLog,
  type AlertLogPublisher,
  type AlertLogReader,
  type AlertLogRecord,
  type AlertPublishOutcome,
} from './alert-log';

interface Stored {
  id: bigint;
  record: AlertLogRecord;
}

/**
 * The alerts log of one process (`AUREN_STREAM_BACKEND=memory`): the all-in-one `npm start` gives
 * the same object to the evaluator's publisher and to its gateway. Like the Redis log it refuses
 * an alert_id at or below its newest (answered `duplicate`), and keeps about
 * {@link ALERT_LOG_MAXLEN} transitions. Not durable.
 */
export class MemoryAlertLog implements AlertLog, AlertLogPublisher {
  readonly backendName = 'memory';
  private records: Stored[] = [];
  private last = 0n;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly maxLen = ALERT_LOG_MAXLEN) {}

  get publisher(): AlertLogPublisher {
    return this;
  }

  publish(transition: AlertTransition): Promise<AlertPublishOutcome> {
    try {
      const json = alertRecordJson(transition);
      const id = alertIdValue(transition.alert_id) as bigint;
      if (id <= this.last) return Promise.resolve('duplicate');
      this.last = id;
      this.records.push({ id, record: { position: transition.alert_id, json } });
      if (this.records.length > this.maxLen + (this.maxLen >> 4))
        this.records = this.records.slice(-this.maxLen);
      for (const wake of [...this.waiters]) wake();
      return Promise.resolve('published');
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  createReaders(): AlertLogReader[] {
    return [new MemoryAlertReader(this)];
  }

  /** The newest alert_id held (0 when empty). */
  get head(): bigint {
    return this.last;
  }

  /** Records after `after`, oldest first. */
  after(after: bigint, count: number): AlertLogRecord[] {
    let lo = 0;
    let hi = this.records.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.records[mid].id <= after) lo = mid + 1;
      else hi = mid;
    }
    return this.records.slice(lo, lo + count).map((stored) => stored.record);
  }

  /** Resolves at the next publish, at `close`, or after `ms`. */
  waitForPublish(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  /** Wakes blocked readers so that they notice a shutdown; the log itself stays usable. */
  close(): Promise<void> {
    for (const wake of [...this.waiters]) wake();
    return Promise.resolve();
  }
}

class MemoryAlertReader implements AlertLogReader {
  readonly backendName = 'memory';
  private position = 0n;
  private closed = false;

  constructor(private readonly log: MemoryAlertLog) {}

  start(): Promise<void> {
    this.position = this.log.head;
    return Promise.resolve();
  }

  async read(blockMs: number): Promise<AlertLogRecord[]> {
    let found = this.log.after(this.position, 100);
    if (found.length === 0 && blockMs > 0 && !this.closed) {
      await this.log.waitForPublish(blockMs);
      found = this.log.after(this.position, 100);
    }
    if (found.length > 0) this.position = BigInt(found[found.length - 1].position);
    return found;
  }

  close(): Promise<void> {
    this.closed = true;
    return this.log.close();
  }
}
