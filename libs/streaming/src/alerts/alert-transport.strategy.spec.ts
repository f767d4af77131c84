import type { AlertTransition } from '@auren/contracts';
import type { AlertLogReader, AlertLogRecord } from './alert-log';
import { ALERT_TRANSITION_PATTERN, AlertTransportStrategy } from './alert-transport.strategy';
import { makeAlert } from '../../../../test/fixtures/alerts';

/** A reader fed by the test: `push` records, `fail` the next read. */
class FakeReader implements AlertLogReader {
  private queue: Array<AlertLogRecord | Error> = [];
  private wake?: () => void;
  started = 0;
  constructor(readonly backendName: string) {}
  push(...items: Array<AlertTransition | string | Error>): void {
    for (const item of items)
      this.queue.push(
        item instanceof Error
          ? item
          : {
              position: `p${this.queue.length}`,
              json: typeof item === 'string' ? item : JSON.stringify(item),
            },
      );
    this.wake?.();
  }
  start(): Promise<void> {
    this.started += 1;
    return Promise.resolve();
  }
  async read(blockMs: number): Promise<AlertLogRecord[]> {
    if (this.queue.length === 0)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, blockMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    const next = this.queue[0];
    if (next instanceof Error) {
      this.queue.shift();
      throw next;
    }
    const records: AlertLogRecord[] = [];
    while (this.queue.length > 0 && !(this.queue[0] instanceof Error))
      records.push(this.queue.shift() as AlertLogRecord);
    return records;
  }
  close(): Promise<void> {
    this.wake?.();
    return Promise.resolve();
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe(AlertTransportStrategy.name, () => {
  let sut: AlertTransportStrategy | undefined;
  afterEach(async () => {
    await sut?.close();
    sut = undefined;
  });

  function start(readers: FakeReader[], events: Record<string, string[]> = {}) {
    const delivered: AlertTransition[] = [];
    const record = (kind: string) => (backend: string, detail: unknown) =>
      (events[kind] ??= []).push(`${backend}:${typeof detail === 'string' ? detail : 'x'}`);
    sut = new AlertTransportStrategy(readers, {
      blockMs: 50,
      maxBackoffMs: 20,
      onRepeat: record('repeat'),
      onPoison: (backend, _record, reason) => record('poison')(backend, reason),
      onReadError: (backend, error) => record('error')(backend, error.message),
    });
    sut.addHandler(
      ALERT_TRANSITION_PATTERN,
      (alert: AlertTransition) => {
        delivered.push(alert);
        return Promise.resolve();
      },
      true,
    );
    sut.listen(() => undefined);
    return delivered;
  }

  it('hands each alert_id over once, in order, across two readers (hybrid copies, re-publishes)', async () => {
    const redis = new FakeReader('redis');
    const kafka = new FakeReader('kafka');
    const events: Record<string, string[]> = {};
    const delivered = start([redis, kafka], events);
    const a = (id: string) => makeAlert({ alert_id: id });

    redis.push(a('1'), a('2'));
    kafka.push(a('1'), a('2'), a('2'));
    await until(() => (events.repeat?.length ?? 0) === 3, 'the copies to be dropped');
    kafka.push(a('3'));
    redis.push(a('3'), a('10'));
    await until(() => delivered.length === 4, '4 alerts');

    expect(delivered.map((d) => d.alert_id)).toEqual(['1', '2', '3', '10']);
    expect(sut?.lastAlertId).toBe('10');
  });

  it('skips records that are not transitions and goes on', async () => {
    const reader = new FakeReader('redis');
    const events: Record<string, string[]> = {};
    const delivered = start([reader], events);

    reader.push('{not json', JSON.stringify({ ...makeAlert(), severity: 'fatal' }), makeAlert());
    await until(() => delivered.length === 1, 'the valid alert');

    expect(events.poison).toEqual(['redis:not JSON', expect.stringMatching(/^redis:severity/)]);
  });

  it('retries a failed read without losing what comes after, and keeps reading', async () => {
    const reader = new FakeReader('redis');
    const events: Record<string, string[]> = {};
    const delivered = start([reader], events);

    reader.push(
      new Error('connection lost'),
      new Error('still down'),
      makeAlert({ alert_id: '4' }),
    );
    await until(() => delivered.length === 1, 'the alert after the outage');

    expect(events.error).toEqual(['redis:connection lost', 'redis:still down']);
    expect(sut?.isReading).toBe(true);
    expect(reader.started).toBe(1);
  });
});
