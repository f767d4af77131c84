import Redis from 'ioredis';
import { grpcIngestPort } from '../../apps/ingest/src/grpc/grpc-ingest.server';
import { RunningApp, startIngest, testConfig } from '../harness/apps';
import { closeSdkClients, sdkClient, storedEvents } from '../harness/sdk';
import { freePort } from '../harness/ports';
import { RedisServer } from '../harness/redis';
import { waitFor } from '../harness/wait';

const stored = storedEvents;
const grpcClient = (url: string, over: Parameters<typeof sdkClient>[1] = {}) =>
  sdkClient(url, { transport: 'grpc', ...over });
afterEach(closeSdkClients);

describe('SDK over gRPC (auren.events.v1.EventIngest/PublishBatch) against a real ingest', () => {
  let ingest: RunningApp;
  let redis: Redis;
  let key: string;
  let target: string;

  beforeAll(async () => {
    const config = await testConfig();
    ingest = await startIngest(config);
    target = `127.0.0.1:${grpcIngestPort(ingest.app)}`;
    redis = new Redis(process.env.AUREN_TEST_REDIS_URL as string);
    key = config.stream.key;
  });
  afterAll(async () => {
    await ingest.close();
    redis.disconnect();
  });
  beforeEach(() => redis.del(key));

  it('every track* call lands in the stream exactly as over HTTP', async () => {
    const { sut, errors } = grpcClient(`grpc://${target}`);
    const agent = { id: 'training_coach', role: 'Training Coach', backstory: 'ex-athlete' };
    const run = sut.trackAgentStart(agent, {
      task: 'plan week',
      metadata: { build: 7, tags: ['a', 'b'] },
    });
    const ids = [
      run.eventId,
      sut.trackLlmCall(agent, {
        model: 'claude',
        inputTokens: 10,
        outputTokens: 5,
        cost: 0.001,
        latencyMs: 12.5,
      }).eventId,
      sut.trackToolUsage(agent, {
        tool: 'calendar',
        input: { week: 3, nested: { ok: true, none: null } },
      }).eventId,
      sut.trackCollaboration(agent, {
        collaboratingAgents: ['nutritionist', 'sleep_analyst'],
        consensusReached: true,
      }).eventId,
      sut.trackDecision(agent, { decision: 'deload', confidence: 0.75 }).eventId,
      sut.trackMemoryAccess(agent, { tier: 'postgresql', operation: 'write', hit: true }).eventId,
      sut.trackHypothesis(agent, { statement: 's', evidence: [1, 'two'] }).eventId,
      sut.trackKnowledgeAccess(agent, { source: 'library', resultsCount: 0 }).eventId,
      sut.trackAgentComplete(agent, { error: new RangeError('over budget') }).eventId,
    ];
    const stats = await sut.flush();
    expect(errors).toEqual([]);
    expect(stats).toMatchObject({ sent: 9, requests: 1 });
    const events = await stored(redis, key);
    expect(events.map((e) => e.event_id)).toEqual(ids);
    expect(events[0]).toMatchObject({
      source_agent: agent,
      session_id: run.sessionId,
      trace_id: run.traceId,
      payload: { task: 'plan week' },
      metadata: { build: 7, tags: ['a', 'b'] },
    });
    expect(events[1].performance_metrics).toEqual({
      model: 'claude',
      input_tokens: 10,
      output_tokens: 5,
      tokens_used: 15,
      token_cost: 0.001,
      latency_ms: 12.5,
      success: true,
    });
    expect(events[2].payload).toEqual({
      tool_name: 'calendar',
      tool_input: { week: 3, nested: { ok: true, none: null } },
      success: true,
    });
    expect(events[3].payload).toEqual({
      primary_agent: 'training_coach',
      collaborating_agents: ['nutritionist', 'sleep_analyst'],
      consensus_reached: true,
    });
    expect(events[5].payload).toEqual({ tier: 'postgresql', operation: 'write', hit: true });
    expect(events[8]).toMatchObject({
      payload: { error: 'over budget' },
      performance_metrics: { success: false, error_type: 'RangeError' },
    });
  });

  it('INVALID_ARGUMENT: the named event is reported, the rest of its batch lands', async () => {
    const { sut, errors, retries } = grpcClient(target, { flushIntervalMs: 60_000 });
    const good = sut.trackDecision('a', { decision: 'fine' });
    const bad = sut.trackDecision('a', { decision: 'bad', confidence: 7 });
    await sut.flush();
    expect(retries).toEqual([]);
    expect(errors).toEqual([
      expect.objectContaining({
        kind: 'rejected',
        reason: 'grpc_invalid_argument',
        status: 400,
        eventIds: [bad.eventId],
      }),
    ]);
    expect(errors[0].message).toContain('confidence_score');
    expect((await stored(redis, key)).map((e) => e.event_id)).toEqual([good.eventId]);
  });
});

describe('SDK over gRPC when things are down', () => {
  it('a closed port: retries UNAVAILABLE without blocking the caller, delivers once ingest is there', async () => {
    const config = await testConfig({ GRPC_PORT: String(await freePort()) });
    const { sut, retries } = grpcClient(`127.0.0.1:${config.grpcPort}`, {
      maxRetries: Infinity,
      retryBaseMs: 20,
      retryMaxMs: 100,
    });
    const id = sut.trackDecision('a', { decision: 'queued' }).eventId;
    expect(sut.stats()).toMatchObject({ buffered: 1, requests: 0 });
    await waitFor(() => retries.length >= 2, { what: 'two retries' });
    expect(retries[0].reason).toBe('grpc_unavailable');
    const ingest = await startIngest(config);
    const redis = new Redis(process.env.AUREN_TEST_REDIS_URL as string);
    try {
      await waitFor(() => sut.stats().sent === 1, { timeoutMs: 15_000, what: 'the event sent' });
      expect((await stored(redis, config.stream.key)).map((e) => e.event_id)).toEqual([id]);
    } finally {
      redis.disconnect();
      await sut.close({ timeoutMs: 1000 });
      await ingest.close();
    }
  });

  it('UNAVAILABLE with retry-after (Redis down): waits as asked, then delivers once', async () => {
    const server = await RedisServer.start();
    const config = await testConfig({ REDIS_URL: server.url, AUREN_RETRY_AFTER_SECONDS: '2' });
    const ingest = await startIngest(config);
    const redis = new Redis(server.url, { lazyConnect: true });
    redis.on('error', () => undefined);
    try {
      await server.stop('SIGKILL');
      const { sut, errors, retries } = grpcClient(`127.0.0.1:${grpcIngestPort(ingest.app)}`, {
        maxRetries: Infinity,
        retryBaseMs: 10,
        retryMaxMs: 10_000,
      });
      const ids = [1, 2].map((i) => sut.trackDecision('a', { decision: `d${i}` }).eventId);
      const flushed = sut.flush();
      await waitFor(() => retries.length >= 2, { timeoutMs: 20_000, what: 'two retries' });
      expect(retries[0]).toMatchObject({
        reason: 'grpc_unavailable',
        status: 503,
        retryAfterMs: 2000,
        delayMs: 2000,
      });
      expect(retries[1].at - retries[0].at).toBeGreaterThanOrEqual(1900);
      await server.launch();
      await flushed;
      expect(errors).toEqual([]);
      await redis.connect();
      expect((await stored(redis, config.stream.key)).map((e) => e.event_id)).toEqual(ids);
    } finally {
      redis.disconnect();
      await ingest.close();
      await server.dispose();
    }
  });
});
