import { gcraOf, retryAfterSeconds, room, take, waitUs } from './gcra';

describe('gcra', () => {
  // 10 events/s: one every 100 ms (100,000 µs); burst 5: tolerance 500 ms.
  const sut = gcraOf({ eventsPerSecond: 10, burst: 5 });
  const t0 = 1_000_000_000;

  it('derives the interval and tolerance from rate and burst', () => {
    expect(sut.intervalUs).toBe(100_000);
    expect(sut.toleranceUs).toBe(500_000);
  });

  it('lets a quiet credential send its whole burst at once, and not one event more', () => {
    const burst = take(sut, 0, t0, 5, false);
    expect(burst).toEqual({ granted: 5, tatUs: t0 + 500_000 });
    expect(room(sut, burst.tatUs, t0)).toBe(0);
    expect(take(sut, burst.tatUs, t0, 1, false)).toEqual({ granted: 0, tatUs: burst.tatUs });
  });

  it('refills one event per interval', () => {
    const tat = t0 + 500_000;
    expect(room(sut, tat, t0 + 99_999)).toBe(0);
    expect(room(sut, tat, t0 + 100_000)).toBe(1);
    expect(room(sut, tat, t0 + 350_000)).toBe(3);
    expect(room(sut, tat, t0 + 10_000_000)).toBe(5);
  });

  it('counts a batch as its events: all of them fit or none is taken', () => {
    const tat = t0 + 300_000; // room for 2
    expect(take(sut, tat, t0, 3, false)).toEqual({ granted: 0, tatUs: tat });
    expect(take(sut, tat, t0, 2, false)).toEqual({ granted: 2, tatUs: t0 + 500_000 });
  });

  it('grants part of a request when asked to (a pod taking a lease)', () => {
    const tat = t0 + 300_000;
    expect(take(sut, tat, t0, 10, true)).toEqual({ granted: 2, tatUs: t0 + 500_000 });
    expect(take(sut, t0 + 500_000, t0, 10, true)).toEqual({ granted: 0, tatUs: t0 + 500_000 });
  });

  it('starts from now, not from an old TAT: idle time is not saved up beyond the burst', () => {
    const taken = take(sut, t0 - 60_000_000, t0, 5, false);
    expect(taken).toEqual({ granted: 5, tatUs: t0 + 500_000 });
  });

  it('says how long until a request fits: Retry-After in whole seconds, at least 1', () => {
    const tat = t0 + 500_000; // empty bucket
    expect(waitUs(sut, tat, t0, 1)).toBe(100_000);
    expect(waitUs(sut, tat, t0, 5)).toBe(500_000);
    expect(retryAfterSeconds(sut, tat, t0, 1)).toBe(1);
    expect(waitUs(sut, t0, t0, 5)).toBe(0);
    // 30 events/s behind: TAT 3.5 s ahead, 3 s over the tolerance, and one more event.
    expect(retryAfterSeconds(sut, t0 + 3_500_000, t0, 1)).toBe(4);
  });

  it('admits rate × time + burst over a long run, whatever the arrival pattern', () => {
    let tat = 0;
    let admitted = 0;
    // 60 s of arrivals every 7 ms asking for 3 events each (about 4.3× the rate).
    for (let now = t0; now < t0 + 60_000_000; now += 7_000) {
      const taken = take(sut, tat, now, 3, false);
      tat = taken.tatUs;
      admitted += taken.granted;
    }
    expect(admitted).toBeLessThanOrEqual(10 * 60 + 5);
    expect(admitted).toBeGreaterThanOrEqual(10 * 60 - 3);
  });

  it('keeps exactly-full sums exact at rates that are not a divisor of a second', () => {
    const third = gcraOf({ eventsPerSecond: 3, burst: 3 });
    const burst = take(third, 0, t0, 3, false);
    expect(burst.granted).toBe(3);
    expect(room(third, burst.tatUs, t0 + 1_000_000)).toBe(3);
  });
});
