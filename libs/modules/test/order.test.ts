import { describe, expect, it } from 'vitest';
import { ModuleError, orderModules } from '../src/index.js';

const m = (name: string, requires?: string[], after?: string[]) => ({
  name,
  ...(requires && { requires }),
  ...(after && { after }),
});
const names = (ms: { name: string }[]) => ms.map((x) => x.name);
const all = (ms: { name: string }[]) => new Set(ms.map((x) => x.name));

describe('orderModules', () => {
  it('keeps the given order when nothing is declared', () => {
    const ms = [m('c'), m('a'), m('b')];
    expect(names(orderModules(ms, all(ms)))).toEqual(['c', 'a', 'b']);
  });

  it('starts a module after what it requires and what it starts after', () => {
    const ms = [m('avatar', ['pep']), m('carbons', [], ['mam']), m('pep'), m('mam')];
    expect(names(orderModules(ms, all(ms)))).toEqual(['pep', 'avatar', 'mam', 'carbons']);
  });

  it('ignores an `after` naming a disabled or unknown module', () => {
    const ms = [m('carbons', [], ['mam', 'nothing']), m('mam')];
    expect(names(orderModules(ms, new Set(['carbons'])))).toEqual(['carbons']);
  });

  it('leaves disabled modules out', () => {
    const ms = [m('a'), m('b'), m('c')];
    expect(names(orderModules(ms, new Set(['a', 'c'])))).toEqual(['a', 'c']);
  });

  it('refuses a required module that is disabled, naming both', () => {
    const ms = [m('avatar', ['pep']), m('pep')];
    let err: unknown;
    try {
      orderModules(ms, new Set(['avatar']));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModuleError);
    expect(err).toMatchObject({ code: 'missing-dependency' });
    expect((err as Error).message).toContain("'avatar' requires module 'pep', which is disabled");
  });

  it('refuses a required module that does not exist', () => {
    const ms = [m('avatar', ['pep'])];
    expect(() => orderModules(ms, all(ms))).toThrow(/requires module 'pep', which does not exist/);
  });

  it('refuses a cycle and names it', () => {
    const ms = [m('a', ['b']), m('b', [], ['c']), m('c', ['a'])];
    expect(() => orderModules(ms, all(ms))).toThrow(/a -> b -> c -> a/);
  });

  it('refuses two modules with one name', () => {
    const ms = [m('a'), m('a')];
    expect(() => orderModules(ms, all(ms))).toThrow(
      expect.objectContaining({ code: 'duplicate-module' }),
    );
  });
});
