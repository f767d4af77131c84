import { jsonEventToProto } from '@auren/contracts';
import { AppProcess } from '../harness/apps';
import { connectClient, ConnectedClient } from '../harness/clients';
import { bearerMetadata, connectIngestGrpc, EventIngestClient, unaryCall } from '../harness/grpc';
import { freePort } from '../harness/ports';
import { waitFor } from '../harness/wait';

type Json = Record<string, unknown>;

async function publish(c: EventIngestClient, event: Json): Promise<Json> {
  const { error, reply } = await unaryCall(c, 'Publish', jsonEventToProto(event), 'test-key-e2e');
  if (error) throw error;
  return reply as Json;
}

describe('gRPC ingest from dist/: a spawned ingest and gateway on Redis, a socket.io client', () => {
  let ingest: AppProcess;
  let gateway: AppProcess;
  let grpcPort: number;
  let gatewayUrl: string;
  let socket: ConnectedClient | undefined;
  let grpcClient: EventIngestClient | undefined;

  beforeAll(async () => {
    const env = {
      REDIS_URL: process.env.AUREN_TEST_REDIS_URL as string,
      AUREN_STREAM_KEY: `e2e-grpc:${Date.now()}`,
    };
    const [ingestPort, gatewayPort] = [await freePort(), await freePort()];
    grpcPort = await freePort();
    ingest = AppProcess.spawn('ingest', {
      ...env,
      INGEST_PORT: String(ingestPort),
      GRPC_PORT: String(grpcPort),
    });
    gateway = AppProcess.spawn('gateway', { ...env, GATEWAY_PORT: String(gatewayPort) });
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    await ingest.ready(`http://127.0.0.1:${ingestPort}/health/ready`);
    await gateway.ready(`${gatewayUrl}/health/ready`);
  });

  afterAll(async () => {
    socket?.close();
    grpcClient?.close();
    await Promise.all([ingest.stop(), gateway.stop()]);
  });

  it('delivers events published over gRPC (unary and client stream) to the dashboard client', async () => {
    expect(ingest.text).toContain(
      `gRPC ingest (auren.events.v1.EventIngest) listening on 127.0.0.1:${grpcPort}`,
    );
    socket = await connectClient(gatewayUrl, { token: 'test-token-e2e' });
    grpcClient = connectIngestGrpc(grpcPort);

    const ack = await publish(grpcClient, {
      event_id: 'e2e-grpc-1',
      event_type: 'llm_call',
      source_agent: { id: 'neuroscientist', role: 'Neuroscientist' },
      payload: { prompt: 'hello', tokens: [1, 2, 3], nested: { ok: true } },
      performance_metrics: { latency_ms: 42, tokens_used: 3, confidence_score: 0.9 },
    });
    expect(ack).toMatchObject({ accepted: 1, event_id: 'e2e-grpc-1', duplicate: false });

    const streamed = await new Promise<Json>((resolve, reject) => {
      const writer = (grpcClient as EventIngestClient).PublishStream(
        bearerMetadata('test-key-e2e'),
        (error, reply) => (error ? reject(error) : resolve(reply as Json)),
      );
      writer.write(
        jsonEventToProto({
          event_id: 'e2e-grpc-2',
          event_type: 'tool_usage',
          source_agent: { id: 'coach' },
        }),
      );
      writer.write(
        jsonEventToProto({
          event_id: 'e2e-grpc-bad',
          event_type: 'nope',
          source_agent: { id: 'coach' },
        }),
      );
      writer.write(
        jsonEventToProto({
          event_id: 'e2e-grpc-3',
          event_type: 'agent_decision',
          source_agent: { id: 'coach' },
        }),
      );
      writer.end();
    });
    expect(streamed.accepted).toBe(2);
    expect((streamed.rejected as Json[]).map((r) => r.index)).toEqual([1]);

    const events = await socket.waitForEvents(3, 20_000);
    expect(events.map((e) => e.event_id)).toEqual(['e2e-grpc-1', 'e2e-grpc-2', 'e2e-grpc-3']);
    expect(events[0]).toMatchObject({
      stream_id: ack.stream_id,
      source_agent: { id: 'neuroscientist', role: 'Neuroscientist' },
      payload: { prompt: 'hello', tokens: [1, 2, 3], nested: { ok: true } },
      performance_metrics: { latency_ms: 42, tokens_used: 3, confidence_score: 0.9 },
    });
  });
});

describe('gRPC ingest in the all-in-one process (`npm start`, in-memory stream)', () => {
  it('accepts a gRPC event and the gateway in the same process delivers it', async () => {
    const [ingestPort, gatewayPort, grpcPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const app = AppProcess.spawn('all-in-one', {
      INGEST_PORT: String(ingestPort),
      GATEWAY_PORT: String(gatewayPort),
      GRPC_PORT: String(grpcPort),
    });
    let socket: ConnectedClient | undefined;
    const c = connectIngestGrpc(grpcPort);
    try {
      await app.ready(`http://127.0.0.1:${gatewayPort}/health/ready`);
      await waitFor(() => app.text.includes('gRPC ingest'), { what: 'the gRPC start-up line' });
      socket = await connectClient(`http://127.0.0.1:${gatewayPort}`, { token: 'test-token' });
      await publish(c, {
        event_id: 'aio-grpc-1',
        event_type: 'knowledge_access',
        source_agent: { id: 'a1' },
      });
      const [event] = await socket.waitForEvents(1);
      expect(event).toMatchObject({ event_id: 'aio-grpc-1', event_type: 'knowledge_access' });
    } finally {
      socket?.close();
      c.close();
      await app.stop();
    }
  });
});
