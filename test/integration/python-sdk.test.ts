import { startIngest, testConfig, type RunningApp } from '../harness/apps';
import { ensurePythonVenv, runPython } from '../harness/python';

/**
 * The Python SDK's own suite (clients/python/tests, pytest) against a real ingest started here on
 * the harness's Redis: the client (batching, retries, the dead ingest, the buffer bound), the
 * CrewAI listener with real crews (custom LLMs included), the LLM call pairing and the gRPC stubs.
 * pytest reads the events back from the Redis stream.
 */
describe('Python SDK: pytest suite against a real ingest', () => {
  const streamKey = `test:python:${Date.now()}`;
  let ingest: RunningApp;

  beforeAll(async () => {
    await ensurePythonVenv(); // first run: creates clients/python/.venv (crewai, pytest)
    ingest = await startIngest(await testConfig({ AUREN_STREAM_KEY: streamKey }));
  }, 15 * 60_000);

  afterAll(async () => {
    await ingest?.close();
  });

  it('passes (SDK and CrewAI listener)', async () => {
    const run = await runPython(
      ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', '--color=no', 'tests'],
      {
        AUREN_TEST_INGEST_URL: ingest.url,
        AUREN_TEST_REDIS_URL: process.env.AUREN_TEST_REDIS_URL,
        AUREN_TEST_STREAM_KEY: streamKey,
      },
      150_000,
    );
    // The last line: "18 passed in 14.2s", "1 failed, 17 passed in 15.0s" (-q; "=" rules without it).
    const summary =
      /^[= ]*(\d+ (?:passed|failed|error)[^\n]*?) in [\d.]+s/m.exec(run.output)?.[1] ??
      '(no pytest summary)';
    const passed = Number(/(\d+) passed/.exec(summary)?.[1] ?? 0);
    if (run.code !== 0 || /failed|error/.test(summary)) {
      throw new Error(`pytest exited with ${run.code}: ${summary}\n\n${run.output.slice(-12_000)}`);
    }
    // 13 client + 12 CrewAI + 11 LLM call pairing + 8 gRPC stub tests; fewer means tests went
    // missing (a collection problem).
    expect(`${passed} passed (${summary})`).toBe(`44 passed (${summary})`);
  }, 180_000);
});
