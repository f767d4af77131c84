import { hashTag } from '@auren/config';

/**
 * The keys of one Redis stream. Redis Cluster hashes a key by its hash tag (`{...}`) when it has
 * one, else the whole key, so `{auren:events}:dedupe:x` lands in the slot of `auren:events`
 * itself: the stream key keeps its contract name (CONTRACT §3), and everything derived from it is
 * written with the stream key as hash tag. A stream key that has a tag already (`auren:{eu}`)
 * keeps it, and its keys are derived by suffix (`auren:{eu}:dedupe:x`). One stream, its dedupe
 * keys and its generation are then always in one slot: one master, one atomic script
 * (docs/scaling.md#redis-cluster).
 */
export interface StreamKeys {
  stream: string;
  /** `<base>:dedupe:` + event_id: the idempotency keys (AUREN_DEDUPE_WINDOW_SECONDS). */
  dedupePrefix: string;
  /** `<base>:generation`: the id of the stream's first entry (RedisStream.identity). */
  generation: string;
  /** Where the generation was kept before hash tags (`<stream>:generation`), if that differs. */
  legacyGeneration: string | null;
}

/** The prefix of keys that must share the slot of `key`: `{key}` or, with a tag, `key`. */
export function slotBase(key: string): string {
  if (hashTag(key) !== null) return key;
  if (key.includes('}')) {
    // `{a}b}` would hash `a`: a key with a `}` and no tag cannot be wrapped. Config refuses it.
    throw new Error(
      `Redis key "${key}" contains "}" without a hash tag; use a key without braces or with a {tag}`,
    );
  }
  return `{${key}}`;
}

export function streamKeys(stream: string): StreamKeys {
  const base = slotBase(stream);
  const generation = `${base}:generation`;
  const legacy = `${stream}:generation`;
  return {
    stream,
    dedupePrefix: `${base}:dedupe:`,
    generation,
    legacyGeneration: legacy === generation ? null : legacy,
  };
}

/**
 * The hash slot of a key (CRC16-XMODEM of its tag or of the whole key, mod 16384), as Redis
 * Cluster computes it. Used to find the master that holds a stream.
 */
export function keySlot(key: string): number {
  const data = Buffer.from(hashTag(key) ?? key);
  let crc = 0;
  for (const byte of data) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit += 1) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc % 16384;
}
