import { BackoffPolicy, retryDelay } from './backoff';
import { BoundedQueue } from './bounded-queue';
import type { SendOutcome, Transport } from './transport';
import type { AurenError, AurenEvent, ClientStats, RetryInfo } from './types';

export type OverflowPolicy = 'drop-oldest' | 'drop-newest';

export interface DispatcherOptions {
  batchSize: number;
  flushIntervalMs: number;
  maxBufferSize: number;
  maxRetries: number;
  backoff: BackoffPolicy;
  overflow: OverflowPolicy;
  onError: (error: AurenError) => void;
  onRetry?: (info: RetryInfo) => void;
  random?: () => number;
}

interface Entry {
  event: AurenEvent;
  seq: number;
}

interface FlushWaiter {
  /** Events buffered when flush() was called (seq ≤ mark) that are not settled yet. */
  remaining: number;
  mark: number;
  resolve: () => void;
}

/**
 * The buffer, the batching and the retries. `enqueue` only touches memory and timers; all I/O
 * happens later in `pump`, one batch at a time, so that a slow or dead ingest never slows the
 * caller and the order of events is kept.
 */
export class Dispatcher {
  private readonly queue: BoundedQueue<Entry>;
  private inflight: Entry[] = [];
  private sending = false;
  private accepting = true;
  private seq = 0;
  private timer?: NodeJS.Timeout;
  private timerDue = Infinity;
  private sleeping?: { timer: NodeJS.Timeout; wake: () => void };
  private waiters: FlushWaiter[] = [];
  private pendingDrops: string[] = [];
  private readonly abort = new AbortController();
  private readonly counters = {
    sent: 0,
    dropped: 0,
    rejected: 0,
    retried: 0,
    duplicates: 0,
    requests: 0,
  };

  constructor(
    private readonly transport: Transport,
    private readonly options: DispatcherOptions,
  ) {
    this.queue = new BoundedQueue<Entry>(options.maxBufferSize);
  }

  stats(): ClientStats {
    return { ...this.counters, buffered: this.buffered };
  }

  get buffered(): number {
    return this.queue.length + this.inflight.length;
  }

  /** Synchronous: stores the event (dropping one when full) and arranges a send. */
  enqueue(event: AurenEvent): void {
    const entry = { event, seq: ++this.seq };
    if (!this.accepting) {
      this.settleDropped([entry], 'closed', 'the client is closed; the event was not sent');
      return;
    }
    if (this.buffered >= this.options.maxBufferSize) {
      if (this.options.overflow === 'drop-newest' || this.queue.length === 0) {
        this.dropOverflow(entry);
        return;
      }
      this.dropOverflow(this.queue.shift() as Entry);
    }
    this.queue.push(entry);
    this.kick();
  }

  /** Resolves once every event buffered now was sent, rejected or dropped. */
  flush(): Promise<void> {
    const remaining = this.buffered;
    if (remaining === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push({ remaining, mark: this.seq, resolve });
      this.refTimers();
      this.kick();
    });
  }

  /** From now on, enqueue drops (reason `closed`). */
  stopAccepting(): void {
    this.accepting = false;
  }

  /** Gives up on everything still buffered: aborts the request in flight, drops the rest. */
  async abortAll(): Promise<void> {
    this.abort.abort();
    this.sleeping?.wake();
    while (this.sending) await new Promise((resolve) => setImmediate(resolve));
    const left = this.queue.take(this.queue.length);
    if (left.length > 0)
      this.settleDropped(left, 'closed', 'the client was closed before these events could be sent');
    this.clearTimer();
    await this.transport.close();
  }

  // --- scheduling -------------------------------------------------------------------------

  /** Sends now if a full batch is waiting or someone waits for a flush, else after the interval. */
  private kick(): void {
    if (this.sending || this.abort.signal.aborted || this.queue.length === 0) return;
    const urgent = this.queue.length >= this.options.batchSize || this.waiters.length > 0;
    this.arm(urgent ? 0 : this.options.flushIntervalMs);
  }

  private arm(delayMs: number): void {
    const due = Date.now() + delayMs;
    if (this.timer && this.timerDue <= due) return;
    this.clearTimer();
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDue = Infinity;
      void this.pump();
    }, delayMs);
    this.applyRef(this.timer);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Infinity;
  }

  /** Timers keep the process alive only while someone awaits flush()/close(). */
  private applyRef(timer: NodeJS.Timeout): void {
    if (this.waiters.length > 0) timer.ref();
    else timer.unref();
  }

  private refTimers(): void {
    if (this.timer) this.applyRef(this.timer);
    if (this.sleeping) this.applyRef(this.sleeping.timer);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.abort.signal.removeEventListener('abort', wake);
        this.sleeping = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.applyRef(timer);
      this.sleeping = { timer, wake };
      this.abort.signal.addEventListener('abort', wake, { once: true });
    });
  }

  // --- sending ----------------------------------------------------------------------------

  /** Sends whatever is buffered (the timer fired or a batch is full), one batch at a time. */
  private async pump(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length > 0 && !this.abort.signal.aborted) {
        this.inflight = this.queue.take(this.options.batchSize);
        await this.deliver();
        // A partial batch waits for the interval again unless someone is flushing.
        if (this.queue.length < this.options.batchSize && this.waiters.length === 0) break;
      }
    } finally {
      this.sending = false;
      this.inflight = [];
    }
    this.kick();
  }

  /** Sends `this.inflight` until it is acknowledged, refused or given up on. */
  private async deliver(): Promise<void> {
    let attempt = 0;
    while (this.inflight.length > 0) {
      const batch = this.inflight;
      this.counters.requests += 1;
      const outcome = await this.transport.send(
        batch.map((e) => e.event),
        this.abort.signal,
      );
      if (this.abort.signal.aborted && outcome.kind !== 'ok') {
        this.inflight = [];
        this.settleDropped(
          batch,
          'closed',
          'the client was closed while these events were being sent',
        );
        return;
      }
      if (outcome.kind === 'ok') {
        this.inflight = [];
        this.counters.duplicates += outcome.results.filter((r) => r.duplicate).length;
        this.settle(batch, 'sent');
        return;
      }
      if (outcome.kind === 'reject') {
        this.handleReject(batch, outcome);
        continue;
      }
      attempt += 1;
      if (attempt > this.options.maxRetries) {
        this.inflight = [];
        this.settleDropped(
          batch,
          'retries_exhausted',
          `gave up after ${attempt} attempts: ${outcome.message}`,
          outcome.status,
        );
        return;
      }
      const delayMs = retryDelay(
        attempt,
        this.options.backoff,
        outcome.retryAfterMs,
        this.options.random,
      );
      this.counters.retried += batch.length;
      this.report(() =>
        this.options.onRetry?.({
          attempt,
          delayMs,
          reason: outcome.reason,
          status: outcome.status,
          retryAfterMs: outcome.retryAfterMs,
          events: batch.length,
        }),
      );
      await this.sleep(delayMs);
    }
  }

  /**
   * A refused batch. 400 naming bad indexes: those are rejected, the rest is sent again (the
   * ingest validates batches all-or-nothing, so one bad event must not take good ones down).
   * 413: the batch is split in halves. Anything else rejects the whole batch.
   */
  private handleReject(batch: Entry[], outcome: Extract<SendOutcome, { kind: 'reject' }>): void {
    if (outcome.status === 413 && batch.length > 1) {
      const half = Math.ceil(batch.length / 2);
      this.inflight = batch.slice(0, half);
      this.queue.unshiftAll(batch.slice(half));
      return;
    }
    const bad = new Set(
      (outcome.details ?? [])
        .map((d) => d.index)
        .filter(
          (i): i is number =>
            Number.isInteger(i) && (i as number) >= 0 && (i as number) < batch.length,
        ),
    );
    const rejected = bad.size > 0 ? batch.filter((_, i) => bad.has(i)) : batch;
    this.inflight = bad.size > 0 ? batch.filter((_, i) => !bad.has(i)) : [];
    const details =
      bad.size > 0
        ? (outcome.details ?? [])
            .filter((d) => d.index !== undefined && bad.has(d.index))
            .map((d) => ({
              ...d,
              index: [...bad].sort((a, b) => a - b).indexOf(d.index as number),
            }))
        : outcome.details;
    this.counters.rejected += rejected.length;
    this.settle(rejected, 'none');
    this.report(() =>
      this.options.onError({
        kind: 'rejected',
        reason: outcome.reason,
        message: outcome.message,
        status: outcome.status,
        details,
        eventIds: rejected.map((e) => e.event.event_id),
      }),
    );
  }

  // --- bookkeeping ------------------------------------------------------------------------

  private settle(entries: Entry[], as: 'sent' | 'none'): void {
    if (as === 'sent') this.counters.sent += entries.length;
    if (this.waiters.length === 0) return;
    for (const waiter of this.waiters) {
      for (const e of entries) if (e.seq <= waiter.mark) waiter.remaining -= 1;
    }
    const done = this.waiters.filter((w) => w.remaining <= 0);
    if (done.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.remaining > 0);
    for (const w of done) w.resolve();
  }

  private settleDropped(entries: Entry[], reason: string, message: string, status?: number): void {
    this.counters.dropped += entries.length;
    this.settle(entries, 'none');
    this.report(() =>
      this.options.onError({
        kind: 'dropped',
        reason,
        message,
        status,
        eventIds: entries.map((e) => e.event.event_id),
      }),
    );
  }

  /** Buffer-full drops are reported together, once the caller's synchronous code is done. */
  private dropOverflow(entry: Entry): void {
    this.counters.dropped += 1;
    this.settle([entry], 'none');
    if (this.pendingDrops.push(entry.event.event_id) > 1) return;
    queueMicrotask(() => {
      const eventIds = this.pendingDrops;
      this.pendingDrops = [];
      this.report(() =>
        this.options.onError({
          kind: 'dropped',
          reason: 'buffer_full',
          message: `the buffer holds ${this.options.maxBufferSize} events and is full; dropped ${eventIds.length} (${this.options.overflow})`,
          eventIds,
        }),
      );
    });
  }

  /** A throwing user callback must not break the SDK. */
  private report(call: () => void): void {
    try {
      call();
    } catch {
      // the callback's own problem; nothing to do here
    }
  }
}
