import { expect } from 'vitest';
import type { Account, RosterItem, Stores } from '../../src/contracts.js';
import { StoreError } from '../../src/errors.js';

/** Returns the stores opened for the currently running test. */
export type CurrentStores = () => Stores;

export function account(jid: string, extra: Partial<Account> = {}): Account {
  const cred = (salt: string) => ({
    salt,
    iterations: 4096,
    storedKey: Buffer.from(`stored:${jid}:${salt}`).toString('base64'),
    serverKey: Buffer.from(`server:${jid}:${salt}`).toString('base64'),
  });
  return {
    jid,
    credentials: { 'SCRAM-SHA-1': cred('c2FsdDE='), 'SCRAM-SHA-256': cred('c2FsdDI=') },
    createdAt: 1_700_000_000_000,
    ...extra,
  };
}

export function item(jid: string, extra: Partial<RosterItem> = {}): RosterItem {
  return { jid, subscription: 'none', groups: [], listed: true, ...extra };
}

/** An item using every optional field. */
export function fullItem(jid: string): RosterItem {
  return {
    jid,
    name: 'Juliet Capulet',
    subscription: 'from',
    ask: 'subscribe',
    pendingIn: true,
    pendingInStanza: `<presence from='${jid}' type='subscribe'><status>hi ✓</status></presence>`,
    approved: true,
    groups: ['Friends', 'Family', 'Ünïcode 😀'],
    listed: false,
  };
}

export async function expectStoreError(promise: Promise<unknown>, code: StoreError['code']) {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  expect((err as StoreError).code).toBe(code);
  expect((err as StoreError).name).toBe('StoreError');
}

/** Versions are per-owner counters; compare them numerically. */
export function versionNumber(version: string): number {
  expect(version).toMatch(/^\d+$/);
  return Number(version);
}
