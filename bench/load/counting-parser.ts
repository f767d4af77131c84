/**
 * A socket.io-client parser that counts `stream_event` packets instead of decoding them.
 *
 * The clients share a 2-core machine with the server under test; decoding (JSON.parse) hundreds
 * of thousands of ~1 KB events a second would make the client process the bottleneck and hide
 * the server's figure. Every other packet (CONNECT, `connection_established`, errors...) goes
 * through socket.io-parser unchanged, so handshakes and connection errors behave as usual. The
 * wire protocol is untouched: the server cannot tell these clients from ordinary ones.
 */
import * as parser from 'socket.io-parser';

/** What engine.io hands the parser for `socket.emit('stream_event', ...)` on the main namespace. */
const STREAM_EVENT = '2["stream_event",';
const STREAM_GAP = '2["stream_gap",';

export interface Counters {
  /** `stream_event` packets per client. */
  events: Uint32Array;
  /** `stream_gap` notices per client. */
  gaps: Uint32Array;
  /** Characters of `stream_event` packets, summed (for the average frame size). */
  chars: number;
  /** Called every `every` events (process-wide), e.g. to let a publisher top up its window. */
  onProgress?: () => void;
  every: number;
  total: number;
  /** A few whole packets (every 4,096th), with the client that got them, for a content check. */
  kept: Array<{ client: number; packet: string }>;
}

export function newCounters(clients: number, every = 256): Counters {
  return {
    events: new Uint32Array(clients),
    gaps: new Uint32Array(clients),
    chars: 0,
    every,
    total: 0,
    kept: [],
  };
}

/** The `parser` option for client number `index`. */
export function countingParser(counters: Counters, index: number): unknown {
  class CountingDecoder extends parser.Decoder {
    override add(obj: unknown): void {
      if (typeof obj === 'string') {
        if (obj.startsWith(STREAM_EVENT)) {
          counters.events[index] += 1;
          counters.chars += obj.length;
          counters.total += 1;
          if ((counters.total & 4095) === 0 && counters.kept.length < 200)
            counters.kept.push({ client: index, packet: obj });
          if (counters.total % counters.every === 0) counters.onProgress?.();
          return;
        }
        if (obj.startsWith(STREAM_GAP)) counters.gaps[index] += 1;
      }
      super.add(obj);
    }
  }
  return { protocol: parser.protocol, Encoder: parser.Encoder, Decoder: CountingDecoder };
}
