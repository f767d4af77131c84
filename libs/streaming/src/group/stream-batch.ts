import { BaseRpcContext } from '@nestjs/microservices/ctx-host/base-rpc.context';
import { isObservable, lastValueFrom } from 'rxjs';
import { isStoredEvent, type StreamedEvent } from '@auren/contracts';
import type { StreamEntry } from '../stream.interfaces';
import { TOMBSTONE_FIELD } from '../kafka/kafka-constants';

/**
 * The pattern shared readers (history writers) dispatch BATCHES under:
 * `@EventPattern(STREAM_BATCH_PATTERN)` receives `StreamedEvent[]` and its promise must resolve
 * only once the batch is committed: the reader acknowledges the records after that, and retries
 * the same batch when it rejects.
 */
export const STREAM_BATCH_PATTERN = 'auren.stream_batch';

/** What the batch handler learns besides the events. */
export interface StreamBatchInfo {
  /** The reader: `redis`, `kafka` or `memory`. */
  source: string;
  /** 1 for the first delivery of this batch, more when it is retried after a failure. */
  attempt: number;
}

export class StreamBatchContext extends BaseRpcContext<[StreamBatchInfo]> {
  get info(): StreamBatchInfo {
    return this.args[0];
  }
}

/** What a shared reader exposes to its app: readiness and the lag metric. */
export interface BatchReader {
  readonly source: string;
  /** True while the stream answers. */
  readonly isConnected: boolean;
  /** Events of the stream not written yet (not acknowledged by the group); null when unknown. */
  lag(): Promise<number | null>;
}

export interface ParsedBatch {
  events: StreamedEvent[];
  /** Records that are not AUREN events, with why. */
  poison: Array<{ entry: StreamEntry; reason: string }>;
  /** Hybrid `all` take-backs (the event_ids), passed over. */
  tombstones: string[];
}

/** Turns stored records into events (their `stream_id` set), poison and tombstones. */
export function parseBatch(entries: readonly StreamEntry[]): ParsedBatch {
  const out: ParsedBatch = { events: [], poison: [], tombstones: [] };
  for (const entry of entries) {
    let value: unknown;
    try {
      value = JSON.parse(entry.json);
    } catch {
      out.poison.push({ entry, reason: 'not JSON' });
      continue;
    }
    const tombstone = (value as Record<string, unknown> | null)?.[TOMBSTONE_FIELD];
    if (typeof tombstone === 'string') {
      out.tombstones.push(tombstone);
      continue;
    }
    if (!isStoredEvent(value)) {
      out.poison.push({ entry, reason: 'not an AUREN event' });
      continue;
    }
    const event = value as StreamedEvent;
    event.stream_id = entry.streamId ?? entry.id;
    out.events.push(event);
  }
  return out;
}

/**
 * Calls a Nest message handler and waits for its outcome. Nest turns a thrown error into an
 * Observable that errors (its exception filter), so an Observable is awaited too.
 */
export async function callBatchHandler(
  handler: (data: unknown, ctx: StreamBatchContext) => unknown,
  events: StreamedEvent[],
  info: StreamBatchInfo,
): Promise<void> {
  const result: unknown = await handler(events, new StreamBatchContext([info]));
  if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
}

/** Capped exponential backoff: 100 ms, 200 ms, ... up to `maxMs`. */
export function backoffMs(failures: number, maxMs: number): number {
  return Math.min(100 * 2 ** Math.min(Math.max(failures - 1, 0), 10), maxMs);
}
