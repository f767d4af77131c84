#!/usr/bin/env node
// Compiles apps and libs into dist/ when the sources are newer than the last build (or with
// --force). Several `npm run start:*` at once share one build through a lock directory.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

if (process.argv.includes('--help')) {
  console.log(
    'usage: node scripts/build.mjs [--force]\n  compiles apps/ and libs/ into dist/ if sources changed',
  );
  process.exit(0);
}
const root = new URL('..', import.meta.url).pathname;
const stamp = join(root, 'dist', '.build-stamp');
const lock = join(root, '.build.lock');

function newest(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let max = info.mtimeMs;
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)));
  return max;
}
const fresh = () =>
  existsSync(stamp) &&
  statSync(stamp).mtimeMs >=
    Math.max(
      ...['apps', 'libs', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'].map((p) =>
        newest(join(root, p)),
      ),
    );

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
function acquire() {
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(lock);
      return;
    } catch {
      if (waited > 120_000) {
        console.error(`build: ${lock} held for 2 minutes; remove it if no build is running`);
        process.exit(1);
      }
      sleep(200);
    }
  }
}

if (!process.argv.includes('--force') && fresh()) process.exit(0);
acquire();
try {
  if (process.argv.includes('--force') || !fresh()) {
    process.stderr.write('build: compiling apps and libs into dist/ ...\n');
    const bin = (name) => join(root, 'node_modules', '.bin', name);
    rmSync(join(root, 'dist'), { recursive: true, force: true });
    try {
      execFileSync(bin('tsc'), ['-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
    } catch (error) {
      // Exit status 2: type errors, but every file was emitted. Type errors are `npm run check`'s
      // job (CI runs it first); the tests run what compiles, like ts-jest does.
      if (error.status !== 2) throw error;
      process.stderr.write(
        'build: type errors above (emitted anyway; `npm run check` fails on them)\n',
      );
    }
    execFileSync(bin('tsc-alias'), ['-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
    cpSync(
      join(root, 'apps/gateway/src/page/public'),
      join(root, 'dist/apps/gateway/src/page/public'),
      { recursive: true },
    );
    // The gRPC .proto files, loaded at run time (AUREN_EVENTS_PROTO_PATH in @auren/contracts).
    cpSync(join(root, 'libs/contracts/src/proto'), join(root, 'dist/libs/contracts/src/proto'), {
      recursive: true,
    });
    writeFileSync(stamp, new Date().toISOString());
    process.stderr.write('build: done\n');
  }
} finally {
  rmSync(lock, { recursive: true, force: true });
}
