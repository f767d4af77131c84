import { Dispatcher, DispatcherOptions } from './dispatcher';
import type { SendOutcome, Transport } from './transport';
import type { AurenError, AurenEvent, RetryInfo } from './types';

const ok = (events: readonly AurenEvent[]): SendOutcome => ({
  kind: 'ok',
  results: events.map((e, i) => ({ event_id: e.event_id, stream_id: `1-${i}`, duplicate: false })),
});
const unavailable = (retryAfterMs?: number): SendOutcome => ({
  kind: 'retry',
  reason: 'http_503',
  message: 'down',
  status: 503,
  retryAfterMs,
});

/** Answers each request with the next scripted outcome, then with 202. */
class ScriptedTransport implements Transport {
  readonly calls: string[][] = [];
  constructor(
    private readonly script: Array<(events: readonly AurenEvent[]) => SendOutcome> = [],
  ) {}
  send(events: readonly AurenEvent[]): Promise<SendOutcome> {
    this.calls.push(events.map((e) => e.event_id));
    const next = this.script.shift() ?? ok;
    return Promise.resolve(next(events));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const event = (id: string): AurenEvent => ({
  event_id: id,
  event_type: 'llm_call',
  timestamp: '2025-01-01T00:00:00.000Z',
  source_agent: { id: 'a' },
  payload: {},
  metadata: {},
});
const ids = (n: number, prefix = 'e') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

function make(transport: Transport, over: Partial<DispatcherOptions> = {}) {
  const errors: AurenError[] = [];
  const retries: RetryInfo[] = [];
  const sut = new Dispatcher(transport, {
    batchSize: 10,
    flushIntervalMs: 60_000,
    maxBufferSize: 100,
    maxRetries: 3,
    backoff: { baseMs: 1, maxMs: 5 },
    overflow: 'drop-oldest',
    onError: (e) => errors.push(e),
    onRetry: (r) => retries.push(r),
    ...over,
  });
  return { sut, errors, retries };
}

describe(Dispatcher.name, () => {
  it('sends full batches without waiting for the interval and keeps the order', async () => {
    const transport = new ScriptedTransport();
    const { sut } = make(transport);
    for (const id of ids(25)) sut.enqueue(event(id));
    expect(transport.calls).toEqual([]); // nothing happens inside enqueue
    await sut.flush();
    expect(transport.calls.map((c) => c.length)).toEqual([10, 10, 5]);
    expect(transport.calls.flat()).toEqual(ids(25));
    expect(sut.stats()).toMatchObject({ sent: 25, buffered: 0, requests: 3, dropped: 0 });
  });

  it('sends a partial batch once the interval has passed', async () => {
    const transport = new ScriptedTransport();
    let sent!: () => void;
    const arrived = new Promise<void>((resolve) => (sent = resolve));
    const { sut } = make(
      { send: (e) => transport.send(e).finally(sent), close: () => transport.close() },
      { flushIntervalMs: 20 },
    );
    sut.enqueue(event('only'));
    expect(transport.calls).toEqual([]);
    await arrived;
    expect(transport.calls).toEqual([['only']]);
  });

  it('retries 503s with the server delay, then delivers', async () => {
    const transport = new ScriptedTransport([() => unavailable(3), () => unavailable()]);
    const { sut, retries } = make(transport);
    for (const id of ids(4)) sut.enqueue(event(id));
    await sut.flush();
    expect(retries.map((r) => [r.attempt, r.reason, r.retryAfterMs])).toEqual([
      [1, 'http_503', 3],
      [2, 'http_503', undefined],
    ]);
    expect(retries[0].delayMs).toBe(3);
    expect(transport.calls).toEqual([ids(4), ids(4), ids(4)]); // the same event_ids each time
    expect(sut.stats()).toMatchObject({ sent: 4, retried: 8, requests: 3, dropped: 0 });
  });

  it('drops a batch after maxRetries and reports it', async () => {
    const transport = new ScriptedTransport(Array.from({ length: 10 }, () => () => unavailable()));
    const { sut, errors } = make(transport, { maxRetries: 2 });
    sut.enqueue(event('x'));
    await sut.flush();
    expect(transport.calls).toHaveLength(3);
    expect(errors).toEqual([
      expect.objectContaining({ kind: 'dropped', reason: 'retries_exhausted', eventIds: ['x'] }),
    ]);
    expect(sut.stats()).toMatchObject({ sent: 0, dropped: 1, buffered: 0 });
  });

  it('rejects only the events a 400 names and sends the others', async () => {
    const transport = new ScriptedTransport([
      () => ({
        kind: 'reject',
        reason: 'http_400',
        status: 400,
        message: 'events[1]: bad',
        details: [
          { index: 1, field: 'events[1].source_agent.id', message: 'bad' },
          { index: 3, field: 'events[3].event_type', message: 'bad too' },
        ],
      }),
    ]);
    const { sut, errors } = make(transport);
    for (const id of ids(5)) sut.enqueue(event(id));
    await sut.flush();
    expect(transport.calls).toEqual([ids(5), ['e0', 'e2', 'e4']]);
    expect(errors).toEqual([
      expect.objectContaining({
        kind: 'rejected',
        status: 400,
        eventIds: ['e1', 'e3'],
        details: [
          expect.objectContaining({ index: 0, field: 'events[1].source_agent.id' }),
          expect.objectContaining({ index: 1, field: 'events[3].event_type' }),
        ],
      }),
    ]);
    expect(sut.stats()).toMatchObject({ sent: 3, rejected: 2, retried: 0 });
  });

  it('rejects a whole batch on a 401, without retrying', async () => {
    const transport = new ScriptedTransport([
      () => ({ kind: 'reject', reason: 'http_401', status: 401, message: 'no' }),
    ]);
    const { sut, errors } = make(transport);
    for (const id of ids(3)) sut.enqueue(event(id));
    await sut.flush();
    expect(transport.calls).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: 'rejected', status: 401, eventIds: ids(3) });
    expect(sut.stats()).toMatchObject({ rejected: 3, sent: 0, retried: 0 });
  });

  it('splits a batch the ingest found too large (413)', async () => {
    const tooLarge = (): SendOutcome => ({
      kind: 'reject',
      reason: 'http_413',
      status: 413,
      message: 'big',
    });
    const transport = new ScriptedTransport([tooLarge]);
    const { sut } = make(transport);
    for (const id of ids(6)) sut.enqueue(event(id));
    await sut.flush();
    expect(transport.calls).toEqual([ids(6), ['e0', 'e1', 'e2'], ['e3', 'e4', 'e5']]);
    expect(sut.stats()).toMatchObject({ sent: 6, rejected: 0 });
  });

  it('drops the oldest waiting events when full, counts and reports them once', async () => {
    const transport = new ScriptedTransport();
    const { sut, errors } = make(transport, { maxBufferSize: 5, batchSize: 5 });
    for (const id of ids(12)) sut.enqueue(event(id));
    expect(sut.stats()).toMatchObject({ dropped: 7, buffered: 5 });
    await sut.flush();
    expect(transport.calls.flat()).toEqual(['e7', 'e8', 'e9', 'e10', 'e11']);
    expect(errors).toEqual([
      expect.objectContaining({ kind: 'dropped', reason: 'buffer_full', eventIds: ids(7) }),
    ]);
  });

  it('drops the newest events when told to', async () => {
    const transport = new ScriptedTransport();
    const { sut } = make(transport, { maxBufferSize: 5, batchSize: 5, overflow: 'drop-newest' });
    for (const id of ids(12)) sut.enqueue(event(id));
    await sut.flush();
    expect(transport.calls.flat()).toEqual(ids(5));
    expect(sut.stats()).toMatchObject({ dropped: 7, sent: 5 });
  });

  it('after stopAccepting and abortAll, drops what is left and what comes later', async () => {
    const transport = new ScriptedTransport(
      Array.from({ length: 100 }, () => () => unavailable(60_000)),
    );
    const { sut, errors } = make(transport, {
      maxRetries: Infinity,
      backoff: { baseMs: 1, maxMs: 60_000 },
    });
    for (const id of ids(15)) sut.enqueue(event(id));
    void sut.flush();
    sut.stopAccepting();
    sut.enqueue(event('late'));
    await sut.abortAll();
    expect(sut.stats()).toMatchObject({ dropped: 16, buffered: 0, sent: 0 });
    expect(errors.map((e) => e.reason)).toEqual(expect.arrayContaining(['closed']));
    expect(errors.flatMap((e) => e.eventIds).sort()).toEqual([...ids(15), 'late'].sort());
  });

  it('a flush resolves for the events buffered when it was called, even if more keep coming', async () => {
    const transport = new ScriptedTransport();
    const { sut } = make(transport, { batchSize: 2 });
    for (const id of ids(3)) sut.enqueue(event(id));
    const flushed = sut.flush();
    sut.enqueue(event('later'));
    await flushed;
    expect(transport.calls.flat().slice(0, 3)).toEqual(ids(3));
  });

  it('survives an onError callback that throws', async () => {
    const transport = new ScriptedTransport([
      () => ({ kind: 'reject', reason: 'http_400', status: 400, message: 'bad' }),
    ]);
    const { sut } = make(transport, {
      onError: () => {
        throw new Error('user bug');
      },
    });
    sut.enqueue(event('a'));
    await sut.flush();
    sut.enqueue(event('b'));
    await sut.flush();
    expect(sut.stats()).toMatchObject({ rejected: 1, sent: 1 });
  });
});
