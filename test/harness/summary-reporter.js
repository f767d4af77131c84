// eslint-disable-next-line @typescript-eslint/no-require-imports -- Jest loads reporters as CommonJS
const { writeSync } = require('node:fs');

/**
 * Ends every run with the plain line CI reads: `N passed, N failed` (and skipped, when any).
 *
 * The line is written when the process exits, not in onRunComplete: Jest writes more after the
 * reporters have run — the global teardown's output and, with `forceExit` (jest.config.js), its
 * "Force exiting Jest" warning just before it calls process.exit — and the summary must be the
 * last line of the output. Jest exits through the `exit` package, which replaces
 * `process.stdout.write` with a no-op before calling process.exit, so the line goes straight to
 * file descriptor 1, synchronously (an `exit` listener cannot wait for anything).
 */
class SummaryReporter {
  constructor() {
    this.line = undefined;
  }

  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failedSuites = results.numRuntimeErrorTestSuites;
    const failed = results.numFailedTests + failedSuites;
    const first = this.line === undefined;
    this.line = `${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
    // Once per process (watch mode completes many runs): the latest run's line is printed.
    if (first) process.once('exit', () => writeOut(`\n${this.line}\n`));
  }
}

/** Writes all of `text` (ASCII) to stdout now; a non-blocking pipe that is full is retried a while. */
function writeOut(text) {
  let rest = text;
  for (let attempt = 0; rest.length > 0 && attempt < 100_000; attempt += 1) {
    try {
      rest = rest.slice(writeSync(1, rest));
    } catch (error) {
      if (error.code !== 'EAGAIN') return;
    }
  }
}
module.exports = SummaryReporter;
