#!/usr/bin/env node
// Builds the publishable @auren/sdk package into libs/sdk/dist: compiles src/ with the package's
// own tsconfig and copies the gRPC .proto beside the code, so that the package never reaches into
// another part of the monorepo at run time.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(`usage: node libs/sdk/scripts/build.mjs

Builds @auren/sdk into libs/sdk/dist/:
  1. removes dist/
  2. compiles src/ (without specs) with libs/sdk/tsconfig.build.json (JavaScript + .d.ts)
  3. copies libs/contracts/src/proto/auren/events/v1/events.proto to dist/proto/

Runs on \`npm pack\` / \`npm publish\` in libs/sdk (prepack). Needs the monorepo's node_modules
(typescript, @types/node): run \`npm ci\` at the repository root first.`);
  process.exit(0);
}

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const PROTO = join('auren', 'events', 'v1', 'events.proto');
const protoSource = join(pkg, '..', 'contracts', 'src', 'proto', PROTO);
const step = (text) => process.stderr.write(`sdk build: ${text}\n`);

let tsc;
try {
  tsc = createRequire(join(pkg, 'package.json')).resolve('typescript/bin/tsc');
} catch {
  console.error(
    'sdk build: typescript is not installed; run `npm ci` at the repository root, then try again',
  );
  process.exit(1);
}
if (!existsSync(protoSource)) {
  console.error(
    `sdk build: ${protoSource} is missing; the gRPC transport needs it (is the monorepo checked out in full?)`,
  );
  process.exit(1);
}

step('removing dist/');
rmSync(join(pkg, 'dist'), { recursive: true, force: true });
step('compiling src/ -> dist/ ...');
try {
  execFileSync(process.execPath, [tsc, '-p', join(pkg, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
} catch {
  console.error(
    'sdk build: TypeScript reported the errors above; fix them and run the build again',
  );
  process.exit(1);
}
step(`copying ${PROTO} -> dist/proto/`);
cpSync(protoSource, join(pkg, 'dist', 'proto', PROTO));
step('done');
