import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';

/** The live page at `/` (apps/gateway/src/page/public/index.html), read once at start. */
@ApiExcludeController()
@Controller()
export class PageController {
  private readonly html = readFileSync(join(__dirname, 'public', 'index.html'), 'utf8');

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  index(): string {
    return this.html;
  }
}
