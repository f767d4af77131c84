import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { RunningApp, startIngest, testConfig } from '../harness/apps';
import { freePort } from '../harness/ports';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const SDK = join(ROOT, 'libs', 'sdk');

interface Child {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `node <file>` in `cwd` and resolves when it ends on its own (or kills it after `limitMs`). */
function node(
  cwd: string,
  file: string,
  env: Record<string, string>,
  limitMs = 20_000,
): Promise<Child> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [file], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

// An agent script that tracks 7 events and never calls flush() or close().
const AGENT_CJS = `
const { AurenClient } = require('@auren/sdk');
const client = new AurenClient({
  url: process.env.AUREN_URL,
  flushIntervalMs: 60000,
  maxRetries: Infinity,
  retryBaseMs: 50,
  retryMaxMs: 200,
  exitFlushTimeoutMs: 1000,
  onError: (e) => console.log('error', e.kind, e.reason, e.eventIds.length),
});
const run = client.trackAgentStart('child-agent', { task: 'exit on its own' });
for (let i = 0; i < 5; i++) client.trackToolUsage('child-agent', { tool: 'tool-' + i });
client.trackAgentComplete('child-agent');
process.on('exit', () => console.log(JSON.stringify({
  sessionId: run.sessionId,
  stats: client.stats(),
  grpcLoaded: Object.keys(require.cache).some((k) => k.includes('@grpc')),
})));
`;

const AGENT_ESM = `
import { AurenClient } from '@auren/sdk';
const client = new AurenClient({ url: process.env.AUREN_URL });
client.trackDecision('esm-agent', { decision: 'imported as ESM' });
console.log(JSON.stringify(await client.close()));
try {
  new AurenClient({ transport: 'grpc' });
} catch (error) {
  console.log(error.message);
}
`;

const CONSUMER_TS = `
import { AurenClient, type AurenError, type ClientStats } from '@auren/sdk';
const client = new AurenClient({ url: 'http://127.0.0.1:3000', onError: (e: AurenError) => void e.reason });
const ids: { sessionId: string; traceId: string; eventId: string } = client.trackAgentStart('a', { task: 't' });
client.trackLlmCall('a', { model: 'm', inputTokens: 1, outputTokens: 2, cost: 0.1 });
// @ts-expect-error model is required
client.trackLlmCall('a', { inputTokens: 1 });
const stats: Promise<ClientStats> = client.flush();
void ids;
void stats;
`;

describe('The @auren/sdk package as a user installs it', () => {
  let dir: string;
  let ingest: RunningApp;
  let redis: Redis;
  let key: string;
  let packedFiles: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'auren-sdk-pack-'));
    // npm pack runs the package's prepack script: the package's own build into libs/sdk/dist.
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: SDK,
    });
    const [packed] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
    packedFiles = packed.files.map((f) => f.path);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', `./${packed.filename}`], {
      cwd: dir,
    });
    writeFileSync(join(dir, 'agent.cjs'), AGENT_CJS);
    writeFileSync(join(dir, 'agent.mjs'), AGENT_ESM);
    writeFileSync(join(dir, 'consumer.ts'), CONSUMER_TS);
    const config = await testConfig();
    ingest = await startIngest(config);
    key = config.stream.key;
    redis = new Redis(process.env.AUREN_TEST_REDIS_URL as string);
  }, 120_000);
  afterAll(async () => {
    redis?.disconnect();
    await ingest?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => redis.del(key));

  it('ships the compiled code, types, the .proto and the README, and no sources or specs', () => {
    const files = packedFiles;
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/proto/auren/events/v1/events.proto',
      ]),
    );
    expect(files.filter((f) => f.startsWith('src/') || f.includes('.spec.'))).toEqual([]);
  });

  it('a script that never calls close() still delivers on a natural exit, without loading gRPC', async () => {
    const child = await node(dir, 'agent.cjs', { AUREN_URL: ingest.url });
    expect(child.code).toBe(0);
    const report = JSON.parse(child.stdout.trim().split('\n').pop() as string) as {
      sessionId: string;
      stats: { sent: number; dropped: number };
      grpcLoaded: boolean;
    };
    expect(report.stats).toMatchObject({ sent: 7, dropped: 0 });
    expect(report.grpcLoaded).toBe(false);
    const entries = (await redis.xrange(key, '-', '+')) as [string, string[]][];
    const events = entries.map(
      ([, f]) => JSON.parse(f[1]) as { session_id: string; event_type: string },
    );
    expect(events).toHaveLength(7);
    expect(events.every((e) => e.session_id === report.sessionId)).toBe(true);
  });

  it('with a dead ingest the SDK does not keep the process alive: it exits after exitFlushTimeoutMs, reporting the drops', async () => {
    const child = await node(dir, 'agent.cjs', {
      AUREN_URL: `http://127.0.0.1:${await freePort()}`,
    });
    expect(child.code).toBe(0); // exited on its own, not killed at the 20 s limit
    expect(child.stdout).toContain('error dropped closed 7');
    const report = JSON.parse(child.stdout.trim().split('\n').pop() as string) as {
      stats: { sent: number; dropped: number; buffered: number };
    };
    expect(report.stats).toMatchObject({ sent: 0, dropped: 7, buffered: 0 });
    console.log(
      `SDK package: process with a dead ingest exited on its own after ${child.ms} ms (exitFlushTimeoutMs 1000)`,
    );
  });

  it('imports as ESM, and explains how to get the optional gRPC packages when they are missing', async () => {
    const child = await node(dir, 'agent.mjs', { AUREN_URL: ingest.url });
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    const [stats, message] = child.stdout.trim().split('\n');
    expect(JSON.parse(stats)).toMatchObject({ sent: 1, buffered: 0 });
    expect(message).toContain('npm install @grpc/grpc-js @grpc/proto-loader');
    expect(await redis.xlen(key)).toBe(1);
  });

  it('its type declarations work for a TypeScript user (node16 resolution through "exports")', async () => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = [
      tsc,
      '--noEmit',
      '--strict',
      '--module',
      'node16',
      '--moduleResolution',
      'node16',
      '--target',
      'ES2022',
      '--skipLibCheck',
      '--typeRoots',
      join(ROOT, 'node_modules', '@types'),
      '--types',
      'node',
      'consumer.ts',
    ];
    const result = await run(process.execPath, args, { cwd: dir }).catch(
      (error: { stdout: string; code: number }) => error,
    );
    expect(result.stdout).toBe('');
  });
});
