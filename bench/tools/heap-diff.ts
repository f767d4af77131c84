/**
 * What an idle connection keeps on the heap: starts a server (AUREN gateway from dist/, or the
 * bare Socket.IO baseline), takes a heap snapshot through the inspector, connects N idle clients
 * (the P5 workload), takes another, and prints the object groups that grew, per connection.
 *
 *   npx tsx bench/tools/heap-diff.ts [--server auren|bare] [--clients 1000] [--top 40]
 */
import { randomBytes } from 'node:crypto';
import { RedisServer } from '../../test/harness/redis';
import { waitFor } from '../../test/harness/wait';
import { Inspector } from '../lib/inspector';
import { isLoadMessage, type LoadConfig } from '../lib/ipc';
import { ManagedProcess, stopAll } from '../lib/processes';
import { buildDist, startAuren, startBare, type ServerUnderTest } from '../lib/servers';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size and count per object group. */
function groups(text: string): Map<string, { count: number; size: number }> {
  const snap = JSON.parse(text) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const out = new Map<string, { count: number; size: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]];
    const name = snap.strings[snap.nodes[i + nameAt]];
    let key: string;
    if (type === 'object') key = name;
    else if (type === 'closure') key = `closure ${name || '(anonymous)'}`;
    else if (type === 'string' || type === 'concatenated string' || type === 'sliced string')
      key = '(strings)';
    else key = `(${type}) ${name.slice(0, 60)}`;
    const group = out.get(key) ?? { count: 0, size: 0 };
    group.count += 1;
    group.size += snap.nodes[i + sizeAt];
    out.set(key, group);
  }
  return out;
}

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at > 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

async function connect(server: ServerUnderTest, count: number, secret: string) {
  const config: LoadConfig = {
    url: server.url,
    server: server.kind,
    first: 0,
    count,
    population: count,
    seed: 42,
    jwtSecret: secret,
    connectConcurrency: 50,
  };
  const load = ManagedProcess.tsx('idle clients', 'bench/load/idle-clients.ts', {
    ipc: true,
    env: { BENCH_LOAD_CONFIG: JSON.stringify(config) },
  });
  await load.message(isLoadMessage('connected'), 120_000);
  await waitFor(async () => (await server.connections()) === count, { timeoutMs: 30_000 });
  return load;
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    process.stdout.write(
      'usage: npx tsx bench/tools/heap-diff.ts [--server auren|bare] [--clients 1000] [--top 40]\n',
    );
    return;
  }
  const kind = option('--server', 'auren');
  const clients = Number(option('--clients', '1000'));
  const top = Number(option('--top', '40'));
  buildDist();
  const redis = await RedisServer.start();
  const secret = randomBytes(36).toString('base64');
  const options = {
    redisUrl: redis.url,
    streamKey: `bench:heap:${Date.now()}`,
    jwtSecret: secret,
    inspect: true,
  };
  const server =
    kind === 'bare' ? await startBare(options, 'broadcast') : await startAuren(options);
  const inspector = await Inspector.connect(server.inspectorPort as number);
  try {
    const warm = await connect(server, 50, secret);
    warm.send({ cmd: 'exit' });
    await warm.waitExit(5000);
    await waitFor(async () => (await server.connections()) === 0, { timeoutMs: 10_000 });
    const before = groups(await inspector.takeHeapSnapshot());
    const load = await connect(server, clients, secret);
    const after = groups(await inspector.takeHeapSnapshot());
    load.send({ cmd: 'exit' });
    const rows: Array<[string, number, number]> = [];
    let total = 0;
    for (const [key, b] of after) {
      const a = before.get(key) ?? { count: 0, size: 0 };
      const size = b.size - a.size;
      total += size;
      rows.push([key, b.count - a.count, size]);
    }
    rows.sort((x, y) => y[2] - x[2]);
    process.stdout.write(
      `${server.label}: heap self size grew ${(total / clients).toFixed(0)} bytes per connection (${clients} idle clients)\n\n` +
        `bytes/conn  objects/conn  group\n`,
    );
    for (const [key, count, size] of rows.slice(0, top)) {
      process.stdout.write(
        `${(size / clients).toFixed(0).padStart(10)}  ${(count / clients).toFixed(2).padStart(12)}  ${key}\n`,
      );
    }
  } finally {
    inspector.close();
    await stopAll();
    await redis.dispose();
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
