/**
 * A small instrumented "agent app": the real OpenTelemetry JS SDK emits GenAI spans and the
 * real OTLP/HTTP exporter sends them, configured only through the standard OTEL_* variables
 * (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_COMPRESSION,
 * OTEL_SERVICE_NAME), as a user's app would be. It runs as its own Node process because the
 * exporter loads `http` with a dynamic import, which Jest's module sandbox does not allow.
 *
 * Prints one JSON line: {"traceId", "results": [{"code", "error"?}]}.
 */
import { ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { detectResources, envDetector } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ReadableSpan,
  SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { agentRun, plain } from './otel-scenarios';

const USAGE = `usage: tsx test/harness/otel-emitter.ts [--protocol http/json|http/protobuf] [--agent ID] [--scenario agent-run|plain] [--resend]
  Emits GenAI spans with the OpenTelemetry SDK and exports them over OTLP/HTTP.
  --protocol   exporter: http/protobuf (default) or http/json
  --agent      gen_ai.agent.id of the invoke_agent span (default: researcher)
  --scenario   agent-run: invoke_agent > chat + execute_tool (default); plain: one HTTP span
  --resend     export the same spans a second time (idempotency check)
  Endpoint, headers, compression and service name come from the OTEL_* variables.`;

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

/** Hands spans to the real exporter and keeps each export's result. */
class Recording implements SpanExporter {
  readonly results: ExportResult[] = [];
  readonly batches: ReadableSpan[][] = [];
  constructor(private readonly inner: SpanExporter) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.batches.push(spans);
    this.inner.export(spans, (result) => {
      this.results.push(result);
      done(result);
    });
  }
  resend(): Promise<void> {
    return new Promise((resolve) =>
      this.inner.export(this.batches[0], (result) => {
        this.results.push(result);
        resolve();
      }),
    );
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    console.log(USAGE);
    return;
  }
  const protocol = option('--protocol', 'http/protobuf');
  if (!process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT && !process.env.OTEL_EXPORTER_OTLP_ENDPOINT) {
    throw new Error(
      'set OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (e.g. http://127.0.0.1:3000/v1/traces)',
    );
  }
  const exporter = new Recording(
    protocol === 'http/json' ? new JsonTraceExporter() : new ProtoTraceExporter(),
  );
  const provider = new BasicTracerProvider({
    resource: detectResources({ detectors: [envDetector] }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('auren-otel-emitter', '1.0.0');
  const traceId =
    option('--scenario', 'agent-run') === 'plain'
      ? plain(tracer)
      : agentRun(tracer, option('--agent', 'researcher'));
  // forceFlush rejects when an export failed; the result is recorded and printed either way.
  await provider.forceFlush().catch(() => undefined);
  if (process.argv.includes('--resend')) await exporter.resend();
  await provider.shutdown().catch(() => undefined);
  const results = exporter.results.map((r) => ({
    code: r.code === ExportResultCode.SUCCESS ? 'success' : 'failed',
    error: r.error?.message,
  }));
  process.stdout.write(`${JSON.stringify({ traceId, results })}\n`);
}

main().catch((error: unknown) => {
  console.error(`otel-emitter: ${error instanceof Error ? error.message : JSON.stringify(error)}`);
  process.exit(1);
});
