#!/usr/bin/env node
/* global window, setTimeout -- page.evaluate callbacks run in the browser; setTimeout is Node's */
// uPlot against ECharts on the dashboard's busiest chart shape: three stacked area series of
// 3,600 points (an hour at one point a second), drawn once, then redrawn 100 times with the
// window moved by one point, in Debian's Chromium. Reports the gzipped bundle of each (ECharts
// tree-shaken to line + grid + legend + tooltip + canvas) and the first-draw and redraw times.
// Its own package.json: the project itself does not depend on ECharts.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

if (process.argv.includes('--help')) {
  console.log(`usage: node bench/tools/chart-compare/run.mjs [--rounds N]
  installs echarts, uplot and vite into bench/tools/chart-compare/node_modules (first run),
  builds both pages, and times them in /usr/bin/chromium; prints JSON`);
  process.exit(0);
}
const here = dirname(fileURLToPath(import.meta.url));
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 3;
const say = (line) => process.stderr.write(`chart-compare: ${line}\n`);
if (!existsSync(join(here, 'node_modules', 'echarts'))) {
  say('installing echarts, uplot and vite (first run) ...');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-save'], {
    cwd: here,
    stdio: 'inherit',
  });
}
say('building both pages ...');
const build = execFileSync(join(here, 'node_modules', '.bin', 'vite'), ['build'], {
  cwd: here,
  encoding: 'utf8',
});
const sizes = [
  ...build.matchAll(/assets\/(uplot|echarts)-\S+\.js\s+[\d.]+ kB │ gzip:\s+([\d.]+) kB/g),
].map(([, lib, kb]) => [lib, Number(kb)]);
const port = 4700 + Math.floor(Math.random() * 200);
const server = spawn(
  join(here, 'node_modules', '.bin', 'vite'),
  ['preview', '--port', String(port), '--strictPort'],
  {
    cwd: here,
    stdio: 'ignore',
  },
);
const { chromium } = createRequire(join(here, '..', '..', '..', 'package.json'))('playwright-core');
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-background-networking'],
});
try {
  const results = { gzipKB: Object.fromEntries(sizes), uplot: [], echarts: [] };
  for (let round = 0; round < rounds; round++) {
    for (const lib of ['uplot', 'echarts']) {
      say(`round ${round + 1}/${rounds}: ${lib}`);
      const page = await browser.newPage();
      for (let tries = 0; ; tries++) {
        try {
          await page.goto(`http://127.0.0.1:${port}/${lib}/index.html`);
          break;
        } catch (error) {
          if (tries > 50) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100)); // the preview server starting
        }
      }
      await page.waitForFunction(() => window.result, null, { timeout: 60_000 });
      const r = await page.evaluate(() => window.result);
      const t = r.times.slice().sort((a, b) => a - b);
      results[lib].push({
        firstMs: +r.first.toFixed(1),
        redrawP50Ms: +t[50].toFixed(2),
        redrawP95Ms: +t[95].toFixed(2),
      });
      await page.close();
    }
  }
  console.log(JSON.stringify(results, null, 1));
} finally {
  await browser.close();
  server.kill();
}
