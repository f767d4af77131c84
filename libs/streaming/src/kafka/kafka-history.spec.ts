import { KafkaHistory } from './kafka-history';
import {
  compareKafkaTokens,
  formatKafkaToken,
  isKafkaToken,
  parseKafkaRecordId,
  parseKafkaToken,
} from './kafka-position';

/** Appends records given as [partition, offset] in that order; answers the tokens. */
function fill(history: KafkaHistory, records: Array<[number, number]>): string[] {
  return records.map(([p, o]) => history.append(p, o, JSON.stringify({ p, o })));
}

const ids = (entries: Array<{ streamId?: string }>) => entries.map((e) => e.streamId);

describe('Kafka positions', () => {
  it('formats, parses and recognises offset vectors and record ids', () => {
    expect(formatKafkaToken([16, 8, 0])).toBe('k:16,8,0');
    expect(parseKafkaToken('k:16,8,0')).toEqual([16, 8, 0]);
    expect(isKafkaToken('k:1')).toBe(true);
    expect(isKafkaToken('1-2')).toBe(false);
    expect(isKafkaToken('k:')).toBe(false);
    expect(isKafkaToken('k:1,x')).toBe(false);
    expect(parseKafkaRecordId('2-17')).toEqual({ partition: 2, offset: 17 });
    expect(() => parseKafkaToken('0-1')).toThrow('not a Kafka position');
  });

  it('orders vectors by "is anything between them": behind anywhere is before', () => {
    expect(compareKafkaTokens('k:1,2', 'k:1,2')).toBe(0);
    expect(compareKafkaTokens('k:1,2', 'k:1,3')).toBeLessThan(0);
    expect(compareKafkaTokens('k:5,2', 'k:1,3')).toBeLessThan(0);
    expect(compareKafkaTokens('k:5,3', 'k:1,3')).toBeGreaterThan(0);
    // A missing partition counts as offset 0.
    expect(compareKafkaTokens('k:1', 'k:1,0')).toBe(0);
    expect(compareKafkaTokens('k:1', 'k:1,1')).toBeLessThan(0);
  });
});

describe(KafkaHistory.name, () => {
  it('gives each record the position right after it and advances the head', async () => {
    const sut = new KafkaHistory(100);
    sut.reset([0, 0]);
    const tokens = fill(sut, [
      [0, 0],
      [1, 0],
      [0, 1],
    ]);
    expect(tokens).toEqual(['k:1,0', 'k:1,1', 'k:2,1']);
    expect(await sut.headPosition()).toBe('k:2,1');
  });

  it('reads after its own position as a plain suffix, one page at a time', async () => {
    const sut = new KafkaHistory(100);
    sut.reset([0, 0]);
    const tokens = fill(sut, [
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    const page = await sut.readAfter(tokens[0], 2);
    expect(ids(page)).toEqual(['1-0', '0-1']);
    expect(page.map((e) => e.id)).toEqual([tokens[1], tokens[2]]);
    expect(ids(await sut.readAfter(page[1].id, 10))).toEqual(['1-1']);
  });

  it('honours a position from a pod that read the partitions in another order', async () => {
    // This pod read p1 ahead of p0; the other pod delivered (0,0),(0,1) and then (1,0).
    const sut = new KafkaHistory(100);
    sut.reset([0, 0]);
    fill(sut, [
      [1, 0],
      [1, 1],
      [0, 0],
      [0, 1],
      [0, 2],
    ]);
    const foreign = 'k:2,1'; // after (0,0),(0,1),(1,0)
    const all = await sut.readAfter(foreign, 10);
    expect(ids(all)).toEqual(['1-1', '0-2']);
    // Paging with the positions it answers gives the same records, never one twice.
    const first = await sut.readAfter(foreign, 1);
    const rest = await sut.readAfter(first[0].id, 10);
    expect([...ids(first), ...ids(rest)]).toEqual(['1-1', '0-2']);
    expect(compareKafkaTokens(rest[rest.length - 1].id, await sut.headPosition())).toBe(0);
  });

  it('reads backwards from the head, before its own positions, and inclusively', async () => {
    const sut = new KafkaHistory(100);
    sut.reset([0]);
    const tokens = fill(sut, [
      [0, 0],
      [0, 1],
      [0, 2],
    ]);
    expect(ids(await sut.readBackward(10))).toEqual(['0-2', '0-1', '0-0']);
    expect(ids(await sut.readBackward(10, tokens[2]))).toEqual(['0-1', '0-0']);
    expect(ids(await sut.readBackward(10, tokens[1], true))).toEqual(['0-1', '0-0']);
    expect(ids(await sut.readBackward(1, tokens[2]))).toEqual(['0-1']);
  });

  it('forgets the oldest records past its capacity and says which positions it still holds', async () => {
    const sut = new KafkaHistory(3);
    sut.reset([0, 0]);
    const tokens = fill(sut, [
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
      [0, 2],
    ]);
    expect(sut.size).toBe(3);
    expect(ids(await sut.readBackward(10))).toEqual(['0-2', '1-1', '0-1']);
    expect(await sut.holds(tokens[1])).toBe(true); // k:1,1: everything after it is held
    expect(await sut.holds(tokens[0])).toBe(false); // k:1,0: (1,0) was forgotten
    expect(await sut.holds('k:0,0')).toBe(false);
    expect(await sut.holds('1-0')).toBe(false);
    expect(ids(await sut.readAfter(tokens[1], 10))).toEqual(['0-1', '1-1', '0-2']);
  });

  it('keeps working after many evictions (compaction of its arrays)', async () => {
    const sut = new KafkaHistory(50);
    sut.reset([0, 0, 0]);
    let last = '';
    for (let i = 0; i < 5000; i += 1) last = sut.append(i % 3, Math.floor(i / 3), '{}');
    expect(sut.size).toBe(50);
    const tail = await sut.readAfter('k:1660,1660,1660', 100);
    // Records 4980..4999 (offsets 1660..1666 of their partitions) are the ones at or past it.
    expect(tail).toHaveLength(20);
    expect(tail.every((e) => Number(e.streamId?.split('-')[1]) >= 1660)).toBe(true);
    expect(tail[tail.length - 1].id).toBe(last);
  });

  it('reports the consumer state through ping', async () => {
    const sut = new KafkaHistory(1);
    await expect(sut.ping()).rejects.toThrow('not connected');
    sut.setReachable(true);
    await expect(sut.ping()).resolves.toBeUndefined();
  });
});
