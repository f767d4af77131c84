import { PassThrough, Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { HttpException } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { EVENT_LIMITS } from '@auren/contracts';
import { ApiError } from '@auren/platform';

const gunzipAsync = promisify(gunzip);

export const OTLP_TRACES_PATH = '/v1/traces';
export const PROTOBUF_TYPE = 'application/x-protobuf';
export const JSON_TYPE = 'application/json';

/**
 * Body limits of POST /v1/traces: the bytes on the wire are held to the contract's 1 MiB, and
 * what they inflate to (gzip) to 8 MiB, so a small gzip bomb is refused after at most 8 MiB of
 * output instead of filling memory. OTLP/JSON is verbose: 8 MiB holds several thousand spans.
 */
export const OTLP_LIMITS = {
  maxWireBytes: EVENT_LIMITS.maxBodyBytes,
  maxDecodedBytes: 8 * 1024 * 1024,
} as const;

/** The media type without parameters, lowercased ('' when absent). */
export function mediaTypeOf(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * Fastify-level body handling for the OTLP route; every other route keeps its own rules (JSON
 * only, 1 MiB, 415 otherwise). Must run before the app's routes are registered (before
 * `init()`/`listen()`), because it raises the OTLP route's decoded body limit in `onRoute`.
 *
 * - `onRoute`: the OTLP route's body limit becomes {@link OTLP_LIMITS.maxDecodedBytes}.
 * - `preParsing` (OTLP route only): checks the credential with `authenticate` (401 before any
 *   415/413 about the body), refuses other media types and encodings with 415, holds the
 *   wire bytes to 1 MiB (413), inflates gzip with an output cap (413), hands the parsers the
 *   plain bytes.
 * - a parser for `application/x-protobuf` that gives the OTLP route the raw bytes (decoded by
 *   the controller, after the credential check) and answers 415 on every other route.
 */
export function registerOtlpBodyHandling(
  fastify: FastifyInstance,
  authenticate?: (request: FastifyRequest) => unknown,
): void {
  fastify.addHook('onRoute', (route) => {
    if (route.url === OTLP_TRACES_PATH) route.bodyLimit = OTLP_LIMITS.maxDecodedBytes;
  });
  fastify.addHook('preParsing', async (request, _reply, payload) => {
    if (request.routeOptions.url !== OTLP_TRACES_PATH) return payload;
    // Credentials first: a request without them is a 401 whatever its body (as on /v1/events).
    if (authenticate) await authenticate(request);
    return readOtlpBody(request, payload);
  });
  fastify.addContentTypeParser(PROTOBUF_TYPE, { parseAs: 'buffer' }, (request, body, done) => {
    if (request.routeOptions.url === OTLP_TRACES_PATH) done(null, body);
    // A plain 415 HttpException: the error filter turns it into the route's usual 415 answer.
    else done(new HttpException('Unsupported Media Type', 415), undefined);
  });
}

async function readOtlpBody(request: FastifyRequest, payload: Readable): Promise<Readable> {
  const type = mediaTypeOf(request.headers['content-type']);
  if (type !== PROTOBUF_TYPE && type !== JSON_TYPE) {
    throw new ApiError(
      415,
      `POST ${OTLP_TRACES_PATH} takes OTLP/HTTP: Content-Type ${PROTOBUF_TYPE} or ${JSON_TYPE}${type ? `, not ${type}` : ''}`,
      'unsupported_media_type',
    );
  }
  const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip') {
    throw new ApiError(
      415,
      `Content-Encoding ${encoding} is not supported: send gzip or no encoding`,
      'unsupported_media_type',
    );
  }
  const declared = Number(request.headers['content-length']);
  if (declared > OTLP_LIMITS.maxWireBytes) throw tooLarge('body');
  const wire = await readCapped(payload, OTLP_LIMITS.maxWireBytes);
  let body = wire;
  if (encoding !== 'identity') {
    try {
      body = await gunzipAsync(wire, { maxOutputLength: OTLP_LIMITS.maxDecodedBytes });
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge('inflated');
      throw new ApiError(
        400,
        `Content-Encoding is gzip but the body is not valid gzip: ${(error as Error).message}`,
        'validation',
      );
    }
  }
  const out = new PassThrough() as PassThrough & { receivedEncodedLength: number };
  // Fastify checks Content-Length against this, and the route's body limit against the output.
  out.receivedEncodedLength = wire.length;
  out.end(body);
  return out;
}

function tooLarge(what: 'body' | 'inflated'): ApiError {
  return new ApiError(
    413,
    what === 'body'
      ? `the request body is over the ${OTLP_LIMITS.maxWireBytes}-byte (1 MiB) limit; export fewer spans per request`
      : `the gzip body inflates to more than ${OTLP_LIMITS.maxDecodedBytes} bytes (8 MiB); export fewer spans per request`,
    'too_large',
  );
}

/** The whole stream, or a 413 as soon as it passes `limit` bytes. */
function readCapped(stream: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        reject(tooLarge('body'));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(
        new ApiError(400, `the request body could not be read: ${error.message}`, 'validation'),
      );
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}
