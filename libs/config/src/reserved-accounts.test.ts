import { describe, expect, it } from 'vitest';
import { adminMucActor, loadConfig, reservedAccount } from './index.js';

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
