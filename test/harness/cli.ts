import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from './wait';

const ROOT = join(__dirname, '..', '..');

/**
 * A developer tool of scripts/ run as its own process, the way `npm run <tool>` runs it (tsx), but
 * without npm in between: its exit code and its signals are the tool's own.
 */
export class CliProcess {
  private readonly out: string[] = [];
  private readonly err: string[] = [];
  private exitCode?: number | null;

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => this.out.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => this.err.push(chunk.toString()));
    child.on('exit', (code) => (this.exitCode = code));
  }

  /** `script` relative to the repository root, e.g. `scripts/tail.ts`. */
  static spawn(
    script: string,
    args: string[],
    env: Record<string, string | undefined> = {},
  ): CliProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new CliProcess(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get stdout(): string {
    return this.out.join('');
  }

  get stderr(): string {
    return this.err.join('');
  }

  /** Lines of stdout. */
  get lines(): string[] {
    return this.stdout.split('\n').filter(Boolean);
  }

  /** Waits until stdout or stderr (`where`) holds `text`; fails early when the tool exits. */
  async waitFor(text: string | RegExp, where: 'stdout' | 'stderr' = 'stdout', timeoutMs = 15_000) {
    const holds = () =>
      typeof text === 'string' ? this[where].includes(text) : text.test(this[where]);
    await waitFor(
      () => {
        if (holds()) return true;
        if (this.exitCode !== undefined) {
          throw new Error(
            `the tool exited (${this.exitCode}) without printing ${String(text)}:\n${this.stdout}\n${this.stderr}`,
          );
        }
        return false;
      },
      { timeoutMs, what: `${String(text)} on ${where}` },
    );
  }

  /** The exit code, once the tool has ended. */
  exited(timeoutMs = 15_000): Promise<number | null> {
    return waitFor(() => (this.exitCode !== undefined ? { code: this.exitCode } : undefined), {
      timeoutMs,
      what: `the tool to exit:\n${this.stdout}\n${this.stderr}`,
    }).then((r) => r.code);
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Ends the tool if it still runs (afterAll). */
  kill(): void {
    if (this.exitCode === undefined) this.child.kill('SIGKILL');
  }
}

/** Runs a tool to its end; resolves with exit code and output. */
export async function runCli(
  script: string,
  args: string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 15_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = CliProcess.spawn(script, args, env);
  try {
    const code = await cli.exited(timeoutMs);
    return { code, stdout: cli.stdout, stderr: cli.stderr };
  } finally {
    cli.kill();
  }
}
