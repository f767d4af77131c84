import type { StreamedEvent } from '@auren/contracts';
import { CopyMerger, CopyMode } from './copy-merger';

function copy(id: string, from: 'redis' | 'kafka', n: number): StreamedEvent {
  return {
    event_id: id,
    event_type: 'llm_call',
    timestamp: '2026-11-24T00:00:00.000Z',
    received_at: '2026-11-24T00:00:00.000Z',
    source_agent: { id: 'a' },
    target_agent: null,
    payload: {},
    metadata: {},
    stream_id: from === 'redis' ? `100-${n}` : `0-${n}`,
    ...(from === 'kafka' ? { resume_token: `k:${n + 1}` } : {}),
  };
}

function setUp(mode: CopyMode, capacity = 100, waitMs = 1000) {
  const delivered: StreamedEvent[] = [];
  const advanced: string[] = [];
  const sut = new CopyMerger(
    mode,
    { deliver: (e) => delivered.push(e), advance: (p) => advanced.push(p) },
    capacity,
    waitMs,
  );
  return { sut, delivered, advanced };
}

describe(CopyMerger.name, () => {
  afterEach(() => jest.useRealTimers());

  it('passes every event through in pass mode (Redis, memory)', () => {
    const { sut, delivered } = setUp('pass');
    sut.offer(copy('e1', 'redis', 1));
    sut.offer(copy('e1', 'redis', 1));
    expect(delivered).toHaveLength(2);
  });

  it('delivers the first copy of an event_id and drops later ones, still advancing (first)', () => {
    const { sut, delivered, advanced } = setUp('first');
    sut.offer(copy('e1', 'kafka', 1));
    sut.offer(copy('e1', 'redis', 7));
    sut.offer(copy('e2', 'redis', 8));
    expect(delivered.map((e) => e.stream_id)).toEqual(['0-1', '100-8']);
    expect(advanced).toEqual(['100-7']);
  });

  it('remembers a bounded number of event_ids', () => {
    const { sut, delivered } = setUp('first', 2);
    for (const id of ['e1', 'e2', 'e3']) sut.offer(copy(id, 'redis', 1));
    sut.offer(copy('e1', 'kafka', 1)); // forgotten: delivered again
    sut.offer(copy('e3', 'kafka', 2)); // remembered: dropped
    expect(delivered.map((e) => e.event_id)).toEqual(['e1', 'e2', 'e3', 'e1']);
  });

  it('in pair mode delivers the Redis copy once both copies arrived, whichever came first', () => {
    const { sut, delivered, advanced } = setUp('pair');
    sut.offer(copy('e1', 'kafka', 1));
    expect(delivered).toHaveLength(0);
    expect(sut.pending).toBe(1);
    sut.offer(copy('e1', 'redis', 5));
    expect(delivered.map((e) => e.stream_id)).toEqual(['100-5']);
    expect(advanced).toEqual(['k:2']);
    sut.offer(copy('e2', 'redis', 6));
    sut.offer(copy('e2', 'redis', 6)); // the same copy read twice: still waiting
    sut.offer(copy('e2', 'kafka', 2));
    expect(delivered.map((e) => e.stream_id)).toEqual(['100-5', '100-6']);
    expect(sut.pending).toBe(0);
  });

  it('in pair mode drops an event whose write was taken back (tombstone)', () => {
    const { sut, delivered } = setUp('pair');
    sut.offer(copy('e1', 'redis', 1));
    sut.tombstone('e1');
    sut.offer(copy('e1', 'kafka', 1));
    expect(delivered).toHaveLength(0);
    expect(sut.pending).toBe(0);
  });

  it('in pair mode delivers a lone copy after the wait (its partner was lost after the ack)', () => {
    jest.useFakeTimers();
    const { sut, delivered } = setUp('pair', 100, 1000);
    sut.offer(copy('e1', 'kafka', 1));
    jest.advanceTimersByTime(999);
    expect(delivered).toHaveLength(0);
    jest.advanceTimersByTime(1);
    expect(delivered.map((e) => e.event_id)).toEqual(['e1']);
    sut.offer(copy('e1', 'redis', 3)); // the late partner is a duplicate now
    expect(delivered).toHaveLength(1);
  });

  it('in pair mode releases the oldest waiting event when too many wait', () => {
    const { sut, delivered } = setUp('pair', 2);
    for (const id of ['e1', 'e2', 'e3']) sut.offer(copy(id, 'redis', 1));
    expect(delivered.map((e) => e.event_id)).toEqual(['e1']);
    expect(sut.pending).toBe(2);
  });
});
