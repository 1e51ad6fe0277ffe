import type { Stores } from './contracts.js';

/** Told about every store operation: which store, which method, how long, and whether it failed. */
export type StoreObserver = (store: string, op: string, seconds: number, ok: boolean) => void;

/**
 * Wraps every promise-returning method of `target` so `observe` sees its
 * duration and outcome. Other members pass through untouched.
 */
export function instrumentStore<T extends object>(
  target: T,
  store: string,
  observe: StoreObserver,
): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string' || prop === 'constructor') {
        return value;
      }
      const cached = wrapped.get(prop);
      if (cached !== undefined) return cached;
      const fn = value as (...args: unknown[]) => unknown;
      const timed = function (this: unknown, ...args: unknown[]): unknown {
        const t0 = performance.now();
        let result: unknown;
        try {
          result = fn.apply(obj, args);
        } catch (err) {
          observe(store, prop, (performance.now() - t0) / 1000, false);
          throw err;
        }
        if (result instanceof Promise) {
          return result.then(
            (v: unknown) => {
              observe(store, prop, (performance.now() - t0) / 1000, true);
              return v;
            },
            (err: unknown) => {
              observe(store, prop, (performance.now() - t0) / 1000, false);
              throw err;
            },
          );
        }
        return result;
      };
      wrapped.set(prop, timed);
      return timed;
    },
  });
}

/** The same bundle with every store instrumented (close() is not). */
export function instrumentStores(stores: Stores, observe: StoreObserver): Stores {
  const out = { close: () => stores.close() } as Stores;
  for (const key of Object.keys(stores) as (keyof Stores)[]) {
    if (key === 'close') continue;
    (out as unknown as Record<string, unknown>)[key] = instrumentStore(
      stores[key] as object,
      key,
      observe,
    );
  }
  return out;
}
