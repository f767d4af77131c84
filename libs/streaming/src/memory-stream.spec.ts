import type { AgentEvent } from '@auren/contracts';
import { MemoryStream } from './memory-stream';
import { comparePositions, isPosition } from './stream-position';

const WINDOW_MS = 1000;

/** A clock the test moves by hand. */
class Clock {
  constructor(public ms: number) {}
  readonly now = (): number => this.ms;
}

function event(id: string): AgentEvent {
  return {
    event_id: id,
    event_type: 'llm_call',
    timestamp: '2025-01-24T10:30:00.000Z',
    received_at: '2025-01-24T10:30:00.000Z',
    source_agent: { id: 'neuroscientist' },
    payload: { n: id },
    metadata: {},
  };
}

let counter = 0;
const fresh = (): { event: AgentEvent; dedupe: boolean } => ({
  event: event(`e-${++counter}`),
  dedupe: true,
});

/** Rejects when `promise` has not settled within `ms`: a guard, not a synchronisation. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe(MemoryStream.name, () => {
  let clock: Clock;
  let sut: MemoryStream;

  beforeEach(() => {
    clock = new Clock(1_700_000_000_000);
    sut = new MemoryStream(10_000, WINDOW_MS, clock.now);
  });

  afterEach(() => {
    sut.close();
    jest.useRealTimers();
  });

  async function appendOne(): Promise<string> {
    const [outcome] = await sut.append([fresh()]);
    if (!outcome) throw new Error('append answered nothing');
    return outcome.stream_id;
  }

  async function appendMany(n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i += 1) {
      clock.ms += 1;
      ids.push(await appendOne());
    }
    return ids;
  }

  describe('positions', () => {
    it('gives <ms>-<seq> ids from the clock', async () => {
      const id = await appendOne();

      expect(isPosition(id)).toBe(true);
      expect(id).toBe(`${clock.ms}-0`);
    });

    it('counts up the sequence while the clock stands still', async () => {
      const ids = [await appendOne(), await appendOne(), await appendOne()];

      expect(ids).toEqual([`${clock.ms}-0`, `${clock.ms}-1`, `${clock.ms}-2`]);
    });

    it('stays monotonic when the clock goes back', async () => {
      const start = clock.ms;
      const first = await appendOne();
      clock.ms -= 5000;
      const second = await appendOne();
      clock.ms = start + 10;
      const third = await appendOne();

      expect(second).toBe(`${start}-1`);
      expect(comparePositions(first, second)).toBeLessThan(0);
      expect(comparePositions(second, third)).toBeLessThan(0);
      expect(third).toBe(`${start + 10}-0`);
    });

    it('gives increasing ids within one append call', async () => {
      const outcomes = await sut.append([fresh(), fresh(), fresh()]);
      const ids = outcomes.map((o) => o.stream_id);

      for (let i = 1; i < ids.length; i += 1)
        expect(comparePositions(ids[i - 1], ids[i])).toBeLessThan(0);
    });

    it('stores the event as JSON under its position', async () => {
      const item = fresh();
      const [outcome] = await sut.append([item]);

      expect(await sut.readAfter('0-0', 10, 0)).toEqual([
        { id: outcome?.stream_id, json: JSON.stringify(item.event) },
      ]);
    });
  });

  describe('idempotency', () => {
    it('accepts an event_id once within the window and answers the first position', async () => {
      const [first] = await sut.append([{ event: event('same'), dedupe: true }]);
      clock.ms += WINDOW_MS - 1;
      const [second] = await sut.append([{ event: event('same'), dedupe: true }]);

      expect(first).toMatchObject({ event_id: 'same', duplicate: false });
      expect(second).toEqual({ event_id: 'same', stream_id: first?.stream_id, duplicate: true });
      expect(await sut.readAfter('0-0', 10, 0)).toHaveLength(1);
    });

    it('accepts the event_id again once the window has passed', async () => {
      const [first] = await sut.append([{ event: event('same'), dedupe: true }]);
      clock.ms += WINDOW_MS + 1;
      const [second] = await sut.append([{ event: event('same'), dedupe: true }]);

      expect(second?.duplicate).toBe(false);
      expect(second?.stream_id).not.toBe(first?.stream_id);
      expect(await sut.readAfter('0-0', 10, 0)).toHaveLength(2);
    });

    it('expires only the keys whose window has passed', async () => {
      await sut.append([{ event: event('old'), dedupe: true }]);
      clock.ms += WINDOW_MS / 2;
      await sut.append([{ event: event('young'), dedupe: true }]);
      clock.ms += WINDOW_MS / 2 + 1;

      const [old, young] = await sut.append([
        { event: event('old'), dedupe: true },
        { event: event('young'), dedupe: true },
      ]);

      expect(old?.duplicate).toBe(false);
      expect(young?.duplicate).toBe(true);
    });

    it('stores a duplicate inside one append call once', async () => {
      const outcomes = await sut.append([
        { event: event('twice'), dedupe: true },
        { event: event('other'), dedupe: true },
        { event: event('twice'), dedupe: true },
      ]);

      expect(outcomes.map((o) => o.duplicate)).toEqual([false, false, true]);
      expect(outcomes[2]?.stream_id).toBe(outcomes[0]?.stream_id);
      expect(await sut.readAfter('0-0', 10, 0)).toHaveLength(2);
    });

    it('skips the check for events appended with dedupe: false', async () => {
      const outcomes = await sut.append([
        { event: event('raw'), dedupe: false },
        { event: event('raw'), dedupe: false },
      ]);

      expect(outcomes.map((o) => o.duplicate)).toEqual([false, false]);
      expect(await sut.readAfter('0-0', 10, 0)).toHaveLength(2);
    });
  });

  describe('readAfter', () => {
    it('returns the entries strictly after a position, oldest first, up to count', async () => {
      const ids = await appendMany(5);

      expect((await sut.readAfter(ids[1], 10, 0)).map((e) => e.id)).toEqual(ids.slice(2));
      expect((await sut.readAfter(ids[1], 2, 0)).map((e) => e.id)).toEqual(ids.slice(2, 4));
      expect((await sut.readAfter('0-0', 10, 0)).map((e) => e.id)).toEqual(ids);
    });

    it('returns the entries after a position that falls between two entries', async () => {
      clock.ms = 1000;
      const a = await appendOne();
      clock.ms = 3000;
      const b = await appendOne();

      expect((await sut.readAfter('2000-5', 10, 0)).map((e) => e.id)).toEqual([b]);
      expect(a).toBe('1000-0');
    });

    it('returns nothing after the head without blocking when blockMs is 0', async () => {
      const [head] = (await appendMany(3)).slice(-1);

      expect(await sut.readAfter(head, 10, 0)).toEqual([]);
    });

    it('resolves a blocked read when an append happens', async () => {
      const head = await appendOne();

      const read = sut.readAfter(head, 10, 60_000);
      const appended = await appendOne();

      expect((await within(read, 2000)).map((e) => e.id)).toEqual([appended]);
    });

    it('resolves a blocked read with nothing when the block time passes', async () => {
      jest.useFakeTimers();
      const head = await appendOne();

      const read = sut.readAfter(head, 10, 5000);
      jest.advanceTimersByTime(5000);

      expect(await read).toEqual([]);
    });

    it('resolves a blocked read when the stream closes', async () => {
      const read = sut.readAfter('0-0', 10, 60_000);
      sut.close();

      expect(await within(read, 2000)).toEqual([]);
    });
  });

  describe('readBackward', () => {
    it('returns the newest entries first', async () => {
      const ids = await appendMany(5);

      expect((await sut.readBackward(2)).map((e) => e.id)).toEqual([ids[4], ids[3]]);
    });

    it('returns the entries strictly before `before`', async () => {
      const ids = await appendMany(5);

      expect((await sut.readBackward(2, ids[3])).map((e) => e.id)).toEqual([ids[2], ids[1]]);
      expect((await sut.readBackward(10, ids[3])).map((e) => e.id)).toEqual([
        ids[2],
        ids[1],
        ids[0],
      ]);
      expect(await sut.readBackward(10, ids[0])).toEqual([]);
    });

    it('returns nothing from an empty stream', async () => {
      expect(await sut.readBackward(10)).toEqual([]);
    });
  });

  describe('trimming', () => {
    it.each([[16], [160]])(
      'keeps at least the newest maxLen=%i entries, and not many more',
      async (maxLen) => {
        sut = new MemoryStream(maxLen, WINDOW_MS, clock.now);
        const ids = await appendMany(maxLen * 5);

        const kept = (await sut.readAfter('0-0', maxLen * 10, 0)).map((e) => e.id);

        expect(kept.slice(-maxLen)).toEqual(ids.slice(-maxLen));
        expect(kept).toEqual(ids.slice(-kept.length));
        expect(kept.length).toBeGreaterThanOrEqual(maxLen);
        expect(kept.length).toBeLessThanOrEqual(maxLen + Math.max(1, maxLen >> 4) + 1);
      },
    );

    it('keeps trimming across a single large append', async () => {
      sut = new MemoryStream(16, WINDOW_MS, clock.now);
      const outcomes = await sut.append(Array.from({ length: 100 }, fresh));

      const kept = (await sut.readAfter('0-0', 1000, 0)).map((e) => e.id);

      expect(kept).toEqual(outcomes.slice(-16).map((o) => o.stream_id));
    });
  });

  describe('headPosition', () => {
    it('is 0-0 for an empty stream', async () => {
      expect(await sut.headPosition()).toBe('0-0');
    });

    it('is the position of the newest entry, and does not move on a duplicate', async () => {
      await appendMany(2);
      const last = await appendOne();
      await sut.append([{ event: event('dup'), dedupe: true }]);
      const afterFirst = await sut.headPosition();
      await sut.append([{ event: event('dup'), dedupe: true }]);

      expect(comparePositions(last, afterFirst)).toBeLessThan(0);
      expect(await sut.headPosition()).toBe(afterFirst);
    });
  });
});
