import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The Python side of the tests: clients/python (the SDK) and its virtualenv clients/python/.venv,
 * created on first use with the packages of clients/python/requirements-test.txt (CrewAI, pytest)
 * and reused while that file and the Python version stay the same.
 */
export const PYTHON_DIR = join(__dirname, '..', '..', 'clients', 'python');
const VENV = join(PYTHON_DIR, '.venv');
const REQUIREMENTS = join(PYTHON_DIR, 'requirements-test.txt');
const STAMP = join(VENV, '.auren-requirements');
const LOCK = join(PYTHON_DIR, '.venv.lock');
export const VENV_PYTHON = join(VENV, 'bin', 'python');

/** Environment that keeps CrewAI off the network and out of the user's home directory. */
function offlinePythonEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: home,
    XDG_DATA_HOME: join(home, 'data'),
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
    CREWAI_DISABLE_TELEMETRY: 'true',
    OTEL_SDK_DISABLED: 'true',
    CREWAI_TRACING_ENABLED: 'false',
    CREWAI_DISABLE_VERSION_CHECK: 'true',
    CREWAI_TESTING: 'true',
  };
}

function systemPython(): string {
  const python = process.env.AUREN_PYTHON ?? 'python3';
  const probe = () => {
    try {
      execFileSync(python, ['-c', 'import venv, ensurepip'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (probe()) return python;
  // Debian/Ubuntu ship venv's ensurepip in a separate package.
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    process.stderr.write(
      'test harness: python3 venv support missing; installing python3-venv ...\n',
    );
    execFileSync(
      'sh',
      [
        '-c',
        'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null',
      ],
      { stdio: 'inherit' },
    );
    if (probe()) return python;
  }
  throw new Error(
    `${python} with the venv module is needed for the Python SDK tests. Install it (Debian/Ubuntu: sudo apt-get install python3 python3-venv; macOS: brew install python) or set AUREN_PYTHON to a Python 3.10+ interpreter.`,
  );
}

function wanted(python: string): string {
  const version = execFileSync(python, ['-c', 'import sys; print(sys.version)'], {
    encoding: 'utf8',
  });
  return createHash('sha256').update(readFileSync(REQUIREMENTS)).update(version).digest('hex');
}

function current(): string | undefined {
  try {
    return existsSync(VENV_PYTHON) ? readFileSync(STAMP, 'utf8').trim() : undefined;
  } catch {
    return undefined;
  }
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: PYTHON_DIR,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`)),
    );
  });
}

async function withLock<T>(work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A lock older than 15 minutes belongs to a run that died.
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 15 * 60_000)
        rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${LOCK}; remove it if no test run is active`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** The venv's python, after creating or updating the venv when requirements-test.txt changed. */
export async function ensurePythonVenv(): Promise<string> {
  const python = systemPython();
  const stamp = wanted(python);
  if (current() === stamp) return VENV_PYTHON;
  return withLock(async () => {
    if (current() === stamp) return VENV_PYTHON; // another worker made it meanwhile
    const started = Date.now();
    process.stderr.write(
      `test harness: creating Python venv in ${VENV} and installing crewai (first run, ~1-2 min) ...\n`,
    );
    await run(python, ['-m', 'venv', '--clear', VENV]);
    await run(VENV_PYTHON, [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '-r',
      REQUIREMENTS,
    ]).catch((error: Error) => {
      throw new Error(
        `${error.message}: pip could not install ${REQUIREMENTS} (PyPI must be reachable; a proxy goes in PIP_INDEX_URL)`,
      );
    });
    writeFileSync(STAMP, `${stamp}\n`);
    process.stderr.write(
      `test harness: Python venv ready in ${Math.round((Date.now() - started) / 1000)} s\n`,
    );
    return VENV_PYTHON;
  });
}

export interface PythonRun {
  code: number | null;
  output: string;
}

/** Runs the venv's python; resolves with exit code and combined output (never rejects on failure). */
export function runPython(
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs = 120_000,
): Promise<PythonRun> {
  const home = mkdtempSync(join(tmpdir(), 'auren-py-home-'));
  const cleanup = () => rmSync(home, { recursive: true, force: true });
  return new Promise<PythonRun>((resolve, reject) => {
    const child = spawn(VENV_PYTHON, args, {
      cwd: PYTHON_DIR,
      env: { ...offlinePythonEnv(home), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`python ${args.join(' ')} ran over ${timeoutMs} ms:\n${chunks.join('')}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output: chunks.join('') });
    });
  }).finally(cleanup);
}
