/**
 * An agent instrumented with OpenTelemetry only: no AUREN SDK. It makes GenAI spans
 * (invoke_agent > search_memory, retrieval, chat, execute_tool, chat) with the OpenTelemetry JS
 * SDK and exports them over OTLP/HTTP to AUREN's `POST /v1/traces`, which turns them into agent
 * events. Configured with the standard OTEL_* variables, as any instrumented app is.
 *
 *   npm start                                 # in one terminal: ingest :3000, gateway :8765
 *   npx tsx examples/otel/agent.ts            # in another; watch http://127.0.0.1:8765
 *
 * Run with --help for the options.
 */
import { parseArgs } from 'node:util';
import {
  context,
  diag,
  DiagConsoleLogger,
  DiagLogLevel,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';

const DEFAULT_ENDPOINT = 'http://127.0.0.1:3000/v1/traces';

const HELP = `usage: npx tsx examples/otel/agent.ts [options]

Simulates an agent instrumented with the OpenTelemetry SDK (GenAI semantic conventions) and
exports its spans over OTLP/HTTP to AUREN ingest, which turns them into agent events:
invoke_agent -> agent_execution_started/completed, search_memory -> memory_tier_access,
retrieval -> knowledge_access, chat -> llm_call (with tokens), execute_tool -> tool_usage.

options:
  --agent <id>     gen_ai.agent.id, the agent id dashboards filter on (default otel_researcher)
  --runs <n>       agent runs (traces) to make (default 3)
  --delay <ms>     pause between steps, to watch them arrive (default 150)
  -h, --help       this text

environment (the standard OpenTelemetry exporter variables):
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT  full URL (default here ${DEFAULT_ENDPOINT});
                                      or OTEL_EXPORTER_OTLP_ENDPOINT=http://host:3000 (+ /v1/traces)
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL  http/protobuf (default) or http/json
                                      (or OTEL_EXPORTER_OTLP_PROTOCOL)
  OTEL_EXPORTER_OTLP_HEADERS          e.g. Authorization=Bearer%20<api key or JWT>
                                      (optional in development mode)
  OTEL_EXPORTER_OTLP_COMPRESSION      gzip (optional)
  OTEL_SERVICE_NAME                   service.name (default otel-example-app); the agent id
                                      of last resort for spans with no gen_ai.agent.id`;

const { values } = parseArgs({
  options: {
    agent: { type: 'string', default: 'otel_researcher' },
    runs: { type: 'string', default: '3' },
    delay: { type: 'string', default: '150' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const runs = Number(values.runs);
const delayMs = Number(values.delay);
if (!Number.isInteger(runs) || runs < 1 || !Number.isFinite(delayMs) || delayMs < 0) {
  console.error('--runs must be a whole number >= 1 and --delay a number of ms >= 0 (see --help)');
  process.exit(2);
}
const agentId = values.agent;

// The exporter logs through OpenTelemetry's diag logger: refused or skipped spans (a
// partialSuccess answer) and failed exports show up as warnings.
diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);

const protocol =
  process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ??
  process.env.OTEL_EXPORTER_OTLP_PROTOCOL ??
  'http/protobuf';
if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
  console.error(`protocol ${protocol} is not served by AUREN: use http/protobuf or http/json`);
  process.exit(2);
}
const endpointFromEnv =
  process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
const endpoint =
  process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
  (process.env.OTEL_EXPORTER_OTLP_ENDPOINT
    ? `${process.env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces`
    : DEFAULT_ENDPOINT);
// The exporters read every OTEL_EXPORTER_OTLP_* variable themselves; a URL is passed only to
// replace their own default (localhost:4318, a collector's port) with AUREN's ingest.
const options = endpointFromEnv ? {} : { url: DEFAULT_ENDPOINT };
const inner: SpanExporter =
  protocol === 'http/json' ? new JsonExporter(options) : new ProtobufExporter(options);

/** Counts what the real exporter reports, to say at the end whether AUREN got the spans. */
const tally = { exports: 0, spans: 0, failedSpans: 0, lastError: '' };
const exporter: SpanExporter = {
  export(spans: ReadableSpan[], done) {
    inner.export(spans, (result) => {
      tally.exports += 1;
      if (result.code === ExportResultCode.SUCCESS) tally.spans += spans.length;
      else {
        tally.failedSpans += spans.length;
        tally.lastError = result.error?.message ?? 'export failed';
      }
      done(result);
    });
  },
  shutdown: () => inner.shutdown(),
  forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
};

const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'otel-example-app' }).merge(
    detectResources({ detectors: [envDetector] }), // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
  ),
  spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 500 })],
});
const tracer = provider.getTracer('auren-example-otel', '1.0.0');

const pause = () => new Promise<void>((resolve) => setTimeout(resolve, delayMs));
const random = (min: number, max: number) => Math.round(min + Math.random() * (max - min));

/** A child span of the agent's span that lasts while `work` runs. */
async function step(
  parent: Context,
  name: string,
  kind: SpanKind,
  attributes: Record<string, string | number | boolean>,
  work: (span: Span) => Promise<void> | void = pause,
): Promise<void> {
  // gen_ai.agent.id on every span, not only on invoke_agent: the agent span ends last, often in a
  // later export than its children, and AUREN looks for ancestors within one export only.
  const span = tracer.startSpan(
    name,
    { kind, attributes: { ...attributes, 'gen_ai.agent.id': agentId } },
    parent,
  );
  try {
    await work(span);
  } finally {
    span.end();
  }
}

async function agentRun(n: number): Promise<string> {
  const agent = tracer.startSpan(`invoke_agent ${agentId}`, {
    kind: SpanKind.INTERNAL,
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.id': agentId,
      'gen_ai.agent.name': 'Research agent',
      'gen_ai.agent.description': 'Answers questions about heart-rate variability',
      'gen_ai.conversation.id': `otel-example-conversation-${n}`,
    },
  });
  // No context manager is registered, so children name their parent explicitly.
  const inside = trace.setSpan(context.active(), agent);

  await step(inside, 'search_memory notes', SpanKind.CLIENT, {
    'gen_ai.operation.name': 'search_memory',
    'gen_ai.memory.store.name': 'redis',
    'auren.memory.hit': n > 1,
  });
  await step(inside, 'retrieval papers', SpanKind.CLIENT, {
    'gen_ai.operation.name': 'retrieval',
    'gen_ai.data_source.id': 'hrv-papers',
  });
  for (const call of [1, 2]) {
    await step(inside, 'chat gpt-4o-mini', SpanKind.CLIENT, {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.usage.input_tokens': random(400, 2000),
      'gen_ai.usage.output_tokens': random(80, 600),
      'gen_ai.response.finish_reasons': call === 1 ? 'tool_calls' : 'stop',
    });
    if (call === 1)
      await step(
        inside,
        'execute_tool hrv_reader',
        SpanKind.INTERNAL,
        {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': 'hrv_reader',
          'gen_ai.tool.call.id': `call_${n}`,
        },
        async (span) => {
          await pause();
          // Every third run the tool fails, to show a failed tool_usage on the dashboard.
          if (n % 3 === 0) {
            span.setAttribute('error.type', 'TimeoutError');
            span.setStatus({ code: SpanStatusCode.ERROR, message: 'HRV store timed out' });
          }
        },
      );
  }
  agent.end();
  return agent.spanContext().traceId;
}

async function main(): Promise<void> {
  console.log(`exporting GenAI spans (${protocol}) to ${endpoint} as agent ${agentId}`);
  for (let n = 1; n <= runs; n += 1) {
    const traceId = await agentRun(n);
    console.log(`run ${n}: trace ${traceId} (6 spans -> 7 events)`);
  }
  // forceFlush rejects when an export failed; the tally below says so in words.
  await provider.forceFlush().catch(() => undefined);
  await provider.shutdown().catch(() => undefined);
  console.log(
    `exported ${tally.spans} spans in ${tally.exports} requests` +
      (tally.failedSpans ? `; ${tally.failedSpans} spans failed: ${tally.lastError}` : ''),
  );
  if (tally.failedSpans > 0 || tally.spans === 0) {
    console.error(
      `AUREN did not get every span: is the ingest running at ${endpoint}? Start it with \`npm start\`, or set OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`,
    );
    process.exitCode = 1;
  }
}

void main();
