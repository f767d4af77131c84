import { EventEmitter } from 'node:events';
import { jsonEventToProto, ProtoAgentEvent, ValidEvent } from '@auren/contracts';
import type { AppendOutcome } from '@auren/streaming';
import { STREAM_MAX_EVENTS, StreamIngest, StreamOutcome } from './grpc-stream';

class FakeCall extends EventEmitter {
  paused = false;
  pauses = 0;
  pause(): this {
    this.paused = true;
    this.pauses += 1;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  isPaused(): boolean {
    return this.paused;
  }
  send(message: ProtoAgentEvent): void {
    this.emit('data', message);
  }
}

const good = (id: string) =>
  jsonEventToProto({ event_id: id, event_type: 'llm_call', source_agent: { id: 'a' } });
const bad = () => jsonEventToProto({ event_type: 'llm_call' });

/** A sink whose writes the test resolves or fails one at a time. */
function manualSink() {
  const writes: Array<{
    events: ValidEvent[];
    resolve: () => void;
    reject: (error: Error) => void;
  }> = [];
  const rejected: number[] = [];
  return {
    writes,
    rejected,
    sink: {
      write: (events: ValidEvent[]) =>
        new Promise<AppendOutcome[]>((resolve, reject) =>
          writes.push({
            events,
            resolve: () =>
              resolve(
                events.map((e, i) => ({
                  event_id: e.dto.event_id ?? `gen-${i}`,
                  stream_id: `${writes.length}-${i}`,
                  duplicate: false,
                })),
              ),
            reject,
          }),
        ),
      onRejected: () => rejected.push(1),
    },
  };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('StreamIngest (PublishStream semantics)', () => {
  it('writes what arrived while a write was in flight as the next write, and pauses at 1,000 waiting', async () => {
    const call = new FakeCall();
    const { writes, sink } = manualSink();
    const outcomes: StreamOutcome[] = [];
    new StreamIngest(call, sink, (o) => outcomes.push(o)).start();

    call.send(good('e0'));
    expect(writes).toHaveLength(1); // the first event goes out at once
    for (let i = 1; i <= 1000; i++) call.send(good(`e${i}`));
    expect(call.paused).toBe(true);
    expect(writes).toHaveLength(1);

    writes[0].resolve();
    await flush();
    expect(writes).toHaveLength(2);
    expect(writes[1].events).toHaveLength(1000);
    expect(call.paused).toBe(false);

    call.emit('end');
    expect(outcomes).toHaveLength(0); // answered only once every write is confirmed
    writes[1].resolve();
    await flush();
    expect(outcomes).toHaveLength(1);
    const [outcome] = outcomes;
    expect(outcome.ok).toBe(true);
    expect(outcome.ack.accepted).toBe(1001);
    expect(outcome.ack.results.map((r) => r.index)).toEqual(
      Array.from({ length: 1001 }, (_, i) => i),
    );
  });

  it('reports bad events by index without stopping the stream', async () => {
    const call = new FakeCall();
    const { writes, rejected, sink } = manualSink();
    let outcome: StreamOutcome | undefined;
    new StreamIngest(call, sink, (o) => (outcome = o)).start();
    call.send(bad());
    call.send(good('g1'));
    call.send(bad());
    call.emit('end');
    writes[0].resolve();
    await flush();
    expect(rejected).toHaveLength(2);
    expect(outcome?.ok).toBe(true);
    expect(outcome?.ack.rejected.map((r) => r.index)).toEqual([0, 2]);
    expect(outcome?.ack.rejected[0].violations[0].field).toBe('source_agent.id');
    expect(outcome?.ack.results.map((r) => [r.index, r.event_id])).toEqual([[1, 'g1']]);
  });

  it('a backend failure stops the stream at the first event of the failed write', async () => {
    const call = new FakeCall();
    const { writes, sink } = manualSink();
    let outcome: StreamOutcome | undefined;
    new StreamIngest(call, sink, (o) => (outcome = o)).start();
    call.send(good('ok0'));
    call.send(good('lost1'));
    call.send(good('lost2'));
    writes[0].resolve();
    await flush();
    writes[1].reject(new Error('redis down'));
    await flush();
    expect(outcome).toMatchObject({ ok: false, failedAt: 1 });
    expect(outcome?.ack.results.map((r) => r.event_id)).toEqual(['ok0']);
    call.send(good('after'));
    expect(writes).toHaveLength(2); // nothing more is written once failed
  });

  it(`answers early once a stream passes ${STREAM_MAX_EVENTS} events`, async () => {
    const call = new FakeCall();
    const { writes, sink } = manualSink();
    let outcome: StreamOutcome | undefined;
    new StreamIngest(call, sink, (o) => (outcome = o)).start();
    for (let i = 0; i <= STREAM_MAX_EVENTS + 5; i++) {
      call.send(bad());
    }
    await flush();
    expect(writes).toHaveLength(0);
    expect(outcome?.ok).toBe(true);
    const last = outcome?.ack.rejected.at(-1);
    expect(last?.index).toBe(STREAM_MAX_EVENTS);
    expect(last?.message).toContain('new stream');
    expect(outcome?.ack.rejected).toHaveLength(STREAM_MAX_EVENTS + 1);
  });
});
