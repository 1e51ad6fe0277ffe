import { describe, expect, it } from 'vitest';
import { instrumentStores } from './instrument.js';
import { openMemoryStores } from './memory/open.js';

describe('instrumentStores', () => {
  it('reports every operation with its store, method, duration and outcome', async () => {
    const seen: { store: string; op: string; seconds: number; ok: boolean }[] = [];
    const stores = instrumentStores(await openMemoryStores(), (store, op, seconds, ok) =>
      seen.push({ store, op, seconds, ok }),
    );
    await stores.vcards.set('a@example.org', "<vCard xmlns='vcard-temp'/>");
    expect(await stores.vcards.get('a@example.org')).toContain('vCard');
    await expect(stores.offline.push('', '<message/>', 1, 10)).rejects.toThrow();
    expect(seen.map((s) => `${s.store}.${s.op}:${s.ok}`)).toEqual([
      'vcards.set:true',
      'vcards.get:true',
      'offline.push:false',
    ]);
    expect(seen.every((s) => s.seconds >= 0)).toBe(true);
    await stores.close();
  });
});
