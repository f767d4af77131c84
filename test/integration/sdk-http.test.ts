import Redis from 'ioredis';
import { RunningApp, startIngest, testConfig } from '../harness/apps';
import { closeSdkClients, sdkClient, storedEvents } from '../harness/sdk';
import { freePort } from '../harness/ports';
import { RedisServer } from '../harness/redis';
import { waitFor } from '../harness/wait';

const stored = storedEvents;
/** A client with short timers and every problem collected, closed after each test. */
const client = sdkClient;
afterEach(closeSdkClients);

describe('SDK over HTTP against a real ingest and Redis', () => {
  let ingest: RunningApp;
  let redis: Redis;
  let key: string;

  beforeAll(async () => {
    const config = await testConfig();
    ingest = await startIngest(config);
    redis = new Redis(process.env.AUREN_TEST_REDIS_URL as string);
    key = config.stream.key;
  });
  afterAll(async () => {
    await ingest.close();
    redis.disconnect();
  });
  beforeEach(() => redis.del(key));

  it('every track* call lands in the stream with the contract shape', async () => {
    const { sut, errors } = client(ingest.url, { userId: 'alice' });
    const agent = { id: 'neuroscientist', role: 'Neuroscientist', goal: 'Explain HRV' };
    const run = sut.trackAgentStart(agent, { task: 'analyse sleep' });
    const ids = [
      run.eventId,
      sut.trackLlmCall(agent, {
        model: 'gpt-4o',
        inputTokens: 1200,
        outputTokens: 300,
        cost: 0.012,
        latencyMs: 840,
      }).eventId,
      sut.trackToolUsage(agent, { tool: 'hrv_reader', input: { days: 7 }, latencyMs: 45 }).eventId,
      sut.trackCollaboration(agent, {
        collaboratingAgents: ['training_coach'],
        consensusReached: false,
        confidence: 0.6,
      }).eventId,
      sut.trackDecision(agent, {
        decision: 'reduce load',
        reasoning: 'HRV down 12 %',
        confidence: 0.86,
      }).eventId,
      sut.trackMemoryAccess(agent, {
        tier: 'chromadb',
        operation: 'query',
        hit: false,
        latencyMs: 30,
      }).eventId,
      sut.trackHypothesis(agent, { statement: 'late meals lower HRV', confidence: 0.55 }).eventId,
      sut.trackKnowledgeAccess(agent, {
        source: 'knowledge_graph',
        query: 'hrv sleep',
        resultsCount: 3,
      }).eventId,
      sut.send({
        event_type: 'custom.checkpoint',
        source_agent: { id: 'neuroscientist' },
        payload: { step: 9 },
      }).eventId,
      sut.trackAgentComplete(agent, { result: 'report' }).eventId,
    ];
    const stats = await sut.flush();
    expect(errors).toEqual([]);
    expect(stats).toMatchObject({ sent: 10, dropped: 0, rejected: 0, buffered: 0 });

    const events = await stored(redis, key);
    expect(events.map((e) => e.event_id)).toEqual(ids);
    expect(events.map((e) => e.event_type)).toEqual([
      'agent_execution_started',
      'llm_call',
      'tool_usage',
      'agent_collaboration',
      'agent_decision',
      'memory_tier_access',
      'hypothesis_formation',
      'knowledge_access',
      'custom.checkpoint',
      'agent_execution_completed',
    ]);
    for (const e of events) {
      expect(e.received_at).toEqual(expect.any(String));
      expect(e.source_agent.id).toBe('neuroscientist');
      expect(e.user_id).toBe('alice');
    }
    const inRun = events.filter((e) => e.event_type !== 'custom.checkpoint');
    for (const e of inRun)
      expect(e).toMatchObject({ session_id: run.sessionId, trace_id: run.traceId });
    expect(events[0].source_agent).toEqual(agent);
    expect(events[1].performance_metrics).toEqual({
      model: 'gpt-4o',
      input_tokens: 1200,
      output_tokens: 300,
      tokens_used: 1500,
      token_cost: 0.012,
      latency_ms: 840,
      success: true,
    });
    expect(events[3].payload).toEqual({
      primary_agent: 'neuroscientist',
      collaborating_agents: ['training_coach'],
      consensus_reached: false,
    });
    expect(events[3].target_agent).toEqual({ id: 'training_coach' });
    expect(events[5].payload).toEqual({ tier: 'chromadb', operation: 'query', hit: false });
    expect(events[8].payload).toEqual({ step: 9 });
    expect(events[9].performance_metrics).toMatchObject({
      success: true,
      latency_ms: expect.any(Number),
    });
  });

  it('batches: 250 events travel in 3 requests', async () => {
    const { sut } = client(ingest.url, { batchSize: 100, flushIntervalMs: 60_000 });
    for (let i = 0; i < 250; i += 1) sut.trackDecision(`agent-${i % 5}`, { decision: `d${i}` });
    const stats = await sut.flush();
    expect(stats).toMatchObject({ sent: 250, requests: 3 });
    const events = await stored(redis, key);
    expect(events.map((e) => e.payload.decision)).toEqual(
      Array.from({ length: 250 }, (_, i) => `d${i}`),
    );
    // The ingest stamps one received_at per request: at most 3 distinct values.
    expect(new Set(events.map((e) => e.received_at)).size).toBeLessThanOrEqual(3);
  });

  it('sends a partial batch after flushIntervalMs without a flush()', async () => {
    const { sut } = client(ingest.url, { batchSize: 100, flushIntervalMs: 100 });
    const { eventId } = sut.trackDecision('solo', { decision: 'wait' });
    const events = await waitFor(
      async () => {
        const all = await stored(redis, key);
        return all.length > 0 && all;
      },
      { what: 'the event to be sent by the interval' },
    );
    expect(events.map((e) => e.event_id)).toEqual([eventId]);
  });

  it('a retried event_id is stored once (idempotent resend)', async () => {
    const { sut } = client(ingest.url);
    sut.trackDecision('a', { decision: 'x', eventId: 'sdk-idem-1' });
    await sut.flush();
    sut.trackDecision('a', { decision: 'x', eventId: 'sdk-idem-1' });
    const stats = await sut.flush();
    expect(stats).toMatchObject({ sent: 2, duplicates: 1 });
    expect((await stored(redis, key)).map((e) => e.event_id)).toEqual(['sdk-idem-1']);
  });

  it('a 400 is not retried: the bad event is reported, the good ones of its batch still land', async () => {
    const { sut, errors, retries } = client(ingest.url, { flushIntervalMs: 60_000 });
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 40; i += 1) deep = { deeper: deep };
    const good1 = sut.trackDecision('a', { decision: 'ok-1' });
    const bad = sut.trackDecision('a', { decision: 'too deep', payload: deep });
    const good2 = sut.trackDecision('a', { decision: 'ok-2' });
    const stats = await sut.flush();
    expect(retries).toEqual([]);
    expect(errors).toEqual([
      expect.objectContaining({
        kind: 'rejected',
        reason: 'http_400',
        status: 400,
        eventIds: [bad.eventId],
        details: [expect.objectContaining({ index: 0, field: 'events[1].payload' })],
      }),
    ]);
    expect(stats).toMatchObject({ sent: 2, rejected: 1, retried: 0 });
    expect((await stored(redis, key)).map((e) => e.event_id)).toEqual([
      good1.eventId,
      good2.eventId,
    ]);
  });

  it('close() sends what is buffered, then drops and reports later events', async () => {
    const { sut, errors } = client(ingest.url, { flushIntervalMs: 60_000 });
    for (let i = 0; i < 7; i += 1) sut.trackToolUsage('a', { tool: `t${i}` });
    const stats = await sut.close();
    expect(stats).toMatchObject({ sent: 7, buffered: 0, dropped: 0 });
    expect(await redis.xlen(key)).toBe(7);
    const late = sut.trackToolUsage('a', { tool: 'late' });
    expect(sut.stats().dropped).toBe(1);
    expect(errors).toEqual([
      expect.objectContaining({ kind: 'dropped', reason: 'closed', eventIds: [late.eventId] }),
    ]);
    expect(await redis.xlen(key)).toBe(7);
  });
});

describe('SDK with an ingest that is not there', () => {
  it('track* returns at once, the bounded buffer drops the oldest, retries continue, and the rest lands once ingest starts', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const { sut, errors, retries } = client(url, {
      batchSize: 10,
      maxBufferSize: 50,
      maxRetries: Infinity,
      retryBaseMs: 20,
      retryMaxMs: 100,
    });
    const durations: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 200; i += 1) {
      const t0 = performance.now();
      const result = sut.trackLlmCall('offline-agent', { model: 'm', inputTokens: i });
      durations.push(performance.now() - t0);
      expect(typeof (result as unknown as { then?: unknown }).then).toBe('undefined');
      ids.push(result.eventId);
    }
    // All 200 calls completed before the event loop turned once: nothing waited for the network.
    expect(sut.stats()).toMatchObject({ buffered: 50, dropped: 150, requests: 0, sent: 0 });
    durations.sort((a, b) => a - b);
    const p50 = durations[100];
    const max = durations[199];
    console.log(
      `SDK track* with a dead ingest: p50 ${p50.toFixed(4)} ms, max ${max.toFixed(3)} ms per call (200 calls)`,
    );

    await waitFor(() => retries.length >= 3, { what: 'three retries against the closed port' });
    expect(retries[0]).toMatchObject({ attempt: 1, reason: 'network', events: 10 });
    expect(retries.every((r) => r.delayMs <= 100)).toBe(true);
    // A track* call during the retry storm still returns without waiting.
    const t0 = performance.now();
    sut.trackDecision('offline-agent', { decision: 'still here' });
    const during = performance.now() - t0;
    expect(during).toBeLessThan(250); // generous (GC, a loaded CI box): the call touches memory only
    expect(sut.stats()).toMatchObject({ buffered: 50, dropped: 151 });

    // Drop-oldest: the oldest *waiting* event goes; the batch in flight (ids 150..159) stays.
    const dropped = await waitFor(
      () => {
        const reported = errors
          .filter((e) => e.reason === 'buffer_full')
          .flatMap((e) => e.eventIds);
        return reported.length === 151 && reported;
      },
      { what: '151 buffer_full reports' },
    );
    expect(dropped).toEqual([...ids.slice(0, 150), ids[160]]);

    // Ingest comes up on that port: the 50 buffered events arrive, in order, once each.
    const config = await testConfig({ INGEST_PORT: String(port) });
    const ingest = await startIngest(config);
    const redis = new Redis(process.env.AUREN_TEST_REDIS_URL as string);
    try {
      await waitFor(() => sut.stats().sent === 50, { timeoutMs: 15_000, what: '50 events sent' });
      const events = await stored(redis, config.stream.key);
      expect(events.slice(0, 49).map((e) => e.event_id)).toEqual([
        ...ids.slice(150, 160),
        ...ids.slice(161),
      ]);
      expect(events[49].payload).toEqual({ decision: 'still here' });
      expect(sut.stats()).toMatchObject({ buffered: 0, dropped: 151, rejected: 0 });
    } finally {
      redis.disconnect();
      await sut.close({ timeoutMs: 1000 });
      await ingest.close();
    }
  });

  it('gives up after maxRetries and reports the events as dropped', async () => {
    const { sut, errors } = client(`http://127.0.0.1:${await freePort()}`, {
      maxRetries: 2,
      retryBaseMs: 10,
      retryMaxMs: 20,
    });
    const { eventId } = sut.trackDecision('a', { decision: 'x' });
    const stats = await sut.flush();
    expect(stats).toMatchObject({ sent: 0, dropped: 1, retried: 2, requests: 3, buffered: 0 });
    expect(errors).toEqual([
      expect.objectContaining({
        kind: 'dropped',
        reason: 'retries_exhausted',
        eventIds: [eventId],
      }),
    ]);
    expect(errors[0].message).toContain('cannot reach');
  });

  it('close() against a dead ingest gives up after its timeout, counting what it dropped', async () => {
    const { sut } = client(`http://127.0.0.1:${await freePort()}`, {
      maxRetries: Infinity,
      retryBaseMs: 50,
      retryMaxMs: 50,
    });
    for (let i = 0; i < 5; i += 1) sut.trackDecision('a', { decision: `${i}` });
    const stats = await sut.close({ timeoutMs: 300 });
    expect(stats).toMatchObject({ sent: 0, dropped: 5, buffered: 0 });
    expect(stats.retried).toBeGreaterThan(0);
  });
});

describe('SDK and a 503 with Retry-After (ingest up, its Redis down)', () => {
  it('waits the Retry-After the ingest asked for, then delivers each event once', async () => {
    const server = await RedisServer.start();
    const config = await testConfig({ REDIS_URL: server.url, AUREN_RETRY_AFTER_SECONDS: '2' });
    const ingest = await startIngest(config);
    const redis = new Redis(server.url, { lazyConnect: true });
    redis.on('error', () => undefined);
    try {
      await server.stop('SIGKILL');
      const { sut, errors, retries } = client(ingest.url, {
        maxRetries: Infinity,
        retryBaseMs: 10,
        retryMaxMs: 10_000,
      });
      const ids = [1, 2, 3].map((i) => sut.trackDecision('a', { decision: `d${i}` }).eventId);
      const flushed = sut.flush();
      await waitFor(() => retries.length >= 2, { timeoutMs: 20_000, what: 'two retries' });
      expect(retries[0]).toMatchObject({
        attempt: 1,
        reason: 'http_503',
        status: 503,
        retryAfterMs: 2000,
        delayMs: 2000,
      });
      // Without Retry-After the backoff would have retried within ~10 ms.
      expect(retries[1].at - retries[0].at).toBeGreaterThanOrEqual(1900);

      await server.launch();
      await flushed;
      expect(errors).toEqual([]);
      expect(sut.stats()).toMatchObject({ sent: 3, dropped: 0, buffered: 0 });
      expect(sut.stats().retried).toBeGreaterThanOrEqual(6);
      await redis.connect();
      expect((await stored(redis, config.stream.key)).map((e) => e.event_id)).toEqual(ids);
    } finally {
      redis.disconnect();
      await ingest.close();
      await server.dispose();
    }
  });
});
