import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Header, HttpCode, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiExcludeController } from '@nestjs/swagger';

/** The live page at `/` (apps/gateway/src/page/public/index.html), read once at start. */
@ApiExcludeController()
@Controller()
export class PageController {
  private readonly html = readFileSync(join(__dirname, 'public', 'index.html'), 'utf8');
  /** Only the page's own inline script (by hash) and same-origin resources may run. */
  private readonly contentSecurityPolicy = contentSecurityPolicy(this.html);

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @Header('X-Content-Type-Options', 'nosniff')
  index(@Res({ passthrough: true }) reply: FastifyReply): string {
    void reply.header('Content-Security-Policy', this.contentSecurityPolicy);
    return this.html;
  }

  /** Browsers ask for it; answering 204 keeps their consoles free of a 404. */
  @Get('favicon.ico')
  @HttpCode(204)
  favicon(): void {}
}

function contentSecurityPolicy(html: string): string {
  const hashes = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(
    ([, body]) => `'sha256-${createHash('sha256').update(body).digest('base64')}'`,
  );
  return [
    "default-src 'self'",
    `script-src 'self' ${hashes.join(' ')}`,
    "style-src 'self' 'unsafe-inline'",
    "connect-src 'self' ws: wss:",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
