import { execFile } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface EmitterRun {
  traceId: string;
  results: { code: 'success' | 'failed'; error?: string }[];
}

/**
 * Runs test/harness/otel-emitter.ts (the OpenTelemetry SDK + OTLP/HTTP exporter) in its own
 * Node process with the given OTEL_* variables; resolves once it exported and exited.
 */
export function runOtelEmitter(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<EmitterRun> {
  const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
  return new Promise((resolve, reject) => {
    execFile(
      tsx,
      [join(ROOT, 'test', 'harness', 'otel-emitter.ts'), ...args],
      {
        cwd: ROOT,
        timeout: timeoutMs,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, OTEL_LOG_LEVEL: 'error', ...env },
      },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`otel-emitter failed: ${error.message}\n${stderr}`));
          return;
        }
        resolve(JSON.parse(stdout.trim().split('\n').pop() as string) as EmitterRun);
      },
    );
  });
}
