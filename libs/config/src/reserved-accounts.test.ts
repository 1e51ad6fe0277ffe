import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RESERVED_NAMES,
  adminMucActor,
  loadConfig,
  reservedAccount,
  reservedForRegistration,
} from './index.js';

describe('reserved accounts (the admin API identity, issue 15)', () => {
  it('reserves admin-api on every served domain and the configured MUC actor', () => {
    const c = loadConfig({ env: {}, overrides: { server: { domains: ['a.org', 'b.org'] } } });
    expect(adminMucActor(c)).toBe('admin-api@a.org');
    expect(reservedAccount(c, 'admin-api@a.org')).toContain('reserved');
    expect(reservedAccount(c, 'admin-api@b.org')).toContain('reserved');
    expect(reservedAccount(c, 'alice@a.org')).toBeUndefined();
    expect(reservedAccount(c, 'admin-apiary@a.org')).toBeUndefined();
    const bot = loadConfig({
      env: {},
      overrides: { server: { domains: ['a.org'] }, admin: { mucActor: 'Ops-Bot@a.org' } },
    });
    expect(reservedAccount(bot, 'ops-bot@a.org')).toContain('reserved');
  });
});

describe('names reserved for registration (registration.reservedNames, issue 15)', () => {
  it('refuses the role names by default and the admin API identity always', () => {
    const c = loadConfig({ env: {}, overrides: { server: { domains: ['a.org'] } } });
    expect(c.registration.reservedNames).toEqual([...DEFAULT_RESERVED_NAMES]);
    for (const name of ['admin', 'administrator', 'root', 'postmaster', 'hostmaster']) {
      expect(reservedForRegistration(c, `${name}@a.org`)).toBe(`the username ${name} is reserved`);
    }
    for (const name of ['webmaster', 'abuse', 'security', 'support']) {
      expect(reservedForRegistration(c, `${name}@a.org`)).toContain('reserved');
    }
    expect(reservedForRegistration(c, 'admin-api@a.org')).toContain('admin API');
    expect(reservedForRegistration(c, 'alice@a.org')).toBeUndefined();
    expect(reservedForRegistration(c, 'admins@a.org')).toBeUndefined();
    // Only registration: a login as admin is not refused by the name.
    expect(reservedAccount(c, 'admin@a.org')).toBeUndefined();
  });

  it('takes a configured list (case-insensitive), which cannot free the admin API identity', () => {
    const c = loadConfig({
      env: { PARLEY_REGISTRATION_RESERVED_NAMES: 'Ops,billing' },
      overrides: { server: { domains: ['a.org'] } },
    });
    expect(reservedForRegistration(c, 'ops@a.org')).toContain('reserved');
    expect(reservedForRegistration(c, 'billing@a.org')).toContain('reserved');
    expect(reservedForRegistration(c, 'admin@a.org')).toBeUndefined();
    expect(reservedForRegistration(c, 'admin-api@a.org')).toContain('reserved');
  });
});
