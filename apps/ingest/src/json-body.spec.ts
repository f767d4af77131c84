import { forbiddenKeyError, forbiddenKeyPath, unsupportedMediaTypeError } from './json-body';

describe(forbiddenKeyPath.name, () => {
  it.each([
    ['{"__proto__":{}}', '__proto__'],
    ['{"a":{"b":[1,{"__proto__":null}]}}', 'a.b[1].__proto__'],
    ['{"constructor":{"prototype":{}}}', 'constructor.prototype'],
    [
      '{"events":[{},{"payload":{"constructor":{"prototype":1}}}]}',
      'events[1].payload.constructor.prototype',
    ],
    ['[{"__proto__":1}]', '[0].__proto__'],
  ])('finds the forbidden key of %s at %s', (text, path) => {
    expect(forbiddenKeyPath(text)).toBe(path);
  });

  it.each([
    '{"constructor":"x"}',
    '{"constructor":{"name":"x"}}',
    '{"proto":1,"prototype":{}}',
    '{"a": ',
    '"__proto__"',
  ])('finds none in %s', (text) => {
    expect(forbiddenKeyPath(text)).toBeUndefined();
  });

  it('walks deep nesting without recursion', () => {
    const deep = '{"a":'.repeat(50_000) + '{"__proto__":1}' + '}'.repeat(50_000);
    expect(forbiddenKeyPath(deep)).toMatch(/\.__proto__$/);
  });
});

describe(forbiddenKeyError.name, () => {
  it('is a 400 that names the key and where, with the field in details', () => {
    const sut = forbiddenKeyError('payload.constructor.prototype');

    expect(sut.getStatus()).toBe(400);
    expect(sut.reason).toBe('forbidden_key');
    expect(sut.body.message).toContain(
      '"constructor.prototype" key at payload.constructor.prototype',
    );
    expect(sut.body.details?.[0].field).toBe('payload.constructor.prototype');
  });
});

describe(unsupportedMediaTypeError.name, () => {
  it('is a 415 that names the type sent, without its parameters, and the one accepted', () => {
    const sut = unsupportedMediaTypeError('Application/X-WWW-Form-Urlencoded; charset=utf-8');

    expect(sut.getStatus()).toBe(415);
    expect(sut.reason).toBe('unsupported_media_type');
    expect(sut.body.message).toBe(
      "send JSON with Content-Type: application/json; this request's Content-Type is application/x-www-form-urlencoded (form, multipart and text bodies are not accepted)",
    );
    expect(sut.headers).toEqual({ 'accept-post': 'application/json' });
  });

  it('says so when the request has no Content-Type', () => {
    expect(unsupportedMediaTypeError(undefined).body.message).toBe(
      'send JSON with Content-Type: application/json; this request has no Content-Type',
    );
  });
});
