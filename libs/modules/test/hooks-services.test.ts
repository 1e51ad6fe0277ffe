import { describe, expect, it } from 'vitest';
import { HandlerTable, HookList, Priority, ServiceKey, ServiceRegistry } from '../src/index.js';

describe('HookList', () => {
  it('runs higher priorities first, then registration order', () => {
    const hooks = new HookList<string>();
    hooks.add('carbons', Priority.normal, 'carbons');
    hooks.add('blocking', Priority.access, 'blocking');
    hooks.add('mam', Priority.stamp, 'mam');
    hooks.add('pep', Priority.normal, 'pep');
    hooks.add('admin', Priority.first, 'core');
    expect(hooks.handlers).toEqual(['admin', 'blocking', 'mam', 'carbons', 'pep']);
    expect(hooks.length).toBe(5);
    expect(hooks.describe()[1]).toEqual({ by: 'blocking', priority: Priority.access });
  });
});

describe('HandlerTable', () => {
  it('answers by key and remembers who registered it', () => {
    const t = new HandlerTable<number>('account IQ');
    t.register('get jabber:iq:roster', 1, 'roster');
    expect(t.get('get jabber:iq:roster')).toBe(1);
    expect(t.owner('get jabber:iq:roster')).toBe('roster');
    expect(t.get('set jabber:iq:roster')).toBeUndefined();
    expect(t.keys()).toEqual(['get jabber:iq:roster']);
  });
});

describe('ServiceRegistry', () => {
  it('hands the provided value to users under its typed key', () => {
    const key = new ServiceKey<Map<string, number>>('index');
    const r = new ServiceRegistry();
    expect(r.has(key)).toBe(false);
    const value = new Map([['a', 1]]);
    r.provide(key, value, 'provider');
    expect(r.use(key, 'user')).toBe(value);
    expect(r.has(key)).toBe(true);
  });
});
