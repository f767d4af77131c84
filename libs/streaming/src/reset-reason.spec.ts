import { comparePositions } from './stream-position';
import type { StreamIdentity } from './stream.interfaces';
import { resetReason } from './stream-transport.strategy';

const look = (over: Partial<StreamIdentity> = {}): StreamIdentity => ({
  exists: true,
  generation: '100-0',
  serverRunId: 'run-1',
  lastId: '200-0',
  ...over,
});

describe(resetReason.name, () => {
  const sut = (before: StreamIdentity, now: StreamIdentity, delivered = '200-0') =>
    resetReason(before, now, delivered, comparePositions);

  it('answers null for the same stream, grown', () => {
    expect(sut(look(), look({ lastId: '300-0' }))).toBeNull();
  });

  it('lets a stream that did not exist appear (first write, or the new stream after a reset)', () => {
    expect(sut(look({ exists: false, generation: null, lastId: '0-0' }), look(), '0-0')).toBeNull();
  });

  it('reports a stream that is gone as lost', () => {
    expect(sut(look(), look({ exists: false, generation: null, lastId: '0-0' }))).toBe(
      'stream_lost',
    );
  });

  it('reports a new generation after a Redis restart as lost, on the same server as recreated', () => {
    const newer = { generation: '500-0', lastId: '500-0' };
    expect(sut(look(), look({ ...newer, serverRunId: 'run-2' }))).toBe('stream_lost');
    expect(sut(look(), look(newer))).toBe('stream_recreated');
    // A generation that disappeared (written by an older sink) is a change too.
    expect(sut(look(), look({ generation: null }))).toBe('stream_recreated');
  });

  it('reports ids before what was delivered as going backwards (an older copy restored)', () => {
    expect(sut(look(), look({ serverRunId: 'run-2', lastId: '150-0' }))).toBe(
      'stream_went_backwards',
    );
  });

  it('answers null for a restart that kept the stream (persistence on)', () => {
    expect(sut(look(), look({ serverRunId: 'run-2' }))).toBeNull();
  });

  it('answers null when the server run_id is unknown (INFO refused) and nothing else changed', () => {
    expect(sut(look({ serverRunId: null }), look({ serverRunId: null }))).toBeNull();
  });
});
