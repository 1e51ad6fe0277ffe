import { describe, expect, it, vi } from 'vitest';
import type { ModuleDefinition } from '../src/index.js';
import {
  HandlerTable,
  ModuleError,
  ServiceKey,
  ServiceRegistry,
  startModules,
} from '../src/index.js';

interface Ctx {
  module: string;
  iqs: HandlerTable<string>;
  services: ServiceRegistry;
  log: string[];
}
type Def = ModuleDefinition<Ctx, { on: boolean }>;

function host(modules: Def[], disabled?: string[]) {
  const iqs = new HandlerTable<string>('server IQ');
  const services = new ServiceRegistry();
  const log: string[] = [];
  const started = startModules({
    modules,
    config: { on: false },
    ...(disabled && { disabled }),
    contextFor: (m) => ({ module: m.name, iqs, services, log }),
  });
  return { started, iqs, services, log };
}

const COUNTER = new ServiceKey<{ n: number }>('counter');

describe('startModules', () => {
  it('registers in dependency order and stops in reverse', async () => {
    const mods: Def[] = [
      {
        name: 'user',
        xeps: [],
        requires: ['provider'],
        register(ctx) {
          ctx.services.use(COUNTER, ctx.module).n++;
          ctx.log.push('start user');
          return () => void ctx.log.push('stop user');
        },
      },
      {
        name: 'provider',
        xeps: [],
        register(ctx) {
          ctx.services.provide(COUNTER, { n: 0 }, ctx.module);
          ctx.log.push('start provider');
          return async () => void ctx.log.push('stop provider');
        },
      },
    ];
    const h = host(mods);
    expect(h.started.modules.map((m) => m.name)).toEqual(['provider', 'user']);
    expect(h.services.use(COUNTER, 'test').n).toBe(1);
    await h.started.stop();
    expect(h.log).toEqual(['start provider', 'start user', 'stop user', 'stop provider']);
  });

  it('leaves out modules switched off by `enabled` or the disabled list', () => {
    const mods: Def[] = [
      { name: 'a', xeps: [], enabled: (c) => c.on, register: (ctx) => void ctx.log.push('a') },
      { name: 'b', xeps: [], register: (ctx) => void ctx.log.push('b') },
      { name: 'c', xeps: [], register: (ctx) => void ctx.log.push('c') },
    ];
    const h = host(mods, ['c']);
    expect(h.log).toEqual(['b']);
  });

  it('refuses to disable a module that does not exist, listing the known ones', () => {
    const mods: Def[] = [{ name: 'ping', xeps: [], register() {} }];
    expect(() => host(mods, ['pnig'])).toThrow(
      "cannot disable module 'pnig': no such module (known: ping)",
    );
  });

  it('stops the start at a second handler for the same key, naming both modules', () => {
    const mods: Def[] = [
      {
        name: 'first',
        xeps: [],
        register: (ctx) => ctx.iqs.register('get urn:x', 'a', ctx.module),
      },
      {
        name: 'second',
        xeps: [],
        register: (ctx) => ctx.iqs.register('get urn:x', 'b', ctx.module),
      },
    ];
    expect(() => host(mods)).toThrow(
      "module 'second' registers a server IQ handler for 'get urn:x', already handled by module 'first'",
    );
  });

  it('refuses a service used without being provided', () => {
    const mods: Def[] = [
      { name: 'user', xeps: [], register: (ctx) => void ctx.services.use(COUNTER, ctx.module) },
    ];
    expect(() => host(mods)).toThrow(
      expect.objectContaining({
        code: 'missing-service',
        message: expect.stringContaining("'user'"),
      }),
    );
  });

  it('refuses a service provided twice', () => {
    const provide: Def['register'] = (ctx) => ctx.services.provide(COUNTER, { n: 0 }, ctx.module);
    const mods: Def[] = [
      { name: 'one', xeps: [], register: provide },
      { name: 'two', xeps: [], register: provide },
    ];
    expect(() => host(mods)).toThrow(
      /'two' provides service 'counter', already provided by module 'one'/,
    );
  });

  it('wraps a module that throws, undoing the modules started before it', async () => {
    const stopped: string[] = [];
    const mods: Def[] = [
      { name: 'ok', xeps: [], register: () => () => void stopped.push('ok') },
      {
        name: 'broken',
        xeps: [],
        register() {
          throw new TypeError('bad option');
        },
      },
    ];
    let err: unknown;
    try {
      host(mods);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModuleError);
    expect(err).toMatchObject({ code: 'start-failed', cause: expect.any(TypeError) });
    expect((err as Error).message).toBe("module 'broken' failed to start: TypeError: bad option");
    await vi.waitFor(() => expect(stopped).toEqual(['ok']));
  });

  it('reports every stop that fails, after running the others', async () => {
    const ran: string[] = [];
    const mods: Def[] = [
      { name: 'a', xeps: [], register: () => () => void ran.push('a') },
      {
        name: 'b',
        xeps: [],
        register: () => () => {
          throw new Error('b would not stop');
        },
      },
    ];
    const h = host(mods);
    await expect(h.started.stop()).rejects.toBeInstanceOf(AggregateError);
    expect(ran).toEqual(['a']);
  });
});
