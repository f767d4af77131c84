import Redis from 'ioredis';
import { RunningApp, startIngest, testConfig } from '../harness/apps';

/**
 * Issue 15: ingest takes JSON only. A form, multipart, text or other body — or a POST without
 * Content-Type — is answered 415 with a message naming what was sent and what is accepted
 * (docs/ingest.md#errors), before the credential is looked at, and nothing reaches the stream.
 * A real ingest in this process, on the harness's Redis.
 */
describe('Ingest media types (415)', () => {
  let ingest: RunningApp;
  let redis: Redis;
  let key: string;

  beforeAll(async () => {
    const config = await testConfig();
    key = config.stream.key;
    ingest = await startIngest(config);
    redis = new Redis(process.env.AUREN_TEST_REDIS_URL as string);
  });
  afterAll(async () => {
    await ingest.close();
    redis.disconnect();
  });

  const send = async (path: string, init: { type?: string; body?: string | FormData }) => {
    const headers: Record<string, string> = {};
    if (init.type !== undefined) headers['content-type'] = init.type;
    const response = await fetch(`${ingest.url}${path}`, {
      method: 'POST',
      headers,
      body: init.body,
    });
    return {
      status: response.status,
      acceptPost: response.headers.get('accept-post'),
      body: (await response.json()) as { statusCode: number; error: string; message: string },
    };
  };
  const event = JSON.stringify({ event_type: 'llm_call', source_agent: { id: 'media_agent' } });

  it.each([
    [
      'a form body (what curl -d sends without -H)',
      'application/x-www-form-urlencoded',
      'event_type=llm_call&source_agent=a',
    ],
    ['JSON sent as a form', 'application/x-www-form-urlencoded', event],
    ['text/plain holding JSON', 'text/plain;charset=UTF-8', event],
    ['XML', 'application/xml', '<event/>'],
  ])('%s: 415 naming the type, Accept-Post, nothing written', async (_what, type, body) => {
    for (const path of ['/v1/events', '/v1/events/batch']) {
      const before = await redis.xlen(key);
      const reply = await send(path, { type, body });

      expect(reply.status).toBe(415);
      expect(reply.acceptPost).toBe('application/json');
      expect(reply.body).toEqual({
        statusCode: 415,
        error: 'Unsupported Media Type',
        message: `send JSON with Content-Type: application/json; this request's Content-Type is ${type.split(';')[0].toLowerCase()} (form, multipart and text bodies are not accepted)`,
      });
      expect(await redis.xlen(key)).toBe(before);
    }
  });

  it('a multipart/form-data body (FormData, with its boundary): 415', async () => {
    const form = new FormData();
    form.set('event', event);
    const reply = await send('/v1/events', { body: form });

    expect(reply.status).toBe(415);
    expect(reply.body.message).toContain("this request's Content-Type is multipart/form-data");
  });

  it.each([
    ['with a body', 'x'],
    ['with neither body nor Content-Type', undefined],
  ])('a POST without Content-Type %s: 415 saying it has none', async (_what, body) => {
    const before = await redis.xlen(key);
    // fetch gives a string body text/plain; a Uint8Array goes without Content-Type.
    const reply = await send('/v1/events', {
      body: body === undefined ? undefined : (new TextEncoder().encode(body) as unknown as string),
    });

    expect(reply.status).toBe(415);
    expect(reply.body.message).toBe(
      'send JSON with Content-Type: application/json; this request has no Content-Type',
    );
    expect(await redis.xlen(key)).toBe(before);
  });

  it('is answered before the credential is looked at (415, not 401, with a bad token)', async () => {
    const response = await fetch(`${ingest.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: 'Bearer not-a-key' },
      body: 'x',
    });
    expect(response.status).toBe(415);
  });

  it('still takes application/json with parameters (202), and unknown paths stay 404', async () => {
    const accepted = await send('/v1/events', {
      type: 'application/json; charset=utf-8',
      body: event,
    });
    expect(accepted.status).toBe(202);

    const unknown = await send('/v1/nope', {
      type: 'application/x-www-form-urlencoded',
      body: 'a=b',
    });
    expect(unknown.status).toBe(404);
  });
});
