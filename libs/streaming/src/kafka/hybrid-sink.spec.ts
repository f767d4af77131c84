import type { AgentEvent } from '@auren/contracts';
import type { RedisStream } from '../redis-stream';
import { StreamUnavailableError, type AppendOutcome } from '../stream.interfaces';
import { HybridSink } from './hybrid-sink';
import type { KafkaSink } from './kafka-sink';

const event = (id: string): AgentEvent => ({
  event_id: id,
  event_type: 'llm_call',
  timestamp: '2026-11-24T00:00:00.000Z',
  received_at: '2026-11-24T00:00:00.000Z',
  source_agent: { id: 'a' },
  payload: {},
  metadata: {},
});

/** A backend stand-in: answers, fails, or never answers; records what was cancelled. */
function backend(prefix: string, behaviour: { fail?: boolean; hang?: boolean } = {}) {
  const cancelled: string[] = [];
  const append = (events: ReadonlyArray<{ event: AgentEvent }>): Promise<AppendOutcome[]> =>
    new Promise((resolve, reject) =>
      setImmediate(() => {
        if (behaviour.hang) return;
        if (behaviour.fail) reject(new StreamUnavailableError(`${prefix} down`));
        else
          resolve(
            events.map(({ event: e }, i) => ({
              event_id: e.event_id,
              stream_id: `${prefix}-${i}`,
              duplicate: false,
            })),
          );
      }),
    );
  const cancel = (events: ReadonlyArray<AgentEvent>) => {
    cancelled.push(...events.map((e) => e.event_id));
    return Promise.resolve();
  };
  return { append, cancel, ping: () => Promise.resolve(), close: () => undefined, cancelled };
}

function sink(
  ack: 'any' | 'all',
  redis: ReturnType<typeof backend>,
  kafka: ReturnType<typeof backend>,
) {
  return new HybridSink(redis as unknown as RedisStream, kafka as unknown as KafkaSink, ack);
}

describe(HybridSink.name, () => {
  const one = [{ event: event('e1'), dedupe: true }];

  it('any: answers with the first backend to confirm, without waiting for the other', async () => {
    // Redis never answers here: waiting for it would time the test out.
    const [outcome] = await sink('any', backend('r', { hang: true }), backend('k')).append(one);
    expect(outcome.stream_id).toBe('k-0');
  });

  it('any: accepts while one backend is down, refuses only when both are', async () => {
    await expect(
      sink('any', backend('r', { fail: true }), backend('k')).append(one),
    ).resolves.toEqual([{ event_id: 'e1', stream_id: 'k-0', duplicate: false }]);
    await expect(
      sink('any', backend('r', { fail: true }), backend('k', { fail: true })).append(one),
    ).rejects.toThrow(/neither backend stored the events \(Redis: r down; Kafka: k down\)/);
  });

  it('all: answers the Redis position when both stored the events', async () => {
    const [outcome] = await sink('all', backend('r'), backend('k')).append(one);
    expect(outcome.stream_id).toBe('r-0');
  });

  it('all: one backend down → refused, and the other copy is taken back with a tombstone', async () => {
    const redis = backend('r');
    const kafka = backend('k', { fail: true });
    await expect(sink('all', redis, kafka).append(one)).rejects.toBeInstanceOf(
      StreamUnavailableError,
    );
    expect(redis.cancelled).toEqual(['e1']);

    const redis2 = backend('r', { fail: true });
    const kafka2 = backend('k');
    await expect(sink('all', redis2, kafka2).append(one)).rejects.toThrow(
      /Redis did not store the events and AUREN_HYBRID_ACK=all/,
    );
    expect(kafka2.cancelled).toEqual(['e1']);
  });
});
