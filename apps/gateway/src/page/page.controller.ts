import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Controller,
  Get,
  Header,
  HttpCode,
  NotFoundException,
  Param,
  Req,
  Res,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiExcludeController } from '@nestjs/swagger';
import { DashboardFiles } from './dashboard-files';
import { DashboardClientConfig, DashboardSettings } from './dashboard-settings';

/** Shown at `/` when `dist/dashboard` is missing (a gateway started without `npm run build`). */
const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>AUREN dashboard not built</title></head>
<body><h1>The dashboard is not built</h1><p>Run <code>npm run build</code> (or <code>npm start</code>), then reload.
The live console is at <a href="/console">/console</a>.</p></body></html>`;

/**
 * The dashboard at `/` (the Vite build in dist/dashboard, docs/dashboard.md), its hashed assets
 * under `/assets/`, its start-up config at `/dashboard/config.json`, and the older single-file
 * live console at `/console` (apps/gateway/src/page/public/index.html).
 */
@ApiExcludeController()
@Controller()
export class PageController {
  private readonly consoleHtml = readFileSync(join(__dirname, 'public', 'index.html'), 'utf8');
  /** Only the console's own inline script (by hash) and same-origin resources may run. */
  private readonly consolePolicy = contentSecurityPolicy(inlineScriptHashes(this.consoleHtml));
  private readonly dashboard = new DashboardFiles();

  constructor(private readonly settings: DashboardSettings) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @Header('X-Content-Type-Options', 'nosniff')
  index(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): string {
    const history = this.settings.historyUrl(request.protocol, request.headers.host);
    // The build has no inline script: 'self' alone runs its module bundle.
    void reply.header(
      'Content-Security-Policy',
      contentSecurityPolicy([], history ? [new URL(history).origin] : []),
    );
    return this.dashboard.index ?? NOT_BUILT;
  }

  @Get('console')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @Header('X-Content-Type-Options', 'nosniff')
  console(@Res({ passthrough: true }) reply: FastifyReply): string {
    void reply.header('Content-Security-Policy', this.consolePolicy);
    return this.consoleHtml;
  }

  /** Vite's hashed files: a new build has new names, so they can be cached for good. */
  @Get('assets/:name')
  asset(
    @Param('name') name: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Buffer {
    const asset = this.dashboard.asset(name);
    if (!asset) throw new NotFoundException(`no dashboard asset ${name}`);
    void reply
      .header('Content-Type', asset.contentType)
      .header('Cache-Control', 'public, max-age=31536000, immutable')
      .header('X-Content-Type-Options', 'nosniff')
      .header('Vary', 'Accept-Encoding');
    const accepts = String(request.headers['accept-encoding'] ?? '');
    if (asset.gzip && /\bgzip\b/.test(accepts)) {
      void reply.header('Content-Encoding', 'gzip');
      return asset.gzip;
    }
    return asset.body;
  }

  /** What the dashboard reads at start: mode, history GraphQL URL, development token. */
  @Get('dashboard/config.json')
  @Header('Cache-Control', 'no-store')
  config(@Req() request: FastifyRequest): DashboardClientConfig {
    return this.settings.clientConfig(request.protocol, request.headers.host);
  }

  /** Browsers ask for it; answering 204 keeps their consoles free of a 404. */
  @Get('favicon.ico')
  @HttpCode(204)
  favicon(): void {}
}

function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(
    ([, body]) => `'sha256-${createHash('sha256').update(body).digest('base64')}'`,
  );
}

/** Same-origin scripts (plus the given hashes), connections to this origin, WebSockets and `connect`. */
export function contentSecurityPolicy(scriptHashes: string[], connect: string[] = []): string {
  return [
    "default-src 'self'",
    `script-src 'self'${scriptHashes.map((hash) => ` ${hash}`).join('')}`,
    "style-src 'self' 'unsafe-inline'",
    `connect-src 'self' ws: wss:${connect.map((origin) => ` ${origin}`).join('')}`,
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
