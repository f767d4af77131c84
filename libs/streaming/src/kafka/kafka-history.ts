import type { EventLog, StreamEntry } from '../stream.interfaces';
import {
  compareKafkaTokens,
  formatKafkaToken,
  isKafkaToken,
  kafkaRecordId,
  maxVector,
  nextOffset,
  OffsetVector,
  parseKafkaToken,
} from './kafka-position';

interface Held {
  seq: number;
  partition: number;
  offset: number;
  json: string;
  /** This pod's position right after the record. */
  token: string;
}

/**
 * The Kafka mode's history on one gateway pod: the newest records it has read (up to `capacity`),
 * in the order it delivered them, as an {@link EventLog}. Kafka has no cheap "read these offsets
 * of every partition" for a consumer without a group, so resume and `get_recent` read this; the
 * pod fills it from the topic when it starts (see KafkaStreamServer) so that a fresh pod can
 * resume a client that was on another pod.
 *
 * Positions are `k:` offset vectors. A vector from another pod is honoured exactly: the records
 * after it are those at or past its offset in their partition, whatever order this pod read them in.
 */
export class KafkaHistory implements EventLog {
  readonly backendName = 'kafka';
  private held: Held[] = [];
  private head = 0;
  private nextSeq = 0;
  /** Per partition: the seqs of its held records, oldest first, and where the live ones start. */
  private byPartition: Array<{ seqs: number[]; head: number }> = [];
  private readonly bySeqToken = new Map<string, number>();
  private current: OffsetVector = [];
  /** Per partition: every record from this offset on (up to `current`) is held. */
  private floor: OffsetVector = [];
  private reachable = false;

  constructor(private readonly capacity: number) {}

  /** Forgets everything: the pod holds the partitions from `start` on. */
  reset(start: OffsetVector): void {
    this.held = [];
    this.head = 0;
    this.byPartition = [];
    this.bySeqToken.clear();
    this.current = [...start];
    this.floor = [...start];
  }

  /** Records one record in delivery order; answers the position right after it. */
  append(partition: number, offset: number, json: string): string {
    while (this.current.length <= partition) {
      this.current.push(0);
      this.floor.push(0);
    }
    this.current[partition] = offset + 1;
    const token = formatKafkaToken(this.current);
    const seq = this.nextSeq++;
    this.held.push({ seq, partition, offset, json, token });
    this.bySeqToken.set(token, seq);
    (this.byPartition[partition] ??= { seqs: [], head: 0 }).seqs.push(seq);
    if (this.held.length - this.head > this.capacity) this.evictOne();
    return token;
  }

  /** Whether the consumer is connected (readiness). */
  setReachable(reachable: boolean): void {
    this.reachable = reachable;
  }

  get size(): number {
    return this.held.length - this.head;
  }

  /** The vector this pod has read through. */
  get position(): OffsetVector {
    return [...this.current];
  }

  comparePositions(a: string, b: string): number {
    return compareKafkaTokens(a, b);
  }

  isPosition(value: string): boolean {
    return isKafkaToken(value);
  }

  /** True when every record after `position` that this pod has read is still held. */
  holds(position: string): Promise<boolean> {
    if (!isKafkaToken(position)) return Promise.resolve(false);
    const vector = parseKafkaToken(position);
    const size = Math.max(vector.length, this.floor.length);
    for (let p = 0; p < size; p += 1) {
      if (nextOffset(vector, p) < nextOffset(this.floor, p)) return Promise.resolve(false);
    }
    return Promise.resolve(true);
  }

  readAfter(after: string, count: number): Promise<StreamEntry[]> {
    const out: StreamEntry[] = [];
    const own = this.bySeqToken.get(after);
    if (own !== undefined) {
      for (let i = own - this.firstSeq + 1; i < this.size && out.length < count; i += 1) {
        const record = this.at(i);
        out.push(this.entry(record, record.token));
      }
      return Promise.resolve(out);
    }
    if (!isKafkaToken(after)) return Promise.resolve(out);
    const vector = parseKafkaToken(after);
    let reached = vector;
    for (let i = this.firstIndexAtOrPast(vector); i < this.size && out.length < count; i += 1) {
      const record = this.at(i);
      if (record.offset < nextOffset(vector, record.partition)) continue;
      reached = maxVector(reached, parseKafkaToken(record.token));
      out.push(this.entry(record, formatKafkaToken(reached)));
    }
    return Promise.resolve(out);
  }

  readBackward(count: number, before?: string, inclusive = false): Promise<StreamEntry[]> {
    const out: StreamEntry[] = [];
    const own = before === undefined ? undefined : this.bySeqToken.get(before);
    if (before === undefined || own !== undefined) {
      let i = own === undefined ? this.size - 1 : own - this.firstSeq - (inclusive ? 0 : 1);
      for (; i >= 0 && out.length < count; i -= 1) {
        const record = this.at(i);
        out.push(this.entry(record, record.token));
      }
      return Promise.resolve(out);
    }
    if (!isKafkaToken(before)) return Promise.resolve(out);
    // A vector from elsewhere: the records before it are those below its offset in their partition.
    const vector = parseKafkaToken(before);
    for (let i = this.size - 1; i >= 0 && out.length < count; i -= 1) {
      const record = this.at(i);
      if (record.offset < nextOffset(vector, record.partition))
        out.push(this.entry(record, record.token));
    }
    return Promise.resolve(out);
  }

  headPosition(): Promise<string> {
    return Promise.resolve(formatKafkaToken(this.current));
  }

  ping(): Promise<void> {
    return this.reachable
      ? Promise.resolve()
      : Promise.reject(new Error('the Kafka consumer is not connected'));
  }

  private get firstSeq(): number {
    return this.held[this.head]?.seq ?? this.nextSeq;
  }

  private at(index: number): Held {
    return this.held[this.head + index];
  }

  private entry(record: Held, position: string): StreamEntry {
    return {
      id: position,
      json: record.json,
      streamId: kafkaRecordId(record.partition, record.offset),
    };
  }

  /** The first index whose record is at or past `vector` in its partition (binary search per partition). */
  private firstIndexAtOrPast(vector: OffsetVector): number {
    let first = this.size;
    this.byPartition.forEach((list, partition) => {
      const want = nextOffset(vector, partition);
      let lo = list.head;
      let hi = list.seqs.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.held[this.head + list.seqs[mid] - this.firstSeq].offset < want) lo = mid + 1;
        else hi = mid;
      }
      if (lo < list.seqs.length) first = Math.min(first, list.seqs[lo] - this.firstSeq);
    });
    return first;
  }

  private evictOne(): void {
    const gone = this.held[this.head];
    this.head += 1;
    this.bySeqToken.delete(gone.token);
    this.floor[gone.partition] = gone.offset + 1;
    const list = this.byPartition[gone.partition];
    list.head += 1;
    if (list.head > 1024 && list.head * 2 > list.seqs.length) {
      list.seqs = list.seqs.slice(list.head);
      list.head = 0;
    }
    if (this.head > 1024 && this.head * 2 > this.held.length) {
      this.held = this.held.slice(this.head);
      this.head = 0;
    }
  }
}
