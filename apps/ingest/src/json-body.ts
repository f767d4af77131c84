import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '@auren/platform';

/**
 * The path of the first key a prototype-pollution guard refuses: `__proto__`, or `constructor`
 * holding `prototype` (Fastify's secure JSON parser refuses both). `undefined` when the text is
 * not JSON at all or holds no such key. Iterative: hostile nesting cannot overflow the stack.
 */
export function forbiddenKeyPath(text: string): string | undefined {
  let root: unknown;
  try {
    // JSON.parse makes `__proto__` an own property; nothing here assigns through it.
    root = JSON.parse(text);
  } catch {
    return undefined;
  }
  const stack: Array<[unknown, string]> = [[root, '']];
  while (stack.length > 0) {
    const [node, path] = stack.pop() as [unknown, string];
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i -= 1) stack.push([node[i], `${path}[${i}]`]);
      continue;
    }
    const record = node as Record<string, unknown>;
    const keys = Object.keys(record);
    const at = (key: string) => (path ? `${path}.${key}` : key);
    if (keys.includes('__proto__')) return at('__proto__');
    const ctor = Object.getOwnPropertyDescriptor(record, 'constructor')?.value as unknown;
    if (ctor !== null && typeof ctor === 'object' && Object.hasOwn(ctor, 'prototype')) {
      return `${at('constructor')}.prototype`;
    }
    for (let i = keys.length - 1; i >= 0; i -= 1) stack.push([record[keys[i]], at(keys[i])]);
  }
  return undefined;
}

/** The 400 for a body holding `__proto__` or `constructor.prototype`, naming where. */
export function forbiddenKeyError(path: string): ApiError {
  const key = path.endsWith('constructor.prototype') ? 'constructor.prototype' : '__proto__';
  return new ApiError(
    400,
    `the body holds a "${key}" key at ${path}, which is refused to guard against prototype pollution (so is any "__proto__" key, and "constructor" holding "prototype"); rename it`,
    'forbidden_key',
    [{ field: path, message: `${path}: a "${key}" key is refused (prototype pollution guard)` }],
  );
}

/** The one media type ingest's event routes take. */
export const ACCEPTED_MEDIA_TYPE = 'application/json';

/**
 * The 415 for a request whose body is not JSON: the message names the type it had (or that it
 * had none) and the one that is accepted; `Accept-Post` says the same to a program.
 */
export function unsupportedMediaTypeError(contentType: string | undefined): ApiError {
  const sent = contentType?.split(';')[0].trim().toLowerCase();
  const what = sent
    ? `this request's Content-Type is ${sent} (form, multipart and text bodies are not accepted)`
    : 'this request has no Content-Type';
  return new ApiError(
    415,
    `send JSON with Content-Type: ${ACCEPTED_MEDIA_TYPE}; ${what}`,
    'unsupported_media_type',
    undefined,
    { 'accept-post': ACCEPTED_MEDIA_TYPE },
  );
}

/** A request Fastify routed to one of the app's own routes (not its 404 handler). */
function isServedRoute(request: FastifyRequest): boolean {
  return request.routeOptions.url !== undefined;
}

/**
 * Ingest's body parsers: JSON only, with Fastify's secure parser, which refuses `__proto__` and
 * `constructor.prototype` keys. Its error says only "not valid JSON"; this says which key.
 *
 * Declaring the JSON parser here also keeps Nest from registering its
 * `application/x-www-form-urlencoded` parser, so a form body gets 415 like any other non-JSON
 * body (docs/ingest.md), instead of being read as an event. Every other type — form, multipart,
 * text, XML, a body without Content-Type, and a POST with neither body nor Content-Type — gets the
 * 415 of {@link unsupportedMediaTypeError}, which names the type sent and the one accepted.
 * (`POST /v1/traces` checks its own types first, in its preParsing hook: otlp/otlp-http.ts.)
 */
export function useJsonBodyOnly(app: NestFastifyApplication): void {
  const fastify: FastifyInstance = app.getHttpAdapter().getInstance();
  const parse = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser(
    'application/json',
    { bodyLimit: fastify.initialConfig.bodyLimit },
    (request, body, done) => {
      // Typed for a string and as maybe async; it parses a Buffer as well (Nest's own JSON
      // parser hands it one), synchronously, and answers through the callback only.
      void parse(
        request as Parameters<typeof parse>[0],
        body as unknown as string,
        (error, value) => {
          if (!error) {
            done(null, value);
            return;
          }
          const path = forbiddenKeyPath(body.toString('utf8'));
          done(path ? forbiddenKeyError(path) : error, undefined);
        },
      );
    },
  );
  // Fastify's own default; an event is never plain text.
  fastify.removeContentTypeParser('text/plain');
  // Any other type (and a body without Content-Type): 415, before the credential is looked at,
  // as for malformed JSON. Unknown paths keep their 404 (the body is not read).
  fastify.addContentTypeParser('*', (request, _payload, done) => {
    if (isServedRoute(request)) done(unsupportedMediaTypeError(request.headers['content-type']));
    else done(null, undefined);
  });
  // A POST with neither body nor Content-Type is never parsed; it is as much "not JSON".
  fastify.addHook('preValidation', (request, _reply, done) => {
    const empty = request.method === 'POST' && request.headers['content-type'] === undefined;
    done(empty && isServedRoute(request) ? unsupportedMediaTypeError(undefined) : undefined);
  });
}
