import * as crypto from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { xml } from '@parley/xml';
import { MucHarness, SERVICE, codes, condition, form } from './testing/harness.js';
import { NS_MUC } from './ns.js';
import { secretEquals } from './secret.js';

// Spy on timingSafeEqual while keeping node:crypto real.
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof crypto>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

const ROOM = `secret@${SERVICE}`;
const A = 'alice@localhost/a';
const B = 'bob@localhost/b';

describe('room passwords are compared in constant time (issue 15)', () => {
  let h: MucHarness;
  beforeEach(async () => {
    h = await MucHarness.start();
    await h.createInstant(
      ROOM,
      'alice',
      A,
      form({
        'muc#roomconfig_passwordprotectedroom': '1',
        'muc#roomconfig_roomsecret': 'cauldronburn',
      }),
    );
    vi.mocked(crypto.timingSafeEqual).mockClear();
  });
  afterEach(() => h.close());

  const withPw = (pw: string) => ({ x: xml('x', { xmlns: NS_MUC }, xml('password', {}, pw)) });

  it('compares SHA-256 digests with timingSafeEqual, so neither content nor length leaks', async () => {
    for (const pw of ['c', 'cauldronburX', 'cauldronburn-and-much-longer', '']) {
      expect(condition((await h.join(ROOM, 'bob', B, withPw(pw)))[0])).toBe('not-authorized');
    }
    const calls = vi.mocked(crypto.timingSafeEqual).mock.calls;
    expect(calls).toHaveLength(4);
    // Always two 32-byte digests, whatever the length of the guess.
    for (const [a, b] of calls) {
      expect((a as Buffer).length).toBe(32);
      expect((b as Buffer).length).toBe(32);
    }
    const ok = await h.join(ROOM, 'bob', B, withPw('cauldronburn'));
    expect(ok.some((p) => codes(p).includes(110))).toBe(true);
  });

  it('refuses an entry without a password (no <x/>, or <x/> without <password/>)', async () => {
    expect(condition((await h.join(ROOM, 'bob', B))[0])).toBe('not-authorized');
    expect(condition((await h.join(ROOM, 'bob', B, { x: xml('x', { xmlns: NS_MUC }) }))[0])).toBe(
      'not-authorized',
    );
  });
});

describe('secretEquals', () => {
  it('matches only the same string; undefined never matches', () => {
    expect(secretEquals('pw', 'pw')).toBe(true);
    expect(secretEquals('pé', 'pé')).toBe(true);
    expect(secretEquals('pw', 'pW')).toBe(false);
    expect(secretEquals('pw', 'pw ')).toBe(false);
    expect(secretEquals('', 'pw')).toBe(false);
    expect(secretEquals(undefined, 'pw')).toBe(false);
    expect(secretEquals(undefined, '')).toBe(false);
  });
});
