import { BoundedQueue } from './bounded-queue';

describe(BoundedQueue.name, () => {
  it('is first-in first-out and refuses items past its capacity', () => {
    const sut = new BoundedQueue<number>(3);
    expect([sut.push(1), sut.push(2), sut.push(3), sut.push(4)]).toEqual([true, true, true, false]);
    expect(sut.full).toBe(true);
    expect(sut.take(10)).toEqual([1, 2, 3]);
    expect(sut.length).toBe(0);
    expect(sut.shift()).toBeUndefined();
  });

  it('keeps order across the ring boundary', () => {
    const sut = new BoundedQueue<number>(4);
    for (let i = 0; i < 100; i += 1) {
      sut.push(i);
      sut.push(i + 1000);
      expect(sut.shift()).toBe(i);
      expect(sut.shift()).toBe(i + 1000);
    }
    expect(sut.length).toBe(0);
  });

  it('puts items back at the front in their order', () => {
    const sut = new BoundedQueue<string>(5);
    sut.push('c');
    sut.push('d');
    sut.unshiftAll(['a', 'b']);
    expect(sut.take(2)).toEqual(['a', 'b']);
    sut.push('e');
    sut.unshiftAll(['y', 'z']);
    expect(sut.full).toBe(true);
    expect(sut.take(10)).toEqual(['y', 'z', 'c', 'd', 'e']);
  });

  it('refuses to put back more than fits', () => {
    const sut = new BoundedQueue<number>(2);
    sut.push(1);
    expect(() => sut.unshiftAll([7, 8])).toThrow(RangeError);
    expect(sut.take(5)).toEqual([1]);
  });

  it('refuses a capacity below 1', () => {
    expect(() => new BoundedQueue(0)).toThrow('capacity must be an integer >= 1');
  });
});
