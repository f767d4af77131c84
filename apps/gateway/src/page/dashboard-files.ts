import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** One file of the dashboard's build, held in memory with its gzip form (when that is smaller). */
export interface DashboardAsset {
  body: Buffer;
  gzip?: Buffer;
  contentType: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** File names Vite gives hashed assets: no slash, no `..`. */
export const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}$/;

/**
 * Where `vite build` put the dashboard (`dist/dashboard`): next to `dist/apps` when the gateway runs
 * from dist/, under the repository's `dist/` when it runs from source (ts-jest, tsx).
 */
export function findDashboardBuild(from = __dirname): string | undefined {
  const candidates = [
    join(from, '..', '..', '..', '..', 'dashboard'),
    join(from, '..', '..', '..', '..', 'dist', 'dashboard'),
  ];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

/** The dashboard build read once at start: `index.html` and the hashed files of `assets/`. */
export class DashboardFiles {
  readonly index?: string;
  private readonly assets = new Map<string, DashboardAsset>();

  constructor(readonly dir = findDashboardBuild()) {
    if (!dir) return;
    this.index = readFileSync(join(dir, 'index.html'), 'utf8');
    const assetsDir = join(dir, 'assets');
    if (!existsSync(assetsDir)) return;
    for (const name of readdirSync(assetsDir)) {
      if (!ASSET_NAME.test(name)) continue;
      const body = readFileSync(join(assetsDir, name));
      const contentType = CONTENT_TYPES[extname(name)] ?? 'application/octet-stream';
      const compressible = /^(text|application)\/|svg/.test(contentType);
      const gzip = compressible ? gzipSync(body, { level: 9 }) : undefined;
      this.assets.set(name, {
        body,
        contentType,
        gzip: gzip && gzip.length < body.length ? gzip : undefined,
      });
    }
  }

  asset(name: string): DashboardAsset | undefined {
    return ASSET_NAME.test(name) ? this.assets.get(name) : undefined;
  }
}
