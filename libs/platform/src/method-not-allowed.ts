import type { FastifyInstance, RouteOptions } from 'fastify';
import { ApiError } from './api-error';

/**
 * `405 Method Not Allowed` with an `Allow` header (RFC 9110 §15.5.6) for a path the app serves
 * with other methods — `GET /v1/events`, `DELETE /health/live` — instead of Fastify's 404.
 * Fastify has no such answer of its own.
 *
 * Records each route's methods as it is registered (`onRoute`, so call this before
 * `init()`/`listen()`), and checks only requests that matched no route: the served routes pay
 * nothing. Static paths only; a parametric route (`/x/:id`) keeps the 404.
 */
export function answerMethodNotAllowed(fastify: FastifyInstance): void {
  const methods = new Map<string, Set<string>>();
  fastify.addHook('onRoute', (route: RouteOptions) => {
    if (route.url.includes(':') || route.url.includes('*')) return;
    const list = Array.isArray(route.method) ? route.method : [route.method];
    let known = methods.get(route.url);
    if (!known) {
      known = new Set();
      methods.set(route.url, known);
    }
    for (const method of list) known.add(method.toUpperCase());
  });
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (request.routeOptions.url !== undefined) {
      done();
      return;
    }
    const path = request.url.split('?')[0];
    const allowed = methods.get(path);
    if (!allowed || allowed.has(request.method)) {
      done();
      return;
    }
    const allow = [...allowed].sort().join(', ');
    done(
      new ApiError(
        405,
        `${request.method} is not allowed on ${path}; it answers ${allow}`,
        'method_not_allowed',
        undefined,
        { Allow: allow },
      ),
    );
  });
}
