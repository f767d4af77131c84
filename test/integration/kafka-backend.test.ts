import { Kafka, logLevel } from 'kafkajs';
import type { AurenConfig } from '@auren/config';
import type { RecentEventsMessage } from '@auren/contracts';
import { postJson, RunningApp, startGateway, startIngest, testConfig } from '../harness/apps';
import { connectClient, ConnectedClient } from '../harness/clients';
import { testKafkaBrokers } from '../harness/kafka';
import { waitFor } from '../harness/wait';

let seq = 0;
const ev = (agent: string, over: Record<string, unknown> = {}) => ({
  event_id: `kafka-${Date.now()}-${seq++}`,
  event_type: 'llm_call',
  source_agent: { id: agent },
  performance_metrics: { input_tokens: 10, output_tokens: 5 },
  ...over,
});
const ids = (events: Array<{ event_id: string }>) => events.map((e) => e.event_id);

/** Reads every record of `topic` from the start with a throwaway consumer group. */
async function readTopic(
  brokers: string[],
  topic: string,
  count: number,
): Promise<
  Array<{ key: string; value: string; partition: number; offset: string; type?: string }>
> {
  const kafka = new Kafka({ clientId: 'test-reader', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `test-reader-${Date.now()}-${seq++}` });
  const records: Array<{
    key: string;
    value: string;
    partition: number;
    offset: string;
    type?: string;
  }> = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: ({ partition, message }) => {
      records.push({
        key: message.key?.toString() ?? '',
        value: message.value?.toString() ?? '',
        partition,
        offset: message.offset,
        type: message.headers?.event_type?.toString(),
      });
      return Promise.resolve();
    },
  });
  try {
    await waitFor(() => records.length >= count, { timeoutMs: 20_000, what: `${count} records` });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

describe('Kafka backend with a real broker', () => {
  const brokers = testKafkaBrokers();
  let config: AurenConfig;
  let ingest: RunningApp;
  const gateways: RunningApp[] = [];
  const clients: ConnectedClient[] = [];

  const publish = async (events: Array<Record<string, unknown>>) => {
    const reply = await postJson(`${ingest.url}/v1/events/batch`, { events });
    expect(reply.status).toBe(202);
    return reply.body.results as Array<{ event_id: string; stream_id: string; duplicate: boolean }>;
  };
  const gateway = async () => {
    const started = await startGateway(await testConfig(kafkaEnv));
    gateways.push(started);
    return started;
  };
  const connect = async (url: string, auth: Parameters<typeof connectClient>[1]) => {
    const client = await connectClient(url, auth);
    clients.push(client);
    return client;
  };

  let kafkaEnv: Record<string, string>;
  beforeAll(async () => {
    kafkaEnv = {
      AUREN_STREAM_BACKEND: 'kafka',
      KAFKA_BROKERS: brokers.join(','),
      AUREN_KAFKA_TOPIC: `test.kafka.${Date.now()}.${Math.random().toString(36).slice(2)}`,
      AUREN_KAFKA_PARTITIONS: '3',
    };
    config = await testConfig(kafkaEnv);
    ingest = await startIngest(config);
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });
  afterAll(async () => {
    for (const app of gateways) await app.close();
    await ingest?.close();
  });

  it('answers 202 with partition-offset positions and writes keyed records with an event_type header', async () => {
    const events = [ev('writer-a'), ev('writer-b', { event_type: 'tool_usage' }), ev('writer-a')];
    const results = await publish(events);
    for (const result of results) expect(result.stream_id).toMatch(/^\d+-\d+$/);
    // One agent, one partition: its events keep their order.
    const partitionOf = (i: number) => results[i].stream_id.split('-')[0];
    expect(partitionOf(0)).toBe(partitionOf(2));
    expect(Number(results[2].stream_id.split('-')[1])).toBeGreaterThan(
      Number(results[0].stream_id.split('-')[1]),
    );
    const records = await readTopic(brokers, config.stream.kafkaTopic, 3);
    const mine = records.filter((r) => events.some((e) => r.value.includes(e.event_id)));
    expect(mine.map((r) => r.key).sort()).toEqual(['writer-a', 'writer-a', 'writer-b']);
    expect(mine.find((r) => r.key === 'writer-b')?.type).toBe('tool_usage');
    const stored = JSON.parse(mine[0].value) as Record<string, unknown>;
    expect(stored).toHaveProperty('received_at');
    expect(stored).not.toHaveProperty('stream_id');
    // Same event_id again: accepted once.
    const again = await publish([events[0]]);
    expect(again[0]).toEqual({
      event_id: events[0].event_id,
      stream_id: results[0].stream_id,
      duplicate: true,
    });
  });

  it('takes an event of almost 1 MiB (the topic is created to hold it) and many small ones at once', async () => {
    const big = ev('big-a', { payload: { blob: 'x'.repeat(1024 * 1024 - 300) } });
    const reply = await postJson(`${ingest.url}/v1/events`, big);
    expect(reply.status).toBe(202);
    // Concurrent single posts share produce requests; each still gets its own position.
    const small = Array.from({ length: 50 }, () => ev('small-a'));
    const answers = await Promise.all(small.map((e) => postJson(`${ingest.url}/v1/events`, e)));
    expect(answers.map((a) => a.status)).toEqual(small.map(() => 202));
    const positions = answers.map((a) => a.body.stream_id as string);
    expect(new Set(positions).size).toBe(small.length);
  });

  it('delivers through two gateways to filtered clients on both, each exactly its events in order', async () => {
    const [one, two] = [await gateway(), await gateway()];
    const a1 = await connect(one.url, { token: 'test', agent_filter: ['fan-a'] });
    const b2 = await connect(two.url, { token: 'test', agent_filter: ['fan-b'] });
    const all2 = await connect(two.url, { token: 'test' });
    const events = Array.from({ length: 30 }, (_, i) => ev(i % 3 === 0 ? 'fan-b' : 'fan-a'));
    await publish(events);
    const wantA = ids(events.filter((e) => e.source_agent.id === 'fan-a'));
    const wantB = ids(events.filter((e) => e.source_agent.id === 'fan-b'));
    expect(ids(await a1.waitForEvents(wantA.length))).toEqual(wantA);
    expect(ids(await b2.waitForEvents(wantB.length))).toEqual(wantB);
    const seen = await all2.waitForEvents(events.length);
    expect(ids(seen).sort()).toEqual(ids(events).sort());
    for (const event of seen) {
      expect(event.stream_id).toMatch(/^\d+-\d+$/);
      expect(event.resume_token).toMatch(/^k:\d+(,\d+){2}$/);
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(a1.events).toHaveLength(wantA.length);
  });

  it('resumes a client on another pod, and on a pod started later, from its resume_token', async () => {
    const [one, two] = [await gateway(), await gateway()];
    const first = await connect(one.url, { token: 'test', agent_filter: ['resume-a'] });
    expect(first.established.position).toMatch(/^k:\d+,\d+,\d+$/);
    const before = [ev('resume-a'), ev('resume-b'), ev('resume-a')];
    await publish(before);
    const got = await first.waitForEvents(2);
    const token = got[1].resume_token as string;
    first.close();
    const missed = [ev('resume-a'), ev('resume-b'), ev('resume-a'), ev('resume-a')];
    await publish(missed);
    const wanted = ids(missed.filter((e) => e.source_agent.id === 'resume-a'));

    const onTwo = await connect(two.url, {
      token: 'test',
      agent_filter: ['resume-a'],
      resume_from: token,
    });
    // Replayed, or live if this pod had not read them yet: either way each once, in order.
    expect(onTwo.established.resume).toMatchObject({ recovered: true });
    expect(ids(await onTwo.waitForEvents(wanted.length))).toEqual(wanted);

    // A pod started now loads recent history from the topic and can serve the same resume.
    const three = await gateway();
    const onThree = await connect(three.url, {
      token: 'test',
      agent_filter: ['resume-a'],
      resume_from: token,
    });
    expect(onThree.established.resume).toMatchObject({ recovered: true, replayed: wanted.length });
    expect(ids(onThree.events)).toEqual(wanted);
    const live = ev('resume-a');
    await publish([live]);
    expect(ids(await onThree.waitForEvents(wanted.length + 1))).toEqual([...wanted, live.event_id]);
    // The first resumed client too: nothing twice before the live event.
    await waitFor(() => onTwo.events.some((e) => e.event_id === live.event_id), {
      what: 'the live event on the second pod',
    });
    expect(ids(onTwo.events)).toEqual([...wanted, live.event_id]);

    // get_recent reads the same history.
    const recent = (await onThree.socket
      .timeout(5000)
      .emitWithAck('get_recent', { limit: 3 })) as RecentEventsMessage;
    expect(ids(recent.events)).toEqual([...wanted.slice(-2), live.event_id]);

    // A Redis position means nothing here: not recovered, no replay.
    const wrong = await connect(three.url, { token: 'test', resume_from: '1732441800000-0' });
    expect(wrong.established.resume).toMatchObject({ recovered: false, replayed: 0 });
  });

  it('skips a record that is not an event, with a log line and a metric, and keeps delivering', async () => {
    const one = await gateway();
    const client = await connect(one.url, { token: 'test', agent_filter: ['poison-a'] });
    const kafka = new Kafka({ clientId: 'test-poison', brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: config.stream.kafkaTopic,
      messages: [
        { key: 'poison-a', value: '{not json' },
        { key: 'poison-a', value: JSON.stringify({ hello: 'world' }) },
      ],
    });
    await producer.disconnect();
    const after = ev('poison-a');
    await publish([after]);
    const [event] = await client.waitForEvents(1);
    expect(event.event_id).toBe(after.event_id);
    const metrics = await (await fetch(`${one.url}/metrics`)).text();
    expect(metrics).toMatch(/auren_gateway_stream_poison_total\s+2/);
  });
});
