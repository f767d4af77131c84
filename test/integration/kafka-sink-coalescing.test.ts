import type { Producer } from 'kafkajs';
import type { AgentEvent } from '@auren/contracts';
import { KafkaSink } from '@auren/streaming';
import { testKafkaBrokers } from '../harness/kafka';

/**
 * The Kafka sink's group commit against a real broker: appends arriving while a produce request
 * waits for its acknowledgement go out together as the next request, and each caller still gets
 * its own position, in order per agent.
 */
describe('KafkaSink group commit', () => {
  const topic = `test.sink.coalesce.${Date.now()}.${Math.random().toString(36).slice(2)}`;
  let sink: KafkaSink;
  let produceRequests = 0;
  let seq = 0;

  const event = (agent: string): AgentEvent => ({
    event_id: `coalesce-${Date.now()}-${seq++}`,
    event_type: 'tool_usage',
    timestamp: new Date().toISOString(),
    received_at: new Date().toISOString(),
    source_agent: { id: agent },
    payload: { n: seq },
    metadata: {},
  });

  beforeAll(async () => {
    sink = new KafkaSink({
      brokers: testKafkaBrokers(),
      topic,
      partitions: 3,
      dedupeCapacity: 1000,
      dedupeWindowMs: 60_000,
    });
    // The sink's own kafkajs producer: its instrumentation counts the produce requests on the wire.
    const producer = (sink as unknown as { producer: Producer }).producer;
    producer.on(producer.events.REQUEST, ({ payload }) => {
      if (payload.apiName === 'Produce') produceRequests += 1;
    });
    await sink.append([{ event: event('warm-up'), dedupe: true }]);
  });
  afterAll(async () => {
    await sink?.close();
  });

  it('sends appends of separate event-loop turns that meet a request in flight as one request, each with its own position', async () => {
    const agents = ['agent-a', 'agent-b', 'agent-c'];
    const appends = 300;
    const before = produceRequests;
    const pending: Array<Promise<Array<{ stream_id: string }>>> = [];
    for (let i = 0; i < appends; i += 1) {
      // Each append in a turn of its own: without group commit each would be a produce request.
      await new Promise((resolve) => setImmediate(resolve));
      pending.push(sink.append([{ event: event(agents[i % agents.length]), dedupe: true }]));
    }
    const positions = (await Promise.all(pending)).map(([outcome]) => outcome.stream_id);
    const requests = produceRequests - before;

    expect(new Set(positions).size).toBe(appends);
    expect(requests).toBeGreaterThan(0);
    expect(requests).toBeLessThanOrEqual(appends / 2);
    // One agent's events share a partition and keep the order they were appended in.
    for (const agent of agents) {
      const mine = positions.filter((_, i) => agents[i % agents.length] === agent);
      const partitions = new Set(mine.map((p) => p.split('-')[0]));
      expect(partitions.size).toBe(1);
      const offsets = mine.map((p) => Number(p.split('-')[1]));
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    }
  });
});
