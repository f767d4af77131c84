import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

/**
 * The dashboard's unit tests are Vitest suites (apps/dashboard/src/**\/*.test.ts: they import
 * browser-side ES modules that Jest's CommonJS runtime does not load). This file runs them once,
 * when Jest collects it, and reports each Vitest test as a Jest test, so that `npm test` runs them
 * and its closing `N passed, N failed` line counts them. `npm run test:dashboard` runs Vitest alone.
 */
interface VitestAssertion {
  fullName: string;
  status: 'passed' | 'failed' | 'skipped' | 'pending' | 'todo' | 'disabled';
  failureMessages: string[];
}
interface VitestReport {
  testResults: { name: string; message?: string; assertionResults: VitestAssertion[] }[];
}

const ROOT = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'auren-vitest-'));
const output = join(dir, 'report.json');
let runError = '';
try {
  execFileSync(
    join(ROOT, 'node_modules', '.bin', 'vitest'),
    [
      'run',
      '--config',
      'apps/dashboard/vite.config.mjs',
      '--reporter=json',
      `--outputFile=${output}`,
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 },
  );
} catch (error) {
  // Exit status 1 with a report: some tests failed (reported below, one by one).
  runError = String((error as { stderr?: Buffer }).stderr ?? (error as Error).message);
}
let report: VitestReport | undefined;
try {
  report = JSON.parse(readFileSync(output, 'utf8')) as VitestReport;
} catch {
  report = undefined;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

describe('dashboard (Vitest)', () => {
  if (!report) {
    it('runs', () => {
      throw new Error(`vitest produced no report:\n${runError}`);
    });
    return;
  }
  for (const file of report.testResults) {
    describe(relative(ROOT, file.name), () => {
      if (file.assertionResults.length === 0)
        it('loads', () => {
          if (file.message) throw new Error(file.message);
        });
      for (const test of file.assertionResults) {
        if (test.status === 'passed') it(test.fullName, () => undefined);
        else if (test.status === 'failed')
          it(test.fullName, () => {
            throw new Error(test.failureMessages.join('\n'));
          });
        else it.skip(test.fullName, () => undefined);
      }
    });
  }
});
