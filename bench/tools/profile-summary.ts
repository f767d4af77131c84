/**
 * Where the time goes in a `.cpuprofile` (from `npm run bench -- --profile`, or `node
 * --cpu-prof`): self time by function and by origin (AUREN code in dist/, each npm package,
 * Node internals, GC, idle).
 *
 *   npx tsx bench/tools/profile-summary.ts <file.cpuprofile> [--top 30]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function origin(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return 'native (program)';
  if (!url) return `native ${name}`;
  // The innermost package: Nest's own socket.io copy counts as socket.io, not as Nest.
  const packages = [...url.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)];
  if (packages.length) {
    const nested = packages.length > 1 ? ` (under ${packages[0][1]})` : '';
    return `${packages[packages.length - 1][1]}${nested}`;
  }
  const dist = /\/dist\/((?:apps|libs)\/[^/]+)/.exec(url);
  if (dist) return `AUREN ${dist[1]}`;
  if (url.startsWith('node:')) return 'node internals';
  return url;
}

export function summarize(profile: Profile, top = 30): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  });
  const byFunction = new Map<string, number>();
  const byOrigin = new Map<string, number>();
  for (const [id, time] of self) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const file = frame.url.replace(/^.*\/(node_modules|dist)\//, '$1/');
    const key = `${frame.functionName || '(anonymous)'}  ${file}:${frame.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + time);
    const o = origin(frame.url, frame.functionName);
    byOrigin.set(o, (byOrigin.get(o) ?? 0) + time);
  }
  const busy = total - (byOrigin.get('idle') ?? 0);
  const row = ([name, time]: [string, number]) =>
    `${((time / busy) * 100).toFixed(1).padStart(5)} %  ${(time / 1000).toFixed(0).padStart(7)} ms  ${name}`;
  const sorted = (map: Map<string, number>) =>
    [...map].filter(([name]) => name !== 'idle').sort((a, b) => b[1] - a[1]);
  return [
    `profile: ${(total / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(1)} s (percentages of busy time)`,
    '',
    'by origin (self time):',
    ...sorted(byOrigin).map(row),
    '',
    `top ${top} functions (self time):`,
    ...sorted(byFunction).slice(0, top).map(row),
  ].join('\n');
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file || file === '--help') {
    process.stdout.write(
      'usage: npx tsx bench/tools/profile-summary.ts <file.cpuprofile> [--top N]\n',
    );
    process.exit(file ? 0 : 2);
  }
  const at = process.argv.indexOf('--top');
  const top = at > 0 ? Number(process.argv[at + 1]) : 30;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  process.stdout.write(`${summarize(profile, top)}\n`);
}
