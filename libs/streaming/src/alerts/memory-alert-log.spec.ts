import type { AlertTransition } from '@auren/contracts';
import { alertLogNames, InvalidAlertError } from './alert-log';
import { MemoryAlertLog } from './memory-alert-log';
import { makeAlert } from '../../../../test/fixtures/alerts';

const ids = (records: Array<{ json: string }>) =>
  records.map((r) => (JSON.parse(r.json) as AlertTransition).alert_id);

describe(MemoryAlertLog.name, () => {
  it('stores transitions in alert_id order and answers a repeat or an older id as duplicate', async () => {
    const sut = new MemoryAlertLog();

    expect(await sut.publish(makeAlert({ alert_id: '1' }))).toBe('published');
    expect(await sut.publish(makeAlert({ alert_id: '2' }))).toBe('published');
    expect(await sut.publish(makeAlert({ alert_id: '2' }))).toBe('duplicate');
    expect(await sut.publish(makeAlert({ alert_id: '1' }))).toBe('duplicate');
    expect(ids(sut.after(0n, 10))).toEqual(['1', '2']);
  });

  it('refuses an invalid transition without storing it', async () => {
    const sut = new MemoryAlertLog();

    await expect(sut.publish({ ...makeAlert(), owner: '' })).rejects.toBeInstanceOf(
      InvalidAlertError,
    );
    expect(sut.after(0n, 10)).toEqual([]);
  });

  it('gives a reader what is published after it started, waking a blocked read', async () => {
    const sut = new MemoryAlertLog();
    await sut.publish(makeAlert({ alert_id: '7' }));
    const [reader] = sut.createReaders();
    await reader.start();

    const blocked = reader.read(10_000);
    await sut.publish(makeAlert({ alert_id: '9' }));

    expect(ids(await blocked)).toEqual(['9']);
    expect(await reader.read(0)).toEqual([]);
  });

  it('keeps about maxLen transitions', async () => {
    const sut = new MemoryAlertLog(16);
    for (let i = 1; i <= 100; i += 1) await sut.publish(makeAlert({ alert_id: String(i) }));

    const kept = ids(sut.after(0n, 1000));
    expect(kept.length).toBeGreaterThanOrEqual(16);
    expect(kept.length).toBeLessThanOrEqual(17);
    expect(kept.at(-1)).toBe('100');
  });
});

describe(alertLogNames.name, () => {
  it('puts the alerts next to the events', () => {
    expect(alertLogNames({ key: 'auren:events', kafkaTopic: 'auren.events' })).toEqual({
      redisKey: 'auren:alerts',
      kafkaTopic: 'auren.alerts',
    });
    expect(alertLogNames({ key: 'prod:stream', kafkaTopic: 'prod-stream' })).toEqual({
      redisKey: 'prod:stream:alerts',
      kafkaTopic: 'prod-stream.alerts',
    });
  });
});
