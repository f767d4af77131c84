import { SilenceBook } from './silence';
import type { AlertTransition } from './transition';

function transition(fields: Partial<AlertTransition>): AlertTransition {
  return {
    ruleId: 'r1',
    key: 'r1:a',
    agent: 'a',
    owner: 'alice',
    severity: 'warning',
    state: 'firing',
    reason: 'condition',
    value: 1,
    threshold: 0,
    window: null,
    eventIds: [],
    at: 1000,
    seq: 1,
    ...fields,
  };
}

describe(SilenceBook.name, () => {
  it('marks transitions matched by rule, agent and owner while the silence lasts', () => {
    const sut = new SilenceBook();
    sut.silence({ id: 's1', ruleId: 'r1', until: 5000 });
    sut.silence({ id: 's2', agent: 'b', owner: 'alice', from: 2000, until: 3000 });
    const [a, b, c] = sut.mark(
      [transition({}), transition({ ruleId: 'r2', agent: 'b' }), transition({ ruleId: 'r2' })],
      2500,
    );
    expect([a.silenced, b.silenced, c.silenced]).toEqual([true, true, false]);
    expect(sut.isSilenced(transition({ ruleId: 'r2', agent: 'b' }), 3000)).toBe(false);
    expect(sut.isSilenced(transition({ ruleId: 'r2', agent: 'b', owner: 'bob' }), 2500)).toBe(
      false,
    );
    expect(sut.isSilenced(transition({}), 5000)).toBe(false);
  });

  it('refuses a silence that would match everything', () => {
    expect(() => new SilenceBook().silence({ id: 'x', until: 1 })).toThrow(/ruleId, an agent/);
  });

  it('keeps an acknowledgement until the key resolves, and survives JSON', () => {
    const sut = new SilenceBook();
    sut.acknowledge('r1:a', 1500, 'alice');
    sut.silence({ id: 's1', ruleId: 'r1', until: 5000 });
    const copy = SilenceBook.fromJSON(JSON.parse(JSON.stringify(sut.toJSON())) as never);
    expect(copy.acknowledgement('r1:a')).toEqual({ key: 'r1:a', at: 1500, by: 'alice' });
    expect(copy.list(1000)).toHaveLength(1);
    copy.mark([transition({ state: 'resolved' })], 2000);
    expect(copy.acknowledgement('r1:a')).toBeUndefined();
    expect(copy.prune(6000)).toBe(1);
  });
});
