import { AsyncResource } from 'node:async_hooks';

let checked = false;

/**
 * Makes `AsyncResource#bind` on Node 20–24 work as on later Node versions, where the deprecated
 * `asyncResource` property of the bound function (DEP0172, End-of-Life since nodejs/node#58618)
 * is no longer added.
 *
 * Why: Fastify binds a callback to a new `AsyncResource` for every request body it parses. On
 * Node 20 each `bind` also defines that property with two `deprecate()` wrappers, which costs
 * the ingest about 25–30 µs of CPU per request under load, mostly garbage collection — a third of
 * its CPU time in the P1 benchmark (docs/performance.md). The bound function behaves the same
 * (same async context, same `this`, same `length`); only the deprecated property is gone.
 *
 * Idempotent; does nothing on a Node version that no longer adds the property.
 */
export function useLightAsyncResourceBind(): void {
  if (checked) return;
  checked = true;
  const probe = new AsyncResource('auren-probe').bind(() => undefined);
  if (!Object.prototype.hasOwnProperty.call(probe, 'asyncResource')) return;

  AsyncResource.prototype.bind = function bind<Func extends (...args: never[]) => unknown>(
    this: AsyncResource,
    fn: Func,
    thisArg?: unknown,
  ): Func {
    if (typeof fn !== 'function') {
      const error = new TypeError(
        `The "fn" argument must be of type function. Received ${typeof fn}`,
      ) as TypeError & { code: string };
      error.code = 'ERR_INVALID_ARG_TYPE';
      throw error;
    }
    const target = fn as unknown as (...args: unknown[]) => unknown;
    const call = (self: unknown, args: unknown[]) => this.runInAsyncScope(target, self, ...args);
    const bound =
      thisArg === undefined
        ? function (this: unknown, ...args: unknown[]) {
            return call(this, args);
          }
        : (...args: unknown[]) => call(thisArg, args);
    Object.defineProperty(bound, 'length', {
      configurable: true,
      enumerable: false,
      writable: false,
      value: fn.length,
    });
    return bound as unknown as Func;
  };
}
