import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

function which(binary: string): string | undefined {
  try {
    return (
      execFileSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

/**
 * A server binary the tests need: found on PATH (or at one of `paths`: /usr/sbin is not on every
 * user's PATH), else installed from Debian's package when running as root, else an error that
 * says how to install it.
 */
export function ensureBinary(spec: {
  binary: string;
  debianPackage: string;
  paths?: string[];
  hint: string;
}): string {
  const find = () => which(spec.binary) ?? spec.paths?.find((path) => existsSync(path));
  const found = find();
  if (found) return found;
  if (process.getuid?.() === 0 && which('apt-get')) {
    process.stderr.write(
      `test harness: ${spec.binary} missing; installing Debian package ${spec.debianPackage} ...\n`,
    );
    execFileSync(
      'sh',
      [
        '-c',
        `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${spec.debianPackage} >/dev/null`,
      ],
      { stdio: 'inherit' },
    );
    const installed = find();
    if (installed) return installed;
  }
  throw new Error(spec.hint);
}
