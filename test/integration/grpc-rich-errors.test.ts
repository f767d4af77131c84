import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protobuf from 'protobufjs';
import { jsonEventToProto } from '@auren/contracts';
import { grpcIngestPort } from '../../apps/ingest/src/grpc/grpc-ingest.server';
import { RunningApp, startIngest, testConfig } from '../harness/apps';
import { connectIngestGrpc, EventIngestClient, unaryCall } from '../harness/grpc';

type Json = Record<string, unknown>;
/** googleapis' own status.proto and error_details.proto (test/harness/google-rpc), not AUREN's copy. */
const rpc = new protobuf.Root();
rpc.resolvePath = (_origin, target) =>
  target.startsWith('google/rpc/')
    ? join(__dirname, '..', 'harness', 'google-rpc', target)
    : target;
rpc.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: true });
const Status = rpc.lookupType('google.rpc.Status');
const BadRequest = rpc.lookupType('google.rpc.BadRequest');

interface Decoded {
  code: number;
  message: string;
  details: Array<{ type_url: string; value: Uint8Array }>;
}

/** What a Go or Java client's helpers do: the trailer as google.rpc.Status, BadRequest unpacked. */
function richStatus(error: grpc.ServiceError): {
  status: Decoded;
  violations: Array<{ field: string; description: string }>;
} {
  const [bytes] = error.metadata.get('grpc-status-details-bin') as Buffer[];
  expect(Buffer.isBuffer(bytes)).toBe(true);
  const status = Status.toObject(Status.decode(bytes), { defaults: true }) as Decoded;
  const bad = status.details.find(
    (d) => d.type_url === 'type.googleapis.com/google.rpc.BadRequest',
  );
  const violations = bad
    ? (
        BadRequest.toObject(BadRequest.decode(bad.value)) as {
          field_violations: Array<{ field: string; description: string }>;
        }
      ).field_violations
    : [];
  return { status, violations };
}

/** A call that must fail: its error. */
async function failedCall(
  client: EventIngestClient,
  method: 'Publish' | 'PublishBatch',
  request: unknown,
): Promise<grpc.ServiceError> {
  const { error } = await unaryCall(client, method, request);
  if (!error) throw new Error('expected the call to fail');
  return error;
}

const event = (over: Json = {}): Json => ({
  event_type: 'tool_usage',
  source_agent: { id: 'neuroscientist' },
  ...over,
});

describe('gRPC errors carry google.rpc.Status details (grpc-status-details-bin)', () => {
  let ingest: RunningApp;
  let client: EventIngestClient;

  beforeAll(async () => {
    ingest = await startIngest(await testConfig());
    client = connectIngestGrpc(grpcIngestPort(ingest.app) as number);
  });
  afterAll(async () => {
    client.close();
    await ingest.close();
  });

  it('Publish: INVALID_ARGUMENT with a BadRequest naming each field, as HTTP words it', async () => {
    const error = await failedCall(
      client,
      'Publish',
      jsonEventToProto(
        event({ event_type: 'nope', performance_metrics: { confidence_score: 1.5 } }),
      ),
    );

    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    const { status, violations } = richStatus(error);
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status.message).toBe(error.details);
    expect(violations).toEqual(
      expect.arrayContaining([
        { field: 'event_type', description: expect.stringContaining('event_type must be one of') },
        {
          field: 'performance_metrics.confidence_score',
          description: 'performance_metrics.confidence_score must not be greater than 1',
        },
      ]),
    );
    // The JSON trailer stays, with the same fields.
    const json = JSON.parse(String(error.metadata.get('auren-error-details')[0])) as Json[];
    expect(json.map((e) => e.field).sort()).toEqual(violations.map((v) => v.field).sort());
  });

  it('PublishBatch: each violation names its event by index', async () => {
    const error = await failedCall(client, 'PublishBatch', {
      events: [
        jsonEventToProto(event()),
        jsonEventToProto(event({ source_agent: { id: '' } })),
        jsonEventToProto(event({ timestamp: 'yesterday' })),
      ],
    });

    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    const { violations } = richStatus(error);
    expect(violations.map((v) => v.field)).toEqual([
      'events[1].source_agent.id',
      'events[2].timestamp',
    ]);
    expect(violations[1].description).toContain('RFC 3339');
  });

  it('an empty batch is a BadRequest on the field events', async () => {
    const error = await failedCall(client, 'PublishBatch', { events: [] });

    const { violations } = richStatus(error);
    expect(violations).toEqual([
      { field: 'events', description: expect.stringContaining('non-empty') },
    ]);
  });
});
