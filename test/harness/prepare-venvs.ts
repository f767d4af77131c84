/**
 * Builds every Python virtualenv the tests use (test/harness/python.ts VENVS), all at once, so
 * that the suite does not build them one after the other inside its tests. `.ci/run` runs it
 * beside the type check and lint; locally the tests build what they need on first use anyway.
 *
 *   npx tsx test/harness/prepare-venvs.ts [--help]
 */
import { ensureVenv, VENVS } from './python';

if (process.argv.includes('--help')) {
  process.stdout.write(
    `prepare-venvs: build the tests' Python virtualenvs (${Object.keys(VENVS).join(', ')}) in parallel.\n` +
      'Each is rebuilt only when its requirements file or the Python version changed.\n',
  );
  process.exit(0);
}

async function main(): Promise<void> {
  const started = Date.now();
  const results = await Promise.allSettled(
    Object.entries(VENVS).map(async ([name, spec]) => {
      const t0 = Date.now();
      await ensureVenv(spec);
      process.stdout.write(
        `prepare-venvs: ${name} ready (${Math.round((Date.now() - t0) / 1000)} s)\n`,
      );
    }),
  );
  const failed = results.flatMap((r, i) =>
    r.status === 'rejected' ? [`${Object.keys(VENVS)[i]}: ${(r.reason as Error).message}`] : [],
  );
  if (failed.length > 0) {
    process.stderr.write(`prepare-venvs: failed\n${failed.join('\n')}\n`);
    process.exit(1);
  }
  process.stdout.write(
    `prepare-venvs: all ready in ${Math.round((Date.now() - started) / 1000)} s\n`,
  );
}

void main();
