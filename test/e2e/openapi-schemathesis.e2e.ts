import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AppProcess } from '../harness/apps';
import { freePort } from '../harness/ports';
import { ensureVenv, VENVS } from '../harness/python';

const DIR = join(__dirname, '..', 'harness', 'schemathesis');
/** Schemathesis's own time budget; fuzzing and stateful phases repeat until it is spent. */
const BUDGET_SECONDS = 75;

interface Run {
  code: number | null;
  output: string;
}

function st(python: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-m', 'schemathesis.cli', ...args], {
      cwd: DIR,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: DIR,
        PYTHONDONTWRITEBYTECODE: '1',
        PYTHONPATH: DIR,
        SCHEMATHESIS_HOOKS: 'hooks',
        // No colours or progress bars in the captured summary.
        NO_COLOR: '1',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), (BUDGET_SECONDS + 60) * 1000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output: chunks.join('') });
    });
  });
}

/**
 * Issue 10 §5: `/docs-json` tells the truth. Schemathesis (from PyPI, pinned in
 * test/harness/schemathesis/requirements.txt, in a venv the harness builds) runs every check
 * over every phase against ingest in production mode, with a credential, and must report no
 * failure. Bounded: `--max-time` plus a per-operation example cap (docs/testing.md).
 */
describe('OpenAPI document against schemathesis --checks all (production mode)', () => {
  let ingest: AppProcess;
  let url: string;
  const token = randomBytes(24).toString('hex');

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    ingest = AppProcess.spawn('ingest', {
      NODE_ENV: 'production',
      INGEST_PORT: String(port),
      REDIS_URL: process.env.AUREN_TEST_REDIS_URL,
      AUREN_STREAM_KEY: `e2e:schemathesis:${Date.now()}`,
      AUREN_STREAM_MAXLEN: '10000',
      AUREN_API_KEYS: token,
      AUREN_JWT_SECRET: randomBytes(32).toString('hex'),
      AUREN_LOG_LEVEL: 'warn',
      // The harness's Redis keeps nothing on disk (docs/durability.md); the generated traffic
      // is far over any sensible per-credential limit: both are accepted here on purpose.
      AUREN_REDIS_ALLOW_VOLATILE: 'true',
      AUREN_RATE_LIMIT_EVENTS_PER_SECOND: '0',
    });
    await ingest.ready(`${url}/health/ready`);
  }, 60_000);

  afterAll(async () => {
    await ingest?.stop();
  });

  it(
    'reports zero failures',
    async () => {
      const python = await ensureVenv(VENVS.schemathesis);
      const run = await st(
        python,
        [
          'run',
          `${url}/docs-json`,
          '--checks',
          'all',
          '--phases',
          'examples,coverage,fuzzing,stateful',
          '--header',
          `Authorization: Bearer ${token}`,
          '--max-examples',
          '30',
          '--max-time',
          String(BUDGET_SECONDS),
          '--workers',
          '2',
          '--seed',
          String(Date.now() % 1_000_000),
        ],
        {},
      );
      const summary = run.output.slice(run.output.lastIndexOf('FAILURES') - 200);
      if (run.code !== 0) {
        process.stderr.write(`schemathesis failed (exit ${run.code}):\n${summary}\n`);
        process.stderr.write(`ingest output:\n${ingest.text.slice(-4000)}\n`);
      }
      expect({ code: run.code, failures: run.code === 0 ? '' : summary }).toEqual({
        code: 0,
        failures: '',
      });
      expect(run.output).toMatch(/No issues found/);
    },
    (BUDGET_SECONDS + 120 + 180) * 1000, // budget, start-up, and a first venv build
  );
});
