/**
 * Kafka positions (CONTRACT §1, §4). A record is `partition-offset` (its `stream_id`). A position a
 * client resumes from covers every partition: `k:` followed by the next offset to read in each
 * partition, by partition number (`k:16,8,0` = partition 0 read through offset 15, partition 1
 * through 7, nothing of partition 2). A gateway attaches the position reached right after an
 * event to it as `resume_token`.
 */
export type OffsetVector = number[];

const TOKEN_PATTERN = /^k:\d{1,15}(,\d{1,15}){0,1023}$/;
const RECORD_PATTERN = /^(\d{1,5})-(\d{1,15})$/;

export function isKafkaToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN_PATTERN.test(value);
}

export function formatKafkaToken(next: OffsetVector): string {
  return `k:${next.join(',')}`;
}

export function parseKafkaToken(token: string): OffsetVector {
  if (!isKafkaToken(token)) throw new Error(`not a Kafka position: ${String(token)}`);
  return token.slice(2).split(',').map(Number);
}

export function kafkaRecordId(partition: number, offset: number | string): string {
  return `${partition}-${offset}`;
}

/** `partition-offset` of one record, when `value` is one. */
export function parseKafkaRecordId(value: string): { partition: number; offset: number } | null {
  const match = RECORD_PATTERN.exec(value);
  return match ? { partition: Number(match[1]), offset: Number(match[2]) } : null;
}

/** The next offset to read in `partition` (0 for a partition the vector does not name). */
export function nextOffset(vector: OffsetVector, partition: number): number {
  return vector[partition] ?? 0;
}

/**
 * Negative when something after `a` is at or before `b` (some partition of `a` is behind), zero
 * when they are equal, positive otherwise. Positions of several partitions are only partly ordered;
 * this is the order catch-up needs: "is there anything between a and b still to read".
 */
export function compareKafkaTokens(a: string, b: string): number {
  const va = parseKafkaToken(a);
  const vb = parseKafkaToken(b);
  const size = Math.max(va.length, vb.length);
  let ahead = false;
  for (let p = 0; p < size; p += 1) {
    const diff = nextOffset(va, p) - nextOffset(vb, p);
    if (diff < 0) return -1;
    if (diff > 0) ahead = true;
  }
  return ahead ? 1 : 0;
}

/** Partition by partition, the further of the two. */
export function maxVector(a: OffsetVector, b: OffsetVector): OffsetVector {
  const size = Math.max(a.length, b.length);
  const out: OffsetVector = [];
  for (let p = 0; p < size; p += 1) out.push(Math.max(nextOffset(a, p), nextOffset(b, p)));
  return out;
}
