#!/usr/bin/env node
// Compiles apps and libs into dist/ when the sources are newer than the last build (or with
// --force), and builds the dashboard (apps/dashboard, Vite) into dist/dashboard when its sources
// are newer than its own build. Several `npm run start:*` at once share one build through a lock
// directory.
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
    'usage: node scripts/build.mjs [--force]\n  compiles apps/ and libs/ into dist/, and the dashboard into dist/dashboard, if sources changed',
  );
  process.exit(0);
}
/** A failure already explained on stderr (no stack trace). */
class BuildFailed extends Error {}

const root = new URL('..', import.meta.url).pathname;
const stamp = join(root, 'dist', '.build-stamp');
const dashboardDir = join(root, 'dist', 'dashboard');
const dashboardStamp = join(root, 'dist', '.dashboard-stamp');
const lock = join(root, '.build.lock');
/** The dashboard is built by Vite on its own (its own stamp): the server build skips it. */
const DASHBOARD_SOURCES = join(root, 'apps', 'dashboard');

function newest(path, skip = '') {
  if (path === skip) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let max = info.mtimeMs;
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name), skip));
  return max;
}
const newerThan = (file, sources, skip) =>
  existsSync(file) &&
  statSync(file).mtimeMs >= Math.max(...sources.map((p) => newest(join(root, p), skip)));
const serverFresh = () =>
  newerThan(
    stamp,
    ['apps', 'libs', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'],
    DASHBOARD_SOURCES,
  );
const dashboardFresh = () =>
  existsSync(join(dashboardDir, 'index.html')) &&
  newerThan(dashboardStamp, ['apps/dashboard', 'libs/contracts/src', 'package-lock.json']);
const fresh = () => serverFresh() && dashboardFresh();

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
  const force = process.argv.includes('--force');
  const bin = (name) => join(root, 'node_modules', '.bin', name);
  if (force || !serverFresh()) {
    process.stderr.write('build: compiling apps and libs into dist/ ...\n');
    // Everything but the dashboard's build, which has its own stamp.
    if (existsSync(join(root, 'dist')))
      for (const name of readdirSync(join(root, 'dist')))
        if (name !== 'dashboard' && name !== '.dashboard-stamp')
          rmSync(join(root, 'dist', name), { recursive: true, force: true });
    try {
      // noEmitOnError: a type error stops the build (and leaves no half-new dist/ to run).
      execFileSync(bin('tsc'), ['-p', 'tsconfig.build.json', '--noEmitOnError'], {
        cwd: root,
        stdio: 'inherit',
      });
    } catch (error) {
      if (error.status === 1 || error.status === 2) {
        throw new BuildFailed(
          'build: failed on the type errors above; nothing was emitted. Fix them (npm run check lists them too) and build again.',
        );
      }
      throw error;
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
  if (force || !dashboardFresh()) {
    process.stderr.write('build: building the dashboard into dist/dashboard ...\n');
    rmSync(dashboardStamp, { force: true });
    execFileSync(
      bin('vite'),
      ['build', '--config', 'apps/dashboard/vite.config.mjs', '--logLevel', 'warn'],
      // Vite keeps an NODE_ENV it inherits: under Jest (`test`) it would bundle React's
      // development build. The dashboard is always built for production.
      { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } },
    );
    writeFileSync(dashboardStamp, new Date().toISOString());
    process.stderr.write('build: dashboard done\n');
  }
} catch (error) {
  if (!(error instanceof BuildFailed)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
} finally {
  rmSync(lock, { recursive: true, force: true });
}
