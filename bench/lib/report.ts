/** The machine the bench ran on, and the Markdown/JSON reports of a run. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { openFilesLimit, ROOT } from './processes';
import { fmt, pct, type ScenarioResult } from './scenario';

export interface Hardware {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  kernel: string;
  redis: string;
  packages: Record<string, string>;
  openFiles: { soft: number; hard: number; childrenRaisedTo?: number };
  loadAverageAtStart: number[];
  sharedMachine: string;
}

function version(pkg: string): string {
  try {
    const json = readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8');
    return (JSON.parse(json) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

export function hardware(): Hardware {
  const limit = openFilesLimit();
  let redis = 'unknown';
  try {
    redis = execFileSync('redis-server', ['--version'], { encoding: 'utf8' })
      .trim()
      .replace(/^Redis server /, '');
  } catch {
    // not on PATH: an external Redis was given
  }
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: release(),
    redis,
    packages: Object.fromEntries(
      [
        'socket.io',
        '@nestjs/platform-socket.io/node_modules/socket.io',
        'socket.io-client',
        'engine.io',
        'ws',
        'ioredis',
        '@nestjs/core',
      ]
        .map((p): [string, string] => [p.replace('/node_modules/', ' → '), version(p)])
        // Nest's own copy of socket.io exists only when its version differs from the top one.
        .filter(([name, v]) => !(name.includes(' → ') && v === 'not installed')),
    ),
    openFiles: { soft: limit.soft, hard: limit.hard, childrenRaisedTo: limit.raiseTo },
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    sharedMachine:
      'servers, load generators (clients and publisher) and redis-server all run on this machine and share its cores',
  };
}

/** The commit the run measured, and the files changed since (outside bench/). */
export function source(): { commit: string; uncommitted: string[] } {
  const git = (args: string[]) =>
    execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    return {
      commit: git(['rev-parse', '--short', 'HEAD']).trim(),
      uncommitted: git(['status', '--porcelain'])
        .split('\n')
        .map((line) => line.slice(3).trim())
        .filter((path) => path && !path.startsWith('bench/') && !path.startsWith('docs/')),
    };
  } catch {
    return { commit: 'unknown (not a git checkout)', uncommitted: [] };
  }
}

export interface RunReport {
  startedAt: string;
  source: ReturnType<typeof source>;
  mode: 'quick' | 'full';
  durationSeconds: number;
  hardware: Hardware;
  results: ScenarioResult[];
  failures: Array<{ id: string; error: string }>;
}

function ratioText(result: ScenarioResult): string {
  return Number.isFinite(result.ratio) ? pct(result.ratio) : 'n/a';
}

export function markdown(report: RunReport): string {
  const h = report.hardware;
  const lines = [
    `## AUREN benchmark — ${report.startedAt} (${report.mode}, ${fmt(report.durationSeconds)} s)`,
    '',
    '| id | scenario | AUREN | baseline (same run) | ratio | goal | met |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of report.results) {
    const met = r.met === null ? 'n/a' : r.met ? 'yes' : '**no**';
    lines.push(
      `| ${r.id} | ${r.title} | ${r.auren.text} | ${r.baseline.label}: ${r.baseline.text} | ${ratioText(r)} | ${r.goal} | ${met} |`,
    );
  }
  for (const f of report.failures)
    lines.push(`| ${f.id} | failed: ${f.error.split('\n')[0]} | | | | | **no** |`);
  lines.push('');
  for (const r of report.results) for (const note of r.notes) lines.push(`- ${note}`);
  lines.push(
    '',
    `Time per scenario: ${report.results.map((r) => `${r.id} ${r.seconds ?? '?'} s`).join(', ')}; whole run ${fmt(report.durationSeconds)} s.`,
  );
  lines.push(
    '',
    `Machine: ${h.cpuModel}, ${h.cores} cores, ${h.memoryGiB} GiB; Node ${h.node}; Linux ${h.kernel}; Redis ${h.redis}; load average at start ${h.loadAverageAtStart.join(' / ')}.`,
    `Packages: ${Object.entries(h.packages)
      .map(([name, v]) => `${name} ${v}`)
      .join(', ')}.`,
    `Source: ${report.source.commit}${report.source.uncommitted.length ? ` with uncommitted changes to ${report.source.uncommitted.join(', ')}` : ''}.`,
    `Open files: soft ${h.openFiles.soft}, hard ${h.openFiles.hard}${h.openFiles.childrenRaisedTo ? `, children raised to ${h.openFiles.childrenRaisedTo}` : ''}.`,
    `Note: ${h.sharedMachine}; figures are comparable within a run (the ratios), not across machines.`,
    '',
    'Settings:',
    '',
  );
  for (const r of report.results) lines.push(`- ${r.id}: \`${JSON.stringify(r.settings)}\``);
  return `${lines.join('\n')}\n`;
}
