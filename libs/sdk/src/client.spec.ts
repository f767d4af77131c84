import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KNOWN_EVENT_TYPES, parseEvent } from '@auren/contracts';
import { AurenClient } from './client';
import { EVENT_TYPES } from './event-types';
import type { SendOutcome, Transport } from './transport';
import type { AurenError, AurenEvent } from './types';
import { SDK_VERSION } from './version';

/** Records what the client sends and acknowledges everything. */
class RecordingTransport implements Transport {
  readonly events: AurenEvent[] = [];
  send(events: readonly AurenEvent[]): Promise<SendOutcome> {
    this.events.push(...events.map((e) => structuredClone(e)));
    return Promise.resolve({
      kind: 'ok',
      results: events.map((e) => ({ event_id: e.event_id, stream_id: '1-0', duplicate: false })),
    });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function make(over: ConstructorParameters<typeof AurenClient>[0] = {}) {
  const transport = new RecordingTransport();
  const errors: AurenError[] = [];
  const sut = new AurenClient({
    transport,
    exitFlushTimeoutMs: 0,
    onError: (e) => errors.push(e),
    ...over,
  });
  return { sut, transport, errors };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe(AurenClient.name, () => {
  it('knows the same event types as the ingest', () => {
    expect([...EVENT_TYPES]).toEqual([...KNOWN_EVENT_TYPES]);
  });

  it('reports the version of its package.json', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(SDK_VERSION).toBe(pkg.version);
  });

  it('builds contract-valid events for every track* call, carrying the run ids', async () => {
    const { sut, transport, errors } = make({ userId: 'alice', defaultMetadata: { app: 'demo' } });
    const start = sut.trackAgentStart({ id: 'coach', role: 'Training Coach' }, { task: 'plan' });
    sut.trackLlmCall('coach', {
      model: 'gpt-4o',
      inputTokens: 100,
      outputTokens: 50,
      cost: 0.01,
      latencyMs: 900,
    });
    sut.trackToolUsage('coach', { tool: 'calendar', input: { week: 3 }, latencyMs: 12 });
    sut.trackCollaboration('coach', {
      collaboratingAgents: ['nutritionist', { id: 'sleep', role: 'Sleep' }],
      consensusReached: true,
      confidence: 0.8,
    });
    sut.trackDecision('coach', { decision: 'rest day', options: ['run', 'rest'], confidence: 0.9 });
    sut.trackMemoryAccess('coach', { tier: 'redis', operation: 'read', hit: true, latencyMs: 1 });
    sut.trackHypothesis('coach', { statement: 'sleep drives recovery', confidence: 0.7 });
    sut.trackKnowledgeAccess('coach', { source: 'graph', query: 'hrv', resultsCount: 4 });
    sut.trackAgentComplete('coach', { result: 'done' });
    await sut.flush();
    expect(errors).toEqual([]);

    const events = transport.events;
    expect(events.map((e) => e.event_type)).toEqual([
      'agent_execution_started',
      'llm_call',
      'tool_usage',
      'agent_collaboration',
      'agent_decision',
      'memory_tier_access',
      'hypothesis_formation',
      'knowledge_access',
      'agent_execution_completed',
    ]);
    // Every event passes the ingest's own validation.
    for (const e of events) expect(parseEvent(e)).toMatchObject({ ok: true });
    expect(start.sessionId).toMatch(UUID);
    expect(start.eventId).toBe(events[0].event_id);
    for (const e of events) {
      expect(e.event_id).toMatch(UUID);
      expect(e).toMatchObject({
        session_id: start.sessionId,
        trace_id: start.traceId,
        user_id: 'alice',
      });
      expect(e.metadata).toEqual({ app: 'demo' });
    }
    for (const e of events.slice(1)) expect(e.parent_event_id).toBe(start.eventId);
    expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);

    const [started, llm, tool, collab, decision, memory, hypothesis, knowledge, completed] = events;
    expect(started.source_agent).toEqual({ id: 'coach', role: 'Training Coach' });
    expect(started.payload).toEqual({ task: 'plan' });
    expect(llm.performance_metrics).toEqual({
      model: 'gpt-4o',
      input_tokens: 100,
      output_tokens: 50,
      tokens_used: 150,
      token_cost: 0.01,
      latency_ms: 900,
      success: true,
    });
    expect(tool.payload).toEqual({ tool_name: 'calendar', tool_input: { week: 3 }, success: true });
    expect(collab.payload).toEqual({
      primary_agent: 'coach',
      collaborating_agents: ['nutritionist', 'sleep'],
      consensus_reached: true,
    });
    expect(collab.target_agent).toEqual({ id: 'nutritionist' });
    expect(collab.performance_metrics).toEqual({ success: true, confidence_score: 0.8 });
    expect(decision.performance_metrics).toEqual({ confidence_score: 0.9 });
    expect(memory.payload).toEqual({ tier: 'redis', operation: 'read', hit: true });
    expect(hypothesis.payload).toEqual({ statement: 'sleep drives recovery' });
    expect(knowledge.payload).toEqual({ source: 'graph', query: 'hrv', results_count: 4 });
    expect(completed.performance_metrics?.success).toBe(true);
    expect(completed.performance_metrics?.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it('measures latency from the start and records the error of a failed run', async () => {
    const { sut, transport } = make();
    const run = sut.trackAgentStart('a');
    sut.trackAgentStart('a', { sessionId: 'second-run' });
    const done = sut.trackAgentComplete('a', {
      sessionId: run.sessionId,
      error: new TypeError('boom'),
    });
    // The run is closed: a later event of that agent no longer inherits the first run's ids.
    sut.trackAgentComplete('a');
    const after = sut.trackDecision('a', { decision: 'x' });
    await sut.flush();
    const completed = transport.events.find((e) => e.event_id === done.eventId) as AurenEvent;
    expect(completed.session_id).toBe(run.sessionId);
    expect(completed.payload).toEqual({ error: 'boom' });
    expect(completed.performance_metrics).toMatchObject({
      success: false,
      error_type: 'TypeError',
    });
    expect(typeof completed.performance_metrics?.latency_ms).toBe('number');
    expect(after.sessionId).toBeUndefined();
  });

  it('lets explicit ids and fields win, and keeps extra payload fields', async () => {
    const { sut, transport } = make();
    sut.trackAgentStart('a');
    sut.trackLlmCall('a', {
      model: 'm',
      sessionId: 's',
      traceId: 't',
      parentEventId: 'p',
      eventId: 'my-id',
      timestamp: new Date('2025-01-02T03:04:05Z'),
      targetAgent: null,
      payload: { purpose: 'plan', model: 'ignored' },
      metrics: { latency_ms: 5 },
    });
    await sut.flush();
    expect(transport.events[1]).toMatchObject({
      event_id: 'my-id',
      session_id: 's',
      trace_id: 't',
      parent_event_id: 'p',
      timestamp: '2025-01-02T03:04:05.000Z',
      target_agent: null,
      payload: { purpose: 'plan', model: 'm' },
      performance_metrics: { latency_ms: 5, model: 'm', success: true },
    });
  });

  it('send() fills in event_id and timestamp; bad events are reported, never thrown', async () => {
    const { sut, transport, errors } = make();
    const good = sut.send({ event_type: 'custom.deploy', source_agent: { id: 'ops' } });
    expect(() =>
      sut.send({ event_type: 'nope' as 'llm_call', source_agent: { id: 'ops' } }),
    ).not.toThrow();
    expect(() => sut.trackDecision('', { decision: 'x' })).not.toThrow();
    expect(() =>
      sut.trackDecision(undefined as unknown as string, { decision: 'x' }),
    ).not.toThrow();
    await sut.flush();
    expect(transport.events).toEqual([
      expect.objectContaining({
        event_id: good.eventId,
        event_type: 'custom.deploy',
        payload: {},
        metadata: {},
      }),
    ]);
    expect(Date.parse(transport.events[0].timestamp)).not.toBeNaN();
    expect(errors.map((e) => [e.kind, e.reason])).toEqual([
      ['rejected', 'invalid_event'],
      ['rejected', 'invalid_event'],
      ['rejected', 'invalid_event'],
    ]);
    expect(errors[0].message).toContain('event_type');
    expect(errors[1].message).toContain('source_agent.id');
    expect(sut.stats()).toMatchObject({ sent: 1, rejected: 3 });
  });

  it('refuses bad options with a message naming the option', () => {
    expect(() => new AurenClient({ batchSize: 0 })).toThrow(
      'batchSize must be an integer in 1..1000',
    );
    expect(() => new AurenClient({ batchSize: 1001 })).toThrow('batchSize');
    expect(() => new AurenClient({ url: 'localhost:3000' })).toThrow('http://');
    expect(() => new AurenClient({ transport: 'ws' as 'http' })).toThrow("'http' or 'grpc'");
    expect(() => new AurenClient({ overflow: 'drop-all' as 'drop-oldest' })).toThrow('overflow');
  });

  it('after close, events are dropped and counted', async () => {
    const { sut, errors } = make();
    sut.trackDecision('a', { decision: 'x' });
    const stats = await sut.close();
    expect(stats).toMatchObject({ sent: 1, buffered: 0 });
    sut.trackDecision('a', { decision: 'too late' });
    expect(sut.stats().dropped).toBe(1);
    expect(errors).toEqual([expect.objectContaining({ kind: 'dropped', reason: 'closed' })]);
  });
});
