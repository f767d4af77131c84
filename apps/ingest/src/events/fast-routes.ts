import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { RouteHandlerMethod, RouteOptions } from 'fastify';
import { IngestAuthGuard } from '../credentials/ingest-auth.guard';
import { EventsService, PublishOneResult } from './events.service';

const JSON_TYPE = 'application/json; charset=utf-8';

/** The 202 body of `POST /v1/events`, written without a general serializer. */
export function acceptedBody(result: PublishOneResult): string {
  return `{"accepted":${result.accepted},"event_id":${JSON.stringify(result.event_id)},"stream_id":${JSON.stringify(result.stream_id)},"duplicate":${result.duplicate}}`;
}

/**
 * Serves the two hot ingest routes, `POST /v1/events` and `POST /v1/events/batch`, straight from
 * Fastify instead of through Nest's router (guard, parameter decorators, interceptor and
 * exception zones, response mapping: about a tenth of the ingest's CPU per single-event request,
 * benchmark P1 in docs/performance.md).
 *
 * {@link EventsController} stays what declares the routes: Nest registers them from it and
 * `/docs-json` describes them from its decorators; this swaps the handler Fastify runs for
 * them (an `onRoute` hook, so it must be called before `app.init()`/`listen()`). Everything else
 * is the same code as before: {@link IngestAuthGuard#authenticate} for credentials,
 * {@link EventsService} for validation, the write and its metrics, and errors go to Fastify's
 * error handler, which Nest routes through the global filters (HttpErrorFilter: the contract's
 * error body, Retry-After, rejection metrics) — as errors of body parsing always did. Startup
 * fails when Nest did not register both routes, so a renamed route cannot silently fall back.
 */
export function serveIngestRoutesDirectly(app: NestFastifyApplication): void {
  const guard = app.get(IngestAuthGuard);
  const events = app.get(EventsService);
  const handlers = new Map<string, RouteHandlerMethod>([
    [
      '/v1/events',
      async (request, reply) => {
        const principal = await guard.authenticate(request);
        const result = await events.publishOne(request.body, principal, request.ip);
        void reply.code(202).header('content-type', JSON_TYPE);
        return acceptedBody(result);
      },
    ],
    [
      '/v1/events/batch',
      async (request, reply) => {
        const principal = await guard.authenticate(request);
        const result = await events.publishBatch(request.body, principal, request.ip);
        void reply.code(202).header('content-type', JSON_TYPE);
        return JSON.stringify(result);
      },
    ],
  ]);

  const served = new Set<string>();
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRoute', (route: RouteOptions) => {
    const handler = handlers.get(route.url);
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!handler || methods.length !== 1 || methods[0] !== 'POST') return;
    route.handler = handler;
    served.add(route.url);
  });
  fastify.addHook('onReady', (done) => {
    const missing = [...handlers.keys()].filter((url) => !served.has(url));
    done(
      missing.length === 0
        ? undefined
        : new Error(`ingest: no POST route ${missing.join(', ')} to serve directly`),
    );
  });
}
