import { backoffMs, parseBatch } from './stream-batch';
import { TOMBSTONE_FIELD } from '../kafka/kafka-constants';

const stored = (id: string) =>
  JSON.stringify({ event_id: id, event_type: 'llm_call', source_agent: { id: 'a' } });

describe(parseBatch.name, () => {
  it('sets stream_id from the record (its own stream id when it has one) and sorts out poison and tombstones', () => {
    const sut = parseBatch([
      { id: '1-0', json: stored('e-1') },
      { id: '2-0', json: '{broken' },
      { id: '3-0', json: JSON.stringify({ event_id: 'x' }) },
      { id: 'k:1', json: stored('e-2'), streamId: '0-7' },
      { id: '5-0', json: JSON.stringify({ [TOMBSTONE_FIELD]: 'e-0' }) },
      { id: '6-0', json: '' },
    ]);
    expect(sut.events.map((e) => [e.event_id, e.stream_id])).toEqual([
      ['e-1', '1-0'],
      ['e-2', '0-7'],
    ]);
    expect(sut.poison.map((p) => [p.entry.id, p.reason])).toEqual([
      ['2-0', 'not JSON'],
      ['3-0', 'not an AUREN event'],
      ['6-0', 'not JSON'],
    ]);
    expect(sut.tombstones).toEqual(['e-0']);
  });
});

describe(backoffMs.name, () => {
  it('doubles from 100 ms and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 30].map((n) => backoffMs(n, 1000))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });
});
