import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { jsonEventToProto, type StreamedEvent } from '@auren/contracts';
import { AurenClient, type AurenError } from '@auren/sdk';
import { AppProcess, postJson } from '../harness/apps';
import { connectClient, type ConnectedClient } from '../harness/clients';
import {
  bearerMetadata,
  connectIngestGrpc,
  type EventIngestClient,
  type GrpcReply,
  unaryCall,
} from '../harness/grpc';
import { runOtelEmitter, type EmitterRun } from '../harness/otel';
import { freePort } from '../harness/ports';
import { ensurePythonVenv, PYTHON_DIR, runPython } from '../harness/python';
import { waitFor } from '../harness/wait';

/**
 * Issue 5's acceptance check: every way in at once, one running stack. A real CrewAI crew with
 * AurenCrewAIListener (Python SDK, HTTP), an OpenTelemetry-instrumented app (the real JS SDK and
 * OTLP/HTTP exporters, protobuf and JSON), a @grpc/grpc-js client (Publish, PublishBatch,
 * PublishStream) and the TypeScript SDK (HTTP and gRPC transports) send to one spawned ingest;
 * one spawned gateway on the same Redis stream serves a socket.io-client per door, filtered to
 * that door's agents, and one unfiltered client.
 */

type Json = Record<string, unknown>;
/** The agents of each door: a door's client filters on exactly these. */
const DOORS = {
  crewai: ['crew_word_desk', 'research_analyst', 'report_writer'],
  otel: ['otel-proto-agent', 'otel-json-agent'],
  grpc: ['grpc-unary-agent', 'grpc-batch-agent', 'grpc-stream-agent'],
  sdk: ['sdk-http-agent', 'sdk-grpc-agent'],
} as const;
type Door = keyof typeof DOORS;
const DOOR_NAMES = Object.keys(DOORS) as Door[];

/** The reply of a gRPC call that must succeed; its error otherwise. */
async function succeeded(call: Promise<GrpcReply>): Promise<Json> {
  const { error, reply } = await call;
  if (error) throw error;
  return reply as Json;
}

const ids = (events: StreamedEvent[]) => events.map((e) => e.event_id);
const sorted = (values: Iterable<string>) => [...values].sort();

/** What a door's producer reports once it is done: the ids of the events it had accepted. */
interface DoorResult {
  eventIds: string[];
}

describe('all doors at once: CrewAI + OTel + gRPC + TS SDK → one ingest → Redis → gateway → filtered socket.io clients', () => {
  const env = {
    REDIS_URL: process.env.AUREN_TEST_REDIS_URL,
    AUREN_STREAM_KEY: `e2e:all-doors:${Date.now()}`,
  };
  let ingest: AppProcess;
  let gateway: AppProcess;
  let ingestUrl: string;
  let grpcTarget: string;
  let gatewayUrl: string;
  const sockets: ConnectedClient[] = [];
  const grpcClients: EventIngestClient[] = [];

  beforeAll(async () => {
    const venv = ensurePythonVenv(); // minutes on the very first run, then instant
    const [ingestPort, grpcPort, gatewayPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    ingest = AppProcess.spawn('ingest', {
      ...env,
      INGEST_PORT: String(ingestPort),
      GRPC_PORT: String(grpcPort),
    });
    gateway = AppProcess.spawn('gateway', { ...env, GATEWAY_PORT: String(gatewayPort) });
    ingestUrl = `http://127.0.0.1:${ingestPort}`;
    grpcTarget = `127.0.0.1:${grpcPort}`;
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    await Promise.all([
      venv,
      ingest.ready(`${ingestUrl}/health/ready`),
      gateway.ready(`${gatewayUrl}/health/ready`),
    ]);
    await waitFor(() => ingest.text.includes(`listening on ${grpcTarget}`), {
      what: 'the gRPC ingest start-up line',
    });
  }, 15 * 60_000);

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    for (const client of grpcClients) client.close();
    await Promise.all([ingest, gateway].map((p) => p?.stop()));
  });

  it('shows every event of every door on that door’s filtered client, only those, and the union unfiltered', async () => {
    const filtered = {} as Record<Door, ConnectedClient>;
    for (const door of DOOR_NAMES) {
      filtered[door] = await connectClient(gatewayUrl, {
        token: `test-token-${door}`,
        agent_filter: [...DOORS[door]],
      });
      sockets.push(filtered[door]);
      expect(filtered[door].established.agent_filter).toEqual([...DOORS[door]]);
    }
    const everything = await connectClient(gatewayUrl, { token: 'test-token-all' });
    sockets.push(everything);

    // The crew is the slowest to start (Python imports CrewAI); it is launched first and the other
    // doors keep a gRPC stream and an SDK client open until it has exited, so that its events
    // are written while the others' channels are live.
    let crewExited = false;
    const crew = runPython(
      [join(PYTHON_DIR, 'tests', 'crew_scenario.py'), '--ingest', ingestUrl],
      {},
      90_000,
    ).finally(() => (crewExited = true));
    const crewDone = () =>
      waitFor(() => crewExited, { timeoutMs: 95_000, what: 'the crew process to exit' });

    const [crewRun, otel, grpcDoor, sdkDoor] = await Promise.all([
      crew,
      otelDoor(),
      grpcDoorRun(filtered.grpc, crewDone),
      sdkDoorRun(crewDone),
    ]);

    // ---- what each producer says it did ----
    if (crewRun.code !== 0)
      throw new Error(`the crew run exited with ${crewRun.code}:\n${crewRun.output}`);
    const crewStats = JSON.parse(crewRun.output.trim().split('\n').pop() ?? '{}') as Json;
    expect(crewStats).toMatchObject({
      flushed: true,
      listener_errors: 0,
      dropped: 0,
      failed: 0,
      rejected: 0,
      duplicates: 0,
    });
    const crewSent = crewStats.sent as number;
    expect(crewSent).toBe(15); // 3 crew + 7 researcher + 5 writer events (see below)

    // ---- fences: one event per door written after everything above was acknowledged ----
    // A client's events arrive in stream order, so once its fence is there, nothing of its door
    // can still be on the way: what it holds now is all it will ever get.
    const fences = DOOR_NAMES.map((door) => ({
      event_id: `all-doors-fence-${door}`,
      event_type: 'custom.fence',
      source_agent: { id: DOORS[door][0] },
    }));
    const fenceAnswer = await postJson(`${ingestUrl}/v1/events/batch`, { events: fences });
    expect(fenceAnswer.status).toBe(202);
    for (const door of DOOR_NAMES)
      await waitFor(
        () => filtered[door].events.some((e) => e.event_id === `all-doors-fence-${door}`),
        { timeoutMs: 30_000, what: `the ${door} fence at the ${door} client` },
      );
    await waitFor(
      () => fences.every((f) => everything.events.some((e) => e.event_id === f.event_id)),
      { timeoutMs: 30_000, what: 'every fence at the unfiltered client' },
    );
    const seen = {} as Record<Door, StreamedEvent[]>;
    for (const door of DOOR_NAMES)
      seen[door] = filtered[door].events.filter((e) => e.event_type !== 'custom.fence');

    // ---- nothing from another door on a filtered client, no duplicates anywhere ----
    for (const door of DOOR_NAMES) {
      const foreign = seen[door].filter(
        (e) => !(DOORS[door] as readonly string[]).includes(e.source_agent.id),
      );
      expect({ door, foreign: ids(foreign) }).toEqual({ door, foreign: [] });
      expect(new Set(ids(seen[door])).size).toBe(seen[door].length);
      for (const e of seen[door]) expect(e.stream_id).toMatch(/^\d+-\d+$/);
    }
    expect(new Set(ids(everything.events)).size).toBe(everything.events.length);

    // ---- exact sets where the producer knows its event ids ----
    expect(sorted(ids(seen.grpc))).toEqual(sorted(grpcDoor.eventIds));
    expect(sorted(ids(seen.sdk))).toEqual(sorted(sdkDoor.eventIds));
    // The TS SDK delivers each agent's events in the order tracked.
    for (const { agent, eventIds } of sdkDoor.perAgent)
      expect(ids(seen.sdk.filter((e) => e.source_agent.id === agent))).toEqual(eventIds);
    const sdkLlm = seen.sdk.filter((e) => e.event_type === 'llm_call');
    expect(sdkLlm.map((e) => e.source_agent.id).sort()).toEqual([...DOORS.sdk].sort());
    for (const call of sdkLlm)
      expect(call.performance_metrics).toMatchObject({
        model: 'sdk-model',
        input_tokens: 5,
        output_tokens: 7,
        tokens_used: 12,
      });
    expect(seen.grpc.find((e) => e.event_id === 'grpc-unary-0')).toMatchObject({
      event_type: 'llm_call',
      source_agent: { id: DOORS.grpc[0] },
      performance_metrics: { model: 'grpc-model', input_tokens: 40, output_tokens: 2 },
    });
    expect(seen.grpc.find((e) => e.event_id === 'grpc-batch-1')?.payload).toEqual({
      tier: 'redis',
      operation: 'read',
      hit: true,
    });

    // ---- OTel: 4 events per exported agent run (ids derive from span ids the app keeps) ----
    expect(seen.otel).toHaveLength(8);
    for (const run of otel) {
      const mine = seen.otel.filter((e) => e.trace_id === run.traceId);
      expect(sorted(mine.map((e) => `${e.source_agent.id} ${e.event_type}`))).toEqual(
        sorted(
          ['agent_execution_started', 'agent_execution_completed', 'llm_call', 'tool_usage'].map(
            (t) => `${run.agent} ${t}`,
          ),
        ),
      );
      for (const e of mine) {
        expect(e.event_id).toMatch(new RegExp(`^otlp-${run.traceId}-[0-9a-f]{16}(-end)?$`));
        expect(e.metadata).toMatchObject({ source: 'otlp' });
      }
      expect(mine.find((e) => e.event_type === 'llm_call')?.performance_metrics).toMatchObject({
        input_tokens: 120,
        output_tokens: 30,
        tokens_used: 150,
        latency_ms: 750,
        model: 'gpt-4o-2024-08-06',
      });
      expect(mine.find((e) => e.event_type === 'tool_usage')?.performance_metrics).toMatchObject({
        success: false,
        error_type: 'TimeoutError',
      });
    }

    // ---- CrewAI: the crew's exact run (counts, types, agent ids, token counts) ----
    expect(seen.crewai).toHaveLength(crewSent);
    expect(sorted(seen.crewai.map((e) => `${e.source_agent.id} ${e.event_type}`))).toEqual(
      sorted([
        'crew_word_desk agent_execution_started',
        'crew_word_desk agent_collaboration',
        'crew_word_desk agent_execution_completed',
        ...[
          'custom.task_started',
          'agent_execution_started',
          'llm_call',
          'tool_usage',
          'llm_call',
          'agent_execution_completed',
          'custom.task_completed',
        ].map((t) => `research_analyst ${t}`),
        ...[
          'custom.task_started',
          'agent_execution_started',
          'llm_call',
          'agent_execution_completed',
          'custom.task_completed',
        ].map((t) => `report_writer ${t}`),
      ]),
    );
    const crewLlm = seen.crewai.filter((e) => e.event_type === 'llm_call');
    expect(crewLlm).toHaveLength(3);
    for (const call of crewLlm)
      expect(call.performance_metrics).toMatchObject({
        model: 'fake-react-1',
        input_tokens: 120,
        output_tokens: 30,
        tokens_used: 150,
      });
    expect(new Set(seen.crewai.map((e) => e.trace_id)).size).toBe(1);
    expect(seen.crewai.every((e) => e.metadata?.source === 'crewai')).toBe(true);

    // ---- the unfiltered client got the union, exactly (the stream key is this test's own) ----
    const union = DOOR_NAMES.flatMap((door) => ids(filtered[door].events));
    expect(sorted(ids(everything.events))).toEqual(sorted(union));
    expect(everything.events).toHaveLength(
      crewSent + 8 + grpcDoor.eventIds.length + sdkDoor.eventIds.length + 4,
    );
    // Each filtered client got its events in the same order as the unfiltered one.
    const position = new Map(everything.events.map((e, i) => [e.event_id, i]));
    for (const door of DOOR_NAMES) {
      const order = filtered[door].events.map((e) => position.get(e.event_id) ?? -1);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
  }, 180_000);

  /** Two instrumented apps at once (protobuf + gzip, and JSON), each exporting one agent run. */
  async function otelDoor(): Promise<(EmitterRun & { agent: string })[]> {
    const runs = await Promise.all(
      [
        { agent: DOORS.otel[0], protocol: 'http/protobuf', gzip: true },
        { agent: DOORS.otel[1], protocol: 'http/json', gzip: false },
      ].map(async ({ agent, protocol, gzip }) => {
        const run = await runOtelEmitter(
          ['--protocol', protocol, '--agent', agent],
          {
            OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${ingestUrl}/v1/traces`,
            OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20test-key-otel',
            OTEL_SERVICE_NAME: 'all-doors-otel-app',
            ...(gzip ? { OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' } : {}),
          },
          60_000,
        );
        return { ...run, agent };
      }),
    );
    for (const run of runs) expect(run.results).toEqual([{ code: 'success' }]);
    return runs;
  }

  /**
   * grpc-js straight on the .proto: a PublishStream opened first and held open until the crew has
   * exited (its first event must reach the dashboard while the stream is still open), a Publish
   * and a PublishBatch meanwhile, and a bad event in the stream that must never show up.
   */
  async function grpcDoorRun(
    socket: ConnectedClient,
    crewDone: () => Promise<unknown>,
  ): Promise<DoorResult> {
    const client = connectIngestGrpc(grpcTarget);
    grpcClients.push(client);
    const token = 'test-key-grpc';
    const event = (id: string, agent: string, type: string, extra: Json = {}) =>
      jsonEventToProto({ event_id: id, event_type: type, source_agent: { id: agent }, ...extra });

    let streamAck: Json | undefined;
    let streamError: grpc.ServiceError | null = null;
    const stream = client.PublishStream(bearerMetadata(token), (error, reply) => {
      streamError = error;
      streamAck = reply;
    });
    stream.write(
      event('grpc-stream-0', DOORS.grpc[2], 'agent_execution_started', {
        payload: { task: 'stream' },
      }),
    );
    await waitFor(() => socket.events.some((e) => e.event_id === 'grpc-stream-0'), {
      timeoutMs: 30_000,
      what: 'the first PublishStream event on the dashboard while the stream is open',
    });

    const unary = await succeeded(
      unaryCall(
        client,
        'Publish',
        event('grpc-unary-0', DOORS.grpc[0], 'llm_call', {
          performance_metrics: { model: 'grpc-model', input_tokens: 40, output_tokens: 2 },
        }),
        token,
      ),
    );
    expect(unary).toMatchObject({ accepted: 1, event_id: 'grpc-unary-0', duplicate: false });

    const batchIds = ['grpc-batch-0', 'grpc-batch-1', 'grpc-batch-2'];
    const batch = await succeeded(
      unaryCall(
        client,
        'PublishBatch',
        {
          events: batchIds.map((id, i) =>
            event(id, DOORS.grpc[1], i === 1 ? 'memory_tier_access' : 'tool_usage', {
              payload: i === 1 ? { tier: 'redis', operation: 'read', hit: true } : { tool: 'x' },
            }),
          ),
        },
        token,
      ),
    );
    expect(batch.accepted).toBe(3);

    await crewDone();
    stream.write(event('grpc-stream-1', DOORS.grpc[2], 'tool_usage'));
    stream.write(event('grpc-stream-bad', DOORS.grpc[2], 'not_a_type'));
    stream.write(event('grpc-stream-2', DOORS.grpc[2], 'agent_execution_completed'));
    stream.end();
    await waitFor(() => streamAck ?? streamError ?? undefined, {
      timeoutMs: 30_000,
      what: 'the PublishStream answer',
    });
    expect(streamError).toBeNull();
    expect(streamAck?.accepted).toBe(3);
    expect((streamAck?.rejected as Json[]).map((r) => r.index)).toEqual([2]);
    return {
      eventIds: ['grpc-stream-0', 'grpc-unary-0', ...batchIds, 'grpc-stream-1', 'grpc-stream-2'],
    };
  }

  /**
   * @auren/sdk over HTTP and over gRPC: each agent starts its run at once, finishes it after the
   * crew has exited, then the clients close (flushing what is left).
   */
  async function sdkDoorRun(
    crewDone: () => Promise<unknown>,
  ): Promise<DoorResult & { perAgent: { agent: string; eventIds: string[] }[] }> {
    const errors: AurenError[] = [];
    const clients = [
      { agent: DOORS.sdk[0], transport: 'http' as const, url: ingestUrl },
      { agent: DOORS.sdk[1], transport: 'grpc' as const, url: grpcTarget },
    ].map(({ agent, transport, url }) => ({
      agent,
      auren: new AurenClient({
        url,
        transport,
        apiKey: 'test-key-sdk',
        flushIntervalMs: 50,
        exitFlushTimeoutMs: 0,
        onError: (e) => errors.push(e),
      }),
      eventIds: [] as string[],
    }));
    for (const { agent, auren, eventIds } of clients) {
      const who = { id: agent, role: 'SDK agent' };
      eventIds.push(
        auren.trackAgentStart(who, { task: 'all doors' }).eventId,
        auren.trackLlmCall(who, { model: 'sdk-model', inputTokens: 5, outputTokens: 7 }).eventId,
      );
    }
    await crewDone();
    for (const { agent, auren, eventIds } of clients) {
      const who = { id: agent, role: 'SDK agent' };
      eventIds.push(
        auren.trackToolUsage(who, { tool: 'search' }).eventId,
        auren.trackDecision(who, { decision: 'ship', confidence: 0.9 }).eventId,
        auren.trackAgentComplete(who).eventId,
      );
    }
    const stats = await Promise.all(clients.map(({ auren }) => auren.close()));
    expect(errors).toEqual([]);
    for (const s of stats) expect(s).toMatchObject({ sent: 5, dropped: 0, rejected: 0 });
    return {
      eventIds: clients.flatMap((c) => c.eventIds),
      perAgent: clients.map(({ agent, eventIds }) => ({ agent, eventIds })),
    };
  }
});
