import { parseRetryAfter } from './backoff';
import type { EventAck, SendOutcome, Transport } from './transport';
import type { AurenEvent } from './types';

export interface HttpTransportOptions {
  url: string;
  apiKey?: string;
  requestTimeoutMs: number;
  userAgent: string;
}

/** Statuses after which the same batch may be sent again: nothing was accepted. */
const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);

interface ErrorBody {
  message?: unknown;
  details?: unknown;
}

/** POST /v1/events/batch with the global fetch of Node 18+. */
export class HttpTransport implements Transport {
  private readonly endpoint: string;

  constructor(private readonly options: HttpTransportOptions) {
    this.endpoint = `${options.url.replace(/\/+$/, '')}/v1/events/batch`;
  }

  async send(events: readonly AurenEvent[], signal: AbortSignal): Promise<SendOutcome> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': this.options.userAgent,
    };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    const timeout = AbortSignal.timeout(this.options.requestTimeoutMs);
    const combined = anySignal([signal, timeout]);
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify({ events }),
        signal: combined.signal,
      });
      text = await response.text();
    } catch (error) {
      const timedOut = timeout.aborted && !signal.aborted;
      return {
        kind: 'retry',
        reason: timedOut ? 'timeout' : 'network',
        message: timedOut
          ? `no answer from ${this.endpoint} within ${this.options.requestTimeoutMs} ms`
          : `cannot reach ${this.endpoint}: ${describe(error)}`,
      };
    } finally {
      combined.dispose();
    }
    const body = parse(text);
    if (response.ok) {
      const results = (body as { results?: EventAck[] } | undefined)?.results ?? [];
      return { kind: 'ok', results };
    }
    const error = (body ?? {}) as ErrorBody;
    const message =
      typeof error.message === 'string'
        ? error.message
        : `HTTP ${response.status} ${text.slice(0, 200)}`;
    if (RETRYABLE.has(response.status)) {
      return {
        kind: 'retry',
        reason: `http_${response.status}`,
        message,
        status: response.status,
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
      };
    }
    return {
      kind: 'reject',
      reason: `http_${response.status}`,
      message,
      status: response.status,
      details: Array.isArray(error.details)
        ? (error.details as Array<{ index?: number; field?: string; message: string }>)
        : undefined,
    };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function parse(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}

/** AbortSignal.any is Node 20.3+; this works on 18, and removes its listeners afterwards. */
function anySignal(signals: AbortSignal[]): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  for (const s of signals) {
    if (s.aborted) controller.abort();
    else s.addEventListener('abort', abort, { once: true });
  }
  return {
    signal: controller.signal,
    dispose: () => signals.forEach((s) => s.removeEventListener('abort', abort)),
  };
}
