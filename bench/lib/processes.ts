/**
 * Child processes of the benchmark (servers, load generators), their /proc figures, and the
 * open-files limit they run with. Every child is tracked so that the runner can stop them all
 * when it ends or is interrupted.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

/** Open files a bench child may need: 2,000 sockets per side plus some slack. */
export const FD_NEEDED = 8192;

let fdLimit: { soft: number; hard: number; raiseTo?: number } | undefined;

/** The shell's open-files limits, and what children are raised to when the soft one is low. */
export function openFilesLimit(): { soft: number; hard: number; raiseTo?: number } {
  if (fdLimit) return fdLimit;
  const read = (flag: string) => {
    const text = execFileSync('sh', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).trim();
    return text === 'unlimited' ? Number.POSITIVE_INFINITY : Number(text);
  };
  const soft = read('-n');
  const hard = read('-Hn');
  fdLimit = { soft, hard };
  if (soft < FD_NEEDED && hard > soft) fdLimit.raiseTo = Math.min(hard, 65536);
  return fdLimit;
}

/** Whether `count` sockets fit into one process under the limit children run with. */
export function socketsFit(count: number): boolean {
  const limit = openFilesLimit();
  return (limit.raiseTo ?? limit.soft) >= count + 100;
}

const children = new Set<ManagedProcess>();

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  /** Open an IPC channel (`process.send` in the child). */
  ipc?: boolean;
}

/** A child process with its output kept (last lines) for error messages. */
export class ManagedProcess {
  private readonly lines: string[] = [];
  private exit?: { code: number | null; signal: NodeJS.Signals | null };
  private readonly exitWaiters: Array<() => void> = [];

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line) this.lines.push(line);
      if (this.lines.length > 200) this.lines.splice(0, this.lines.length - 200);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('exit', (code, signal) => {
      this.exit = { code, signal };
      children.delete(this);
      for (const wake of this.exitWaiters.splice(0)) wake();
    });
  }

  /** `node <args>`, through `sh -c 'ulimit -n ...; exec ...'` when the limit must be raised. */
  static node(name: string, args: string[], options: SpawnOptions = {}): ManagedProcess {
    const limit = openFilesLimit();
    const stdio: Array<'ignore' | 'pipe' | 'ipc'> = ['ignore', 'pipe', 'pipe'];
    if (options.ipc) stdio.push('ipc');
    const env = { ...process.env, ...options.env };
    const child =
      limit.raiseTo !== undefined
        ? spawn(
            'sh',
            ['-c', `ulimit -n ${limit.raiseTo} && exec "$0" "$@"`, process.execPath, ...args],
            { cwd: ROOT, env, stdio },
          )
        : spawn(process.execPath, args, { cwd: ROOT, env, stdio });
    const managed = new ManagedProcess(name, child);
    children.add(managed);
    return managed;
  }

  /** A TypeScript file of bench/, run with tsx (bare servers and load generators). */
  static tsx(name: string, file: string, options: SpawnOptions = {}): ManagedProcess {
    return ManagedProcess.node(name, ['--import', 'tsx', join(ROOT, file)], options);
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} did not start`);
    return this.child.pid;
  }

  get exited(): boolean {
    return this.exit !== undefined;
  }

  /** The last lines of output, for error messages. */
  tail(lines = 30): string {
    return this.lines.slice(-lines).join('\n');
  }

  /** Throws with the output when the process has ended. */
  assertRunning(): void {
    if (this.exit) {
      throw new Error(
        `${this.name} exited (code ${this.exit.code}, signal ${this.exit.signal}):\n${this.tail()}`,
      );
    }
  }

  send(message: unknown): void {
    this.child.send?.(message as object);
  }

  /** The next IPC message that `accept` takes; rejects on timeout or exit. */
  message<T>(accept: (message: unknown) => T | undefined, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
      };
      const onMessage = (message: unknown) => {
        let value: T | undefined;
        try {
          value = accept(message);
        } catch (error) {
          cleanup();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (value === undefined) return;
        cleanup();
        resolve(value);
      };
      const onExit = () => {
        cleanup();
        reject(new Error(`${this.name} exited:\n${this.tail()}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.name}: no answer within ${timeoutMs} ms\n${this.tail()}`));
      }, timeoutMs);
      this.child.on('message', onMessage);
      this.child.on('exit', onExit);
    });
  }

  onMessage(listener: (message: unknown) => void): void {
    this.child.on('message', listener);
  }

  /** Whether the process ended within `timeoutMs`. */
  async waitExit(timeoutMs: number): Promise<boolean> {
    if (this.exit) return true;
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      new Promise<boolean>((resolve) => this.exitWaiters.push(() => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    return ended;
  }

  /** Asks a load process to exit (IPC `exit`), and stops it when it has not within `graceMs`. */
  async exitOrStop(graceMs: number): Promise<void> {
    if (this.exited) return;
    this.send({ cmd: 'exit' });
    if (!(await this.waitExit(graceMs))) await this.stop();
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
    if (this.exit) return;
    const done = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await done;
    clearTimeout(timer);
  }
}

/** Stops every child still running (on exit or interruption). */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((child) => child.stop('SIGTERM', 2000)));
}

export function killAllNow(): void {
  for (const child of children) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Resident set size of a process, in bytes (`VmRSS` of /proc/<pid>/status). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ). */
export const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) a process has used so far; 0 when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** CPU seconds all cores have been busy since boot (user, nice, system, irq, softirq, steal). */
export function machineBusySeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const [user, nice, system, , , irq, softirq, steal] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return (user + nice + system + irq + softirq + (steal || 0)) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}
