import { describe, expect, it } from 'vitest';
import type { Account } from '../../src/contracts.js';
import { account, expectStoreError, type CurrentStores } from './fixtures.js';

export function accountTests(stores: CurrentStores): void {
  describe('AccountStore', () => {
    it('creates an account and reads it back exactly', async () => {
      const { accounts } = stores();
      const alice = account('alice@example.org');
      expect(await accounts.create(alice)).toBe(true);
      const got = await accounts.get('alice@example.org');
      expect(got).toStrictEqual(alice);
      expect(got).not.toHaveProperty('banned');
      const banned = account('mallory@example.org', { banned: true });
      expect(await accounts.create(banned)).toBe(true);
      expect(await accounts.get('mallory@example.org')).toStrictEqual(banned);
    });

    it('returns undefined for an unknown account', async () => {
      expect(await stores().accounts.get('nobody@example.org')).toBeUndefined();
    });

    it('refuses a duplicate create and keeps the original', async () => {
      const { accounts } = stores();
      const original = account('alice@example.org');
      await accounts.create(original);
      const impostor = account('alice@example.org', { createdAt: 1, banned: true });
      expect(await accounts.create(impostor)).toBe(false);
      expect(await accounts.get('alice@example.org')).toStrictEqual(original);
      expect(await accounts.count()).toBe(1);
    });

    it('hands out copies that callers cannot use to change stored data', async () => {
      const { accounts } = stores();
      const alice = account('alice@example.org');
      await accounts.create(alice);
      alice.createdAt = 5;
      const got = await accounts.get('alice@example.org');
      got!.credentials['SCRAM-SHA-1'].iterations = 1;
      expect(await accounts.get('alice@example.org')).toStrictEqual(account('alice@example.org'));
    });

    it('updates by replacing the whole record', async () => {
      const { accounts } = stores();
      await accounts.create(account('alice@example.org', { banned: true }));
      const replaced = account('alice@example.org', { createdAt: 42 });
      expect(await accounts.update(replaced)).toBe(true);
      const got = await accounts.get('alice@example.org');
      expect(got).toStrictEqual(replaced);
      expect(got).not.toHaveProperty('banned');
      expect(await accounts.count()).toBe(1);
    });

    it('does not create an account on update of a missing one', async () => {
      const { accounts } = stores();
      expect(await accounts.update(account('ghost@example.org'))).toBe(false);
      expect(await accounts.get('ghost@example.org')).toBeUndefined();
      expect(await accounts.count()).toBe(0);
      expect(await accounts.count('example.org')).toBe(0);
      expect((await accounts.list()).items).toEqual([]);
    });

    it('deletes an account once', async () => {
      const { accounts } = stores();
      await accounts.create(account('alice@example.org'));
      await accounts.create(account('bob@example.org'));
      expect(await accounts.delete('alice@example.org')).toBe(true);
      expect(await accounts.get('alice@example.org')).toBeUndefined();
      expect(await accounts.delete('alice@example.org')).toBe(false);
      expect(await accounts.count()).toBe(1);
      expect(await accounts.count('example.org')).toBe(1);
      expect(jids((await accounts.list()).items)).toEqual(['bob@example.org']);
      expect(jids((await accounts.list({ domain: 'example.org' })).items)).toEqual([
        'bob@example.org',
      ]);
      expect(await accounts.create(account('alice@example.org'))).toBe(true);
    });

    it('lists every account ordered by jid when no options are given', async () => {
      const { accounts } = stores();
      const all = ['d@b.net', 'a@b.net', 'c@a.org', 'b@c.com', 'aa@b.net'];
      for (const jid of all) await accounts.create(account(jid));
      const page = await accounts.list();
      expect(jids(page.items)).toEqual([...all].sort());
      expect(page.next).toBeUndefined();
      expect(page.items[0]).toStrictEqual(account('a@b.net'));
    });

    it('pages with after and limit without gaps or overlaps', async () => {
      const { accounts } = stores();
      const all = Array.from(
        { length: 23 },
        (_, i) => `user${String(i).padStart(2, '0')}@example.org`,
      );
      for (const jid of [...all].reverse()) await accounts.create(account(jid));
      const seen: string[] = [];
      let after: string | undefined;
      let pages = 0;
      do {
        const page = await accounts.list({ limit: 5, ...(after === undefined ? {} : { after }) });
        expect(page.items.length).toBeLessThanOrEqual(5);
        seen.push(...jids(page.items));
        after = page.next;
        if (after !== undefined) expect(after).toBe(page.items[page.items.length - 1]!.jid);
        pages++;
      } while (after !== undefined);
      expect(pages).toBe(5);
      expect(seen).toEqual(all);
    });

    it('omits next when the last page is exactly full', async () => {
      const { accounts } = stores();
      for (const jid of ['a@x.org', 'b@x.org', 'c@x.org', 'd@x.org']) {
        await accounts.create(account(jid));
      }
      const first = await accounts.list({ limit: 2 });
      expect(jids(first.items)).toEqual(['a@x.org', 'b@x.org']);
      expect(first.next).toBe('b@x.org');
      const second = await accounts.list({ limit: 2, after: first.next! });
      expect(jids(second.items)).toEqual(['c@x.org', 'd@x.org']);
      expect(second.next).toBeUndefined();
      expect(await accounts.list({ after: 'd@x.org' })).toEqual({ items: [] });
    });

    it('starts strictly after an after value that is not itself stored', async () => {
      const { accounts } = stores();
      for (const jid of ['a@x.org', 'c@x.org', 'e@x.org']) await accounts.create(account(jid));
      expect(jids((await accounts.list({ after: 'b' })).items)).toEqual(['c@x.org', 'e@x.org']);
      expect(jids((await accounts.list({ after: 'c@x.org' })).items)).toEqual(['e@x.org']);
    });

    it('filters by domain, including paging within the domain', async () => {
      const { accounts } = stores();
      const jidsIn = [
        'a@one.org',
        'b@two.org',
        'c@one.org',
        'd@one.org.uk',
        'e@one.org',
        'one.org',
      ];
      for (const jid of jidsIn) await accounts.create(account(jid));
      const one = await accounts.list({ domain: 'one.org' });
      expect(jids(one.items)).toEqual(['a@one.org', 'c@one.org', 'e@one.org', 'one.org']);
      const first = await accounts.list({ domain: 'one.org', limit: 2 });
      expect(jids(first.items)).toEqual(['a@one.org', 'c@one.org']);
      expect(first.next).toBe('c@one.org');
      const rest = await accounts.list({ domain: 'one.org', limit: 2, after: first.next! });
      expect(jids(rest.items)).toEqual(['e@one.org', 'one.org']);
      expect(rest.next).toBeUndefined();
      expect(jids((await accounts.list({ domain: 'one.org.uk' })).items)).toEqual(['d@one.org.uk']);
      expect(await accounts.list({ domain: 'nowhere.example' })).toEqual({ items: [] });
      expect((await accounts.list({ domain: 'two.org' })).items[0]).toStrictEqual(
        account('b@two.org'),
      );
    });

    it('orders non-ASCII jids by code point', async () => {
      const { accounts } = stores();
      const all = ['zoë@x.org', 'zoe@x.org', '\u{1F600}@x.org', '\uFB01@x.org', 'Zed@x.org'];
      for (const jid of all) await accounts.create(account(jid));
      const byCodePoint = [...all].sort((a, b) =>
        Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')),
      );
      expect(jids((await accounts.list()).items)).toEqual(byCodePoint);
      expect(jids((await accounts.list({ domain: 'x.org' })).items)).toEqual(byCodePoint);
    });

    it('counts accounts in total and per domain', async () => {
      const { accounts } = stores();
      expect(await accounts.count()).toBe(0);
      for (const jid of ['a@one.org', 'b@one.org', 'c@two.org'])
        await accounts.create(account(jid));
      expect(await accounts.count()).toBe(3);
      expect(await accounts.count('one.org')).toBe(2);
      expect(await accounts.count('two.org')).toBe(1);
      expect(await accounts.count('three.org')).toBe(0);
      await accounts.delete('c@two.org');
      expect(await accounts.count('two.org')).toBe(0);
      expect(await accounts.count()).toBe(2);
    });

    it('imports in bulk, skipping existing accounts and in-batch duplicates', async () => {
      const { accounts } = stores();
      const existing = account('b@x.org', { banned: true });
      await accounts.create(existing);
      const batch = [
        account('a@x.org'),
        account('b@x.org'),
        account('c@y.org'),
        account('a@x.org', { createdAt: 7 }),
      ];
      expect(await accounts.createMany(batch)).toBe(2);
      expect(await accounts.get('b@x.org')).toStrictEqual(existing);
      expect(await accounts.get('a@x.org')).toStrictEqual(account('a@x.org'));
      expect(await accounts.count()).toBe(3);
      expect(await accounts.count('x.org')).toBe(2);
      expect(await accounts.count('y.org')).toBe(1);
      expect(jids((await accounts.list()).items)).toEqual(['a@x.org', 'b@x.org', 'c@y.org']);
      expect(await accounts.createMany([])).toBe(0);
      expect(await accounts.createMany(batch)).toBe(0);
    });

    it('imports thousands of accounts and pages through all of them', async () => {
      const { accounts } = stores();
      const batch = Array.from({ length: 3000 }, (_, i) =>
        account(`u${i}@${i % 3 === 0 ? 'a' : 'b'}.example`),
      );
      expect(await accounts.createMany(batch)).toBe(3000);
      expect(await accounts.count()).toBe(3000);
      expect(await accounts.count('a.example')).toBe(1000);
      const seen: string[] = [];
      let after: string | undefined;
      do {
        const page = await accounts.list({
          domain: 'a.example',
          limit: 128,
          ...(after === undefined ? {} : { after }),
        });
        seen.push(...jids(page.items));
        after = page.next;
      } while (after !== undefined);
      const expected = batch.map((a) => a.jid).filter((j) => j.endsWith('@a.example'));
      expect(seen).toEqual(expected.sort());
    });

    it('rejects invalid arguments with invalid-argument', async () => {
      const { accounts } = stores();
      await expectStoreError(accounts.list({ limit: 0 }), 'invalid-argument');
      await expectStoreError(accounts.list({ limit: 1.5 }), 'invalid-argument');
      await expectStoreError(accounts.create(account('')), 'invalid-argument');
      await expectStoreError(
        accounts.createMany([account('ok@x.org'), account('')]),
        'invalid-argument',
      );
      expect(await accounts.get('ok@x.org')).toBeUndefined();
    });
  });
}

function jids(items: Account[]): string[] {
  return items.map((a) => a.jid);
}
