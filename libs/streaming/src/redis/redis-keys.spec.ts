import { keySlot, slotBase, streamKeys } from './redis-keys';

describe(streamKeys.name, () => {
  it('keeps the contract stream key and derives its keys with it as hash tag', () => {
    const sut = streamKeys('auren:events');

    expect(sut.stream).toBe('auren:events');
    expect(sut.dedupePrefix).toBe('{auren:events}:dedupe:');
    expect(sut.generation).toBe('{auren:events}:generation');
    expect(sut.legacyGeneration).toBe('auren:events:generation');
  });

  it('puts the stream, every dedupe key and the generation in one slot', () => {
    const sut = streamKeys('auren:events');
    const slot = keySlot(sut.stream);

    expect(keySlot(`${sut.dedupePrefix}0b7c9a5e-1d7b-4f6a-9b1e-3b2f5f0f2a11`)).toBe(slot);
    expect(keySlot(`${sut.dedupePrefix}{odd}`)).toBe(slot);
    expect(keySlot(sut.generation)).toBe(slot);
  });

  it('derives by suffix from a key that has a hash tag already', () => {
    const sut = streamKeys('auren:{eu}:events');

    expect(sut.dedupePrefix).toBe('auren:{eu}:events:dedupe:');
    expect(sut.generation).toBe('auren:{eu}:events:generation');
    expect(sut.legacyGeneration).toBeNull();
    expect(keySlot(sut.generation)).toBe(keySlot('eu'));
  });

  it('refuses a "}" it cannot wrap (empty braces are no tag either)', () => {
    expect(slotBase('a{b')).toBe('{a{b}');
    expect(() => slotBase('a}b')).toThrow(/contains "}" without a hash tag/);
    expect(() => slotBase('a{}b')).toThrow(/contains "}" without a hash tag/);
  });
});

describe(keySlot.name, () => {
  // Reference values from `redis-cli CLUSTER KEYSLOT <key>` (Redis 7.0).
  it.each([
    ['auren:events', 5647],
    ['foo', 12182],
    ['{user1000}.following', 3443],
    ['123456789', 12739],
  ])('hashes %s to slot %i as Redis does', (key, slot) => {
    expect(keySlot(key)).toBe(slot);
  });
});
