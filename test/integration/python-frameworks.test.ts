import { ensureFrameworksVenv, runPython } from '../harness/python';

/**
 * The framework integrations' pytest suites (clients/python/tests/test_langchain.py and
 * test_openai_agents.py) in their own venv (clients/python/.venv-frameworks: real LangGraph,
 * langchain-core and OpenAI Agents SDK from PyPI). They check the mapping of real graph and agent
 * runs to AUREN events, as the real AurenClient posts them to a local capture of the batch
 * endpoint; test/e2e/python-frameworks.e2e.ts runs the same scenarios through ingest and gateway.
 */
describe('Python SDK: LangGraph and OpenAI Agents integrations (pytest)', () => {
  let python: string;

  beforeAll(async () => {
    python = await ensureFrameworksVenv(); // first run: creates clients/python/.venv-frameworks
  }, 15 * 60_000);

  it('passes', async () => {
    const run = await runPython(
      [
        '-m',
        'pytest',
        '-q',
        '-p',
        'no:cacheprovider',
        '--color=no',
        'tests/test_langchain.py',
        'tests/test_openai_agents.py',
      ],
      {},
      50_000,
      python,
    );
    const summary =
      /^[= ]*(\d+ (?:passed|failed|error)[^\n]*?) in [\d.]+s/m.exec(run.output)?.[1] ??
      '(no pytest summary)';
    const passed = Number(/(\d+) passed/.exec(summary)?.[1] ?? 0);
    if (run.code !== 0 || /failed|error|skipped/.test(summary)) {
      throw new Error(`pytest exited with ${run.code}: ${summary}\n\n${run.output.slice(-12_000)}`);
    }
    // 10 LangChain/LangGraph tests + 7 OpenAI Agents tests; fewer means tests went missing.
    expect(`${passed} passed (${summary})`).toBe(`17 passed (${summary})`);
  }, 60_000);
});
