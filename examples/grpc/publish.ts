/**
 * Sends agent events to AUREN's gRPC ingest with nothing but @grpc/grpc-js, @grpc/proto-loader
 * and the .proto file: what a client in any language with gRPC does.
 *
 *   npm start                                 # in one terminal: gRPC ingest :50051, gateway :8765
 *   npx tsx examples/grpc/publish.ts          # in another; watch http://127.0.0.1:8765
 *
 * Run with --help for the options.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const DEFAULT_PROTO = join(
  __dirname,
  '..',
  '..',
  'libs',
  'contracts',
  'src',
  'proto',
  'auren',
  'events',
  'v1',
  'events.proto',
);

const HELP = `usage: npx tsx examples/grpc/publish.ts [options]

Publishes a short agent run to AUREN's gRPC ingest (service auren.events.v1.EventIngest) with the
three calls: Publish (one event), PublishBatch (all-or-nothing) and PublishStream (a client
stream; one deliberately bad event comes back in "rejected", the others are stored).

options:
  --target <host:port>  gRPC ingest (default 127.0.0.1:50051; env AUREN_GRPC_TARGET)
  --api-key <key>       sent as "authorization: Bearer <key>" metadata (default test-key,
                        accepted in development mode; env AUREN_API_KEY)
  --agent <id>          source_agent.id (default grpc_planner)
  --proto <file>        events.proto (default ${DEFAULT_PROTO})
  -h, --help            this text`;

const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    'api-key': { type: 'string' },
    agent: { type: 'string', default: 'grpc_planner' },
    proto: { type: 'string', default: DEFAULT_PROTO },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const target = values.target ?? process.env.AUREN_GRPC_TARGET ?? '127.0.0.1:50051';
const apiKey = values['api-key'] ?? process.env.AUREN_API_KEY ?? 'test-key';

type Json = Record<string, unknown>;
type Callback = (error: grpc.ServiceError | null, reply?: Json) => void;
interface EventIngestClient extends grpc.Client {
  Publish(event: Json, metadata: grpc.Metadata, callback: Callback): grpc.ClientUnaryCall;
  PublishBatch(batch: Json, metadata: grpc.Metadata, callback: Callback): grpc.ClientUnaryCall;
  PublishStream(metadata: grpc.Metadata, callback: Callback): grpc.ClientWritableStream<Json>;
}
type EventIngestConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
) => EventIngestClient;

const definition = protoLoader.loadSync(values.proto, {
  keepCase: true, // snake_case field names, as in the JSON event
  longs: Number,
  defaults: false,
  oneofs: true,
});
const { EventIngest } = (
  grpc.loadPackageDefinition(definition) as unknown as {
    auren: { events: { v1: { EventIngest: EventIngestConstructor } } };
  }
).auren.events.v1;

/** google.protobuf.Struct from plain JSON (proto-loader names Value's fields in camelCase). */
function value(v: unknown): Json {
  if (v === null || v === undefined) return { nullValue: 'NULL_VALUE' };
  if (Array.isArray(v)) return { listValue: { values: v.map(value) } };
  if (typeof v === 'object') return { structValue: struct(v as Json) };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  return { stringValue: typeof v === 'string' ? v : JSON.stringify(v) };
}
function struct(object: Json): Json {
  return { fields: Object.fromEntries(Object.entries(object).map(([k, v]) => [k, value(v)])) };
}

const client = new EventIngest(target, grpc.credentials.createInsecure());
const metadata = new grpc.Metadata();
metadata.set('authorization', `Bearer ${apiKey}`);
const agent = { id: values.agent, role: 'Planner', extra: struct({ goal: 'Plan the week' }) };
const sessionId = `grpc-example-${Date.now()}`;
const event = (eventType: string, payload: Json, extra: Json = {}): Json => ({
  event_type: eventType,
  session_id: sessionId,
  source_agent: agent,
  payload: struct(payload),
  ...extra,
});

function call(method: 'Publish' | 'PublishBatch', request: Json): Promise<Json> {
  return new Promise((resolve, reject) =>
    client[method](request, metadata, (error, reply) =>
      error ? reject(error) : resolve(reply as Json),
    ),
  );
}

async function main(): Promise<void> {
  console.log(`gRPC ingest at ${target}, agent ${values.agent}, session ${sessionId}`);
  const ack = await call(
    'Publish',
    event('agent_execution_started', { task: 'Plan the training week' }),
  );
  console.log(`Publish: accepted ${String(ack.accepted)}, stream_id ${String(ack.stream_id)}`);

  const batch = await call('PublishBatch', {
    events: [
      event(
        'llm_call',
        { prompt_kind: 'weekly_plan' },
        {
          performance_metrics: {
            model: 'gpt-4o-mini',
            input_tokens: 900,
            output_tokens: 240,
            tokens_used: 1140,
            latency_ms: 812,
            success: true,
          },
        },
      ),
      event('memory_tier_access', { tier: 'postgresql', operation: 'read', hit: true }),
    ],
  });
  console.log(`PublishBatch: accepted ${String(batch.accepted)}`);

  const streamed = await new Promise<Json>((resolve, reject) => {
    const stream = client.PublishStream(metadata, (error, reply) =>
      error ? reject(error) : resolve(reply as Json),
    );
    stream.write(event('tool_usage', { tool_name: 'calendar', tool_output: '3 slots' }));
    stream.write(event('not_a_type', {})); // refused: shows up in `rejected`, never in the stream
    stream.write(
      event(
        'agent_decision',
        { decision: 'two easy days' },
        { performance_metrics: { confidence_score: 0.82 } },
      ),
    );
    stream.write(event('agent_execution_completed', { result: 'plan ready' }));
    stream.end(); // half-close: the server answers once every event is stored
  });
  const rejected = (streamed.rejected as Json[] | undefined) ?? [];
  console.log(
    `PublishStream: accepted ${String(streamed.accepted)}, rejected ${rejected.length}` +
      rejected
        .map((r) => ` (index ${String(r.index)}: ${String(r.message).slice(0, 60)}...)`)
        .join(''),
  );
  console.log('7 events stored; watch them at the gateway (http://127.0.0.1:8765 by default)');
}

main()
  .catch((error: grpc.ServiceError) => {
    const status = grpc.status[error.code] ?? 'ERROR';
    console.error(`${status}: ${error.details ?? error.message}`);
    if (error.code === grpc.status.UNAVAILABLE)
      console.error(
        `is the ingest running at ${target}? Start it with \`npm start\`, or pass --target`,
      );
    process.exitCode = 1;
  })
  .finally(() => client.close());
