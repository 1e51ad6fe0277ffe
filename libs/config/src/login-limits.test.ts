import { describe, expect, it } from 'vitest';
import { DEFAULT_RESERVED_NAMES, loadConfig } from './index.js';

describe('login and registration limits (issue 15)', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({ env: {} });
    expect(c.c2s.loginLimits).toEqual({
      windowMs: 900_000,
      refuseAfterFailures: 20,
      refuseForMs: 900_000,
      accountGuardAfterFailures: 10,
      exemptAddresses: [],
    });
    expect(c.registration).toMatchObject({
      maxPerAddress: 1,
      addressWindowMs: 600_000,
      maxGlobal: 100,
      globalWindowMs: 600_000,
      reservedNames: [...DEFAULT_RESERVED_NAMES],
    });
  });

  it('reads them from the environment and checks them', () => {
    const c = loadConfig({
      env: {
        PARLEY_C2S_LOGIN_LIMITS_REFUSE_AFTER_FAILURES: '0',
        PARLEY_C2S_LOGIN_LIMITS_EXEMPT_ADDRESSES: '10.0.0.0/8,2001:db8::/32',
        PARLEY_REGISTRATION_MAX_PER_ADDRESS: '3',
      },
    });
    expect(c.c2s.loginLimits.refuseAfterFailures).toBe(0);
    expect(c.c2s.loginLimits.exemptAddresses).toEqual(['10.0.0.0/8', '2001:db8::/32']);
    expect(c.registration.maxPerAddress).toBe(3);
    expect(() =>
      loadConfig({ env: { PARLEY_C2S_LOGIN_LIMITS_EXEMPT_ADDRESSES: 'not-an-address' } }),
    ).toThrow(/c2s\.loginLimits\.exemptAddresses/);
    expect(() => loadConfig({ env: { PARLEY_C2S_LOGIN_LIMITS_WINDOW_MS: '10' } })).toThrow(
      /c2s\.loginLimits\.windowMs/,
    );
  });
});
