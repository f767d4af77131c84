import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { useLightAsyncResourceBind } from './async-resource-bind';

describe(useLightAsyncResourceBind.name, () => {
  beforeAll(() => useLightAsyncResourceBind());

  it('binds to the async context of the resource, as Node does', () => {
    const storage = new AsyncLocalStorage<string>();
    const bound = storage.run('request-1', () =>
      new AsyncResource('test').bind(() => storage.getStore()),
    );

    expect(storage.run('other', () => bound())).toBe('request-1');
  });

  it('keeps the call-time this, or the given thisArg, and the arguments and length', () => {
    const resource = new AsyncResource('test');
    function f(this: unknown, a: number, b: number) {
      return { self: this, sum: a + b };
    }
    const target = { name: 'target' };
    const free = resource.bind(f);
    // Node accepts a thisArg; @types/node's instance signature omits it.
    const bindWithThis = resource.bind.bind(resource) as (
      fn: typeof f,
      thisArg: unknown,
    ) => typeof f;
    const fixed = bindWithThis(f, target);

    expect(free.call(target, 1, 2)).toEqual({ self: target, sum: 3 });
    expect(fixed.call({ name: 'other' }, 2, 3)).toEqual({ self: target, sum: 5 });
    expect(free.length).toBe(2);
  });

  it('no longer adds the deprecated asyncResource property (DEP0172)', () => {
    const bound = new AsyncResource('test').bind(() => 1);

    expect(Object.prototype.hasOwnProperty.call(bound, 'asyncResource')).toBe(false);
  });

  it('refuses a non-function like Node does', () => {
    let error: unknown;
    try {
      new AsyncResource('test').bind(42 as unknown as () => void);
    } catch (caught) {
      error = caught;
    }

    expect((error as { code?: string } | undefined)?.code).toBe('ERR_INVALID_ARG_TYPE');
  });
});
