import type { AurenEvent } from './types';

export interface EventAck {
  event_id: string;
  stream_id: string;
  duplicate: boolean;
}

/** The result of one batch request, as the dispatcher needs it. */
export type SendOutcome =
  | { kind: 'ok'; results: EventAck[] }
  /** Nothing was accepted; the same batch may be sent again (429, 503, network...). */
  | { kind: 'retry'; reason: string; message: string; status?: number; retryAfterMs?: number }
  /** The ingest refused the batch; sending it again would get the same answer. */
  | {
      kind: 'reject';
      reason: string;
      message: string;
      status: number;
      details?: Array<{ index?: number; field?: string; message: string }>;
    };

/** One way of getting a batch to the ingest. Implementations never throw from `send`. */
export interface Transport {
  send(events: readonly AurenEvent[], signal: AbortSignal): Promise<SendOutcome>;
  close(): Promise<void>;
}
