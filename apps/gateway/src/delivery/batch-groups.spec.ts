import type { StreamedEvent } from '@auren/contracts';
import { BATCH_MAX_EVENTS, BATCH_ROOM_PREFIX, BatchGroups } from './batch-groups';

const event = (id: string) =>
  ({ event_id: id, stream_id: `1-${id}`, source_agent: { id: 'a' } }) as unknown as StreamedEvent;
const idsOf = (taken: Array<{ name: string; events: StreamedEvent[] }>) =>
  Object.fromEntries(taken.map((t) => [t.name, t.events.map((e) => e.event_id)]));

describe('BatchGroups', () => {
  it('names a group by its sorted rooms, whatever order they come in', () => {
    expect(BatchGroups.nameOf(['b', 'a'])).toBe(BatchGroups.nameOf(['a', 'b']));
    expect(BatchGroups.nameOf(['a'])).not.toBe(BatchGroups.nameOf(['a', 'b']));
    expect(BatchGroups.nameOf(['a']).startsWith(BATCH_ROOM_PREFIX)).toBe(true);
  });

  it('appends an event once to every group holding one of its rooms, in order', () => {
    const groups = new BatchGroups();
    const g1 = BatchGroups.nameOf(['r1', 'r2']);
    const g2 = BatchGroups.nameOf(['r2']);
    const g3 = BatchGroups.nameOf(['r3']);
    groups.ensure(g1, ['r1', 'r2']);
    groups.ensure(g2, ['r2']);
    groups.ensure(g3, ['r3']);
    expect(groups.offer(['r1', 'r2'], event('x'))).toEqual({ groups: 2, full: false });
    expect(groups.offer(['r3'], event('y'))).toEqual({ groups: 1, full: false });
    expect(groups.offer(['r9'], event('z'))).toEqual({ groups: 0, full: false });
    expect(groups.offer(['r2'], event('w'))).toEqual({ groups: 2, full: false });
    expect(groups.pendingEvents).toBe(5);
    expect(idsOf(groups.take())).toEqual({ [g1]: ['x', 'w'], [g2]: ['x', 'w'], [g3]: ['y'] });
    expect(groups.take()).toEqual([]);
    expect(groups.pendingEvents).toBe(0);
  });

  it('says when a group is full', () => {
    const groups = new BatchGroups();
    groups.ensure('batch|g', ['r']);
    for (let i = 1; i < BATCH_MAX_EVENTS; i++)
      expect(groups.offer(['r'], event(String(i))).full).toBe(false);
    expect(groups.offer(['r'], event('last')).full).toBe(true);
    expect(groups.take()[0].events).toHaveLength(BATCH_MAX_EVENTS);
  });

  it('forgets a dropped group and keeps the others of its rooms', () => {
    const groups = new BatchGroups();
    groups.ensure('batch|a', ['r']);
    groups.ensure('batch|b', ['r']);
    groups.ensure('batch|a', ['r']); // again: no second registration
    expect(groups.size).toBe(2);
    groups.drop('batch|a');
    groups.drop('batch|unknown');
    expect(groups.size).toBe(1);
    expect(groups.offer(['r'], event('x')).groups).toBe(1);
    expect(idsOf(groups.take())).toEqual({ 'batch|b': ['x'] });
    groups.drop('batch|b');
    expect(groups.offer(['r'], event('y')).groups).toBe(0);
  });
});
