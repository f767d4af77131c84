import Redis from 'ioredis';
import { postJson, RunningApp, startGateway, startIngest, testConfig } from '../harness/apps';
import { eventWith, WRONG_TYPE_CASES } from '../harness/wrong-types';

/**
 * Issue 10 §5: the errors tell the truth, over real HTTP against a real ingest (and gateway)
 * on the harness's Redis. Every refused request leaves the stream as it was.
 */
describe('HTTP errors that say what is wrong', () => {
  let ingest: RunningApp;
  let gateway: RunningApp;
  let redis: Redis;
  let key: string;

  beforeAll(async () => {
    const config = await testConfig();
    key = config.stream.key;
    ingest = await startIngest(config);
    gateway = await startGateway(config);
    redis = new Redis(process.env.AUREN_TEST_REDIS_URL as string);
  });
  afterAll(async () => {
    await gateway.close();
    await ingest.close();
    redis.disconnect();
  });

  const post = (path: string, body: unknown, headers?: Record<string, string>) =>
    postJson(`${ingest.url}${path}`, body, headers);

  describe('a value of the wrong JSON type', () => {
    it.each(WRONG_TYPE_CASES)(
      'POST /v1/events with $field = $value: 400 saying "$says"',
      async ({ field, value, says }) => {
        const before = await redis.xlen(key);
        const reply = await post('/v1/events', eventWith(field, value));

        expect(reply.status).toBe(400);
        expect(reply.body.message).toContain(says);
        expect(reply.body.details).toEqual([{ field, message: expect.stringContaining(says) }]);
        expect(await redis.xlen(key)).toBe(before);
      },
    );

    it.each(WRONG_TYPE_CASES)(
      'POST /v1/events/batch with events[1].$field = $value names the event and the type',
      async ({ field, value, says }) => {
        const reply = await post('/v1/events/batch', {
          events: [eventWith('event_id', 'fine'), eventWith(field, value)],
        });

        expect(reply.status).toBe(400);
        expect(reply.body.details).toEqual([
          { index: 1, field: `events[1].${field}`, message: expect.stringContaining(says) },
        ]);
      },
    );

    it('accepts null for optional fields and stores no null', async () => {
      const reply = await post('/v1/events', {
        event_type: 'llm_call',
        source_agent: { id: 'neuroscientist', role: null },
        timestamp: null,
        trace_id: null,
        target_agent: null,
        payload: null,
        performance_metrics: { latency_ms: null, confidence_score: 0.5 },
      });

      expect(reply.status).toBe(202);
      const [[, fields]] = (await redis.xrange(
        key,
        reply.body.stream_id as string,
        reply.body.stream_id as string,
      )) as [string, string[]][];
      expect(fields[1]).not.toContain('null');
    });
  });

  describe('prototype keys', () => {
    it.each([
      ['__proto__', '{"event_type":"llm_call","source_agent":{"id":"a"},"__proto__":{"x":1}}'],
      [
        'payload.__proto__',
        '{"event_type":"llm_call","source_agent":{"id":"a"},"payload":{"__proto__":{"admin":true}}}',
      ],
      [
        'metadata.constructor.prototype',
        '{"event_type":"llm_call","source_agent":{"id":"a"},"metadata":{"constructor":{"prototype":{"x":1}}}}',
      ],
    ])('a body with %s is refused with a message naming the key', async (path, body) => {
      const before = await redis.xlen(key);
      const reply = await post('/v1/events', body);

      expect(reply.status).toBe(400);
      const key_ = path.endsWith('constructor.prototype') ? 'constructor.prototype' : '__proto__';
      expect(reply.body.message).toContain(`"${key_}" key at ${path}`);
      expect(reply.body.message).toContain('prototype pollution');
      expect(reply.body.message).not.toContain('malformed JSON');
      expect(reply.body.details).toEqual([{ field: path, message: expect.any(String) }]);
      expect(await redis.xlen(key)).toBe(before);
    });

    it('names the event of a batch that holds one', async () => {
      const reply = await post(
        '/v1/events/batch',
        '{"events":[{"event_type":"llm_call","source_agent":{"id":"a"}},{"event_type":"llm_call","source_agent":{"id":"a","__proto__":{}}}]}',
      );

      expect(reply.status).toBe(400);
      expect(reply.body.message).toContain('at events[1].source_agent.__proto__');
    });

    it('still calls JSON that does not parse malformed', async () => {
      const reply = await post('/v1/events', '{"event_type": ');

      expect(reply.status).toBe(400);
      expect(reply.body.message).toContain('malformed JSON');
    });
  });

  describe('media types', () => {
    it.each([
      ['application/x-www-form-urlencoded', 'event_type=llm_call&source_agent=a'],
      ['text/plain', '{"event_type":"llm_call","source_agent":{"id":"a"}}'],
      ['multipart/form-data; boundary=x', '--x\r\n\r\nhi\r\n--x--'],
    ])('a %s body gets 415 and nothing is written', async (type, body) => {
      const before = await redis.xlen(key);
      const reply = await post('/v1/events', body, { 'content-type': type });

      expect(reply.status).toBe(415);
      expect(reply.body).toMatchObject({
        statusCode: 415,
        message: expect.stringContaining(
          `send JSON with Content-Type: application/json; this request's Content-Type is ${type.split(';')[0]}`,
        ) as string,
      });
      expect(await redis.xlen(key)).toBe(before);
    });
  });

  describe('unsupported methods', () => {
    const call = async (base: () => string, method: string, path: string) => {
      const response = await fetch(`${base()}${path}`, { method });
      const text = await response.text();
      return { status: response.status, allow: response.headers.get('allow'), text };
    };

    it.each([
      ['GET', '/v1/events', 'POST'],
      ['PUT', '/v1/events', 'POST'],
      ['DELETE', '/v1/events/batch', 'POST'],
      ['GET', '/v1/traces', 'POST'],
      ['POST', '/health/live', 'GET, HEAD'],
      ['PATCH', '/health/ready', 'GET, HEAD'],
    ])('ingest: %s %s is 405 with Allow: %s', async (method, path, allow) => {
      const reply = await call(() => ingest.url, method, path);

      expect(reply.status).toBe(405);
      expect(reply.allow).toBe(allow);
      expect(JSON.parse(reply.text)).toEqual({
        statusCode: 405,
        error: 'Method Not Allowed',
        message: `${method} is not allowed on ${path}; it answers ${allow}`,
      });
    });

    it.each([
      ['POST', '/health/live', 'GET, HEAD'],
      ['DELETE', '/health/ready', 'GET, HEAD'],
    ])('gateway: %s %s is 405 with Allow: %s', async (method, path, allow) => {
      const reply = await call(() => gateway.url, method, path);

      expect(reply.status).toBe(405);
      expect(reply.allow).toBe(allow);
    });

    it('a path that does not exist is still 404', async () => {
      expect((await call(() => ingest.url, 'GET', '/v1/nothing')).status).toBe(404);
      expect((await call(() => gateway.url, 'POST', '/nothing')).status).toBe(404);
    });
  });

  describe('/docs-json', () => {
    it("states what the validator enforces, and development mode's anonymous access", async () => {
      const doc = (await (await fetch(`${ingest.url}/docs-json`)).json()) as {
        paths: Record<string, Record<string, { security?: unknown; responses: object }>>;
        components: {
          schemas: Record<string, { properties: Record<string, Record<string, unknown>> }>;
        };
      };
      const metrics = doc.components.schemas.PerformanceMetricsDto.properties;
      const event = doc.components.schemas.AgentEventDto.properties;

      expect(metrics.tokens_used).toMatchObject({ type: 'integer', minimum: 0, nullable: true });
      expect(metrics.confidence_score).toMatchObject({ type: 'number', minimum: 0, maximum: 1 });
      expect(event.timestamp).toMatchObject({ format: 'date-time', nullable: true });
      expect(event.target_agent).toMatchObject({ nullable: true, required: ['id'] });
      const kinds = event.event_type.anyOf as Array<{ enum?: string[]; pattern?: string }>;
      expect(kinds[0].enum).not.toContain('custom.<name>');
      expect(kinds[1].pattern).toBe('^custom\\.[A-Za-z0-9_.:-]{1,120}$');
      for (const path of ['/v1/events', '/v1/events/batch', '/v1/traces']) {
        expect(doc.paths[path].post.security).toEqual([{ bearer: [] }, {}]);
        expect(Object.keys(doc.paths[path].post.responses)).toEqual(
          expect.arrayContaining(['400', '401', '413', '415', '429', '503']),
        );
      }
    });
  });

  describe('OTLP/JSON on POST /v1/traces', () => {
    const traceId = () =>
      [...Array(32)].map(() => 'abcdef0123456789'[Math.floor(Math.random() * 16)]).join('');
    const span = (attributes: Array<{ key: string; value: Record<string, unknown> }>) => ({
      traceId: traceId(),
      spanId: '1111222233334444',
      name: 'chat gpt-4o',
      kind: 3,
      startTimeUnixNano: '1732441800000000000',
      endTimeUnixNano: '1732441800500000000',
      attributes: [
        { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
        { key: 'gen_ai.agent.id', value: { stringValue: 'otlp-agent' } },
        ...attributes,
      ],
    });
    const exportOf = (spans: unknown[]) => ({ resourceSpans: [{ scopeSpans: [{ spans }] }] });

    it.each([
      [
        'gen_ai.usage.input_tokens',
        { stringValue: 'many' },
        'input_tokens must be an integer, not a string',
      ],
      [
        'gen_ai.usage.output_tokens',
        { boolValue: true },
        'output_tokens must be an integer, not a boolean',
      ],
      [
        'gen_ai.usage.input_tokens',
        { doubleValue: 1.5 },
        'input_tokens must be a whole number (an integer), not 1.5',
      ],
      [
        'gen_ai.usage.prompt_tokens',
        { stringValue: '12.5' },
        'input_tokens must be an integer, not a string',
      ],
    ])('a span whose %s is %j is refused: "%s"', async (attribute, value, says) => {
      const reply = await post('/v1/traces', exportOf([span([{ key: attribute, value }])]));

      expect(reply.status).toBe(200);
      const partial = reply.body.partialSuccess as { rejectedSpans: string; errorMessage: string };
      expect(Number(partial.rejectedSpans)).toBe(1); // int64: a string in OTLP/JSON
      expect(partial.errorMessage).toContain(`performance_metrics.${says}`);
    });

    it.each([
      [{ resourceSpans: 'x' }, 'resourceSpans must be an array, not a string'],
      [{ resourceSpans: [7] }, 'resourceSpans[0] must be an object, not a number'],
      [
        { resourceSpans: [{ scopeSpans: {} }] },
        'resourceSpans[0].scopeSpans must be an array, not an object',
      ],
      [
        { resourceSpans: [{ scopeSpans: [{ spans: 'x' }] }] },
        'resourceSpans[0].scopeSpans[0].spans must be an array, not a string',
      ],
    ])('an export with %j is 400: "%s"', async (body, says) => {
      const reply = await post('/v1/traces', body);

      expect(reply.status).toBe(400);
      expect(reply.body.message).toContain(says);
    });

    it('refuses a __proto__ key in an OTLP/JSON body with the same message', async () => {
      const reply = await post('/v1/traces', '{"resourceSpans":[],"__proto__":{"x":1}}');

      expect(reply.status).toBe(400);
      expect(reply.body.message).toContain('"__proto__" key at __proto__');
    });
  });
});
