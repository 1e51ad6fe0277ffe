import { describe, expect, it } from 'vitest';
import type { Stores } from '../../src/contracts.js';
import type { Invitation } from '../../src/invitations/contract.js';

const NOW = 1_700_000_000_000;
const DAY = 86_400_000;

export function invitationTests(stores: () => Stores): void {
  const inv = (token: string, extra: Partial<Invitation> = {}): Invitation => ({
    token,
    domain: 'example.org',
    register: true,
    subscribe: false,
    createdAt: NOW,
    expiresAt: NOW + DAY,
    ...extra,
  });

  describe('InvitationStore', () => {
    it('creates, reads back and refuses a second invitation with the same token', async () => {
      const s = stores().invitations;
      const full = inv('tok-aaaaaaaaaaaaaaaa', {
        inviter: 'romeo@example.org',
        username: 'juliet',
        subscribe: true,
      });
      expect(await s.create(full)).toBe(true);
      expect(await s.get(full.token, NOW)).toStrictEqual(full);
      expect(await s.create(inv(full.token))).toBe(false);
      expect(await s.get('tok-unknownxxxxxxxx', NOW)).toBeUndefined();
      const bare = inv('tok-bbbbbbbbbbbbbbbb');
      expect(await s.create(bare)).toBe(true);
      expect(await s.get(bare.token, NOW)).toStrictEqual(bare);
    });

    it('is used once: take returns it to one caller only, even concurrently', async () => {
      const s = stores().invitations;
      await s.create(inv('tok-once-xxxxxxxxxxx'));
      const takers = await Promise.all(
        Array.from({ length: 5 }, () => s.take('tok-once-xxxxxxxxxxx', NOW + 1)),
      );
      expect(takers.filter((t) => t !== undefined)).toHaveLength(1);
      expect(await s.get('tok-once-xxxxxxxxxxx', NOW)).toBeUndefined();
      expect(await s.take('tok-once-xxxxxxxxxxx', NOW)).toBeUndefined();
    });

    it('expires: neither get nor take returns an invitation at or after expiresAt', async () => {
      const s = stores().invitations;
      await s.create(inv('tok-expiring-xxxxxxx', { expiresAt: NOW + 1000 }));
      expect(await s.get('tok-expiring-xxxxxxx', NOW + 999)).toBeDefined();
      expect(await s.get('tok-expiring-xxxxxxx', NOW + 1000)).toBeUndefined();
      expect(await s.take('tok-expiring-xxxxxxx', NOW + 1000)).toBeUndefined();
      expect(await s.take('tok-expiring-xxxxxxx', NOW + 999)).toBeDefined();
    });

    it('reserves the username it names until taken, revoked or expired', async () => {
      const s = stores().invitations;
      const a = inv('tok-juliet-xxxxxxxxx', { username: 'juliet', expiresAt: NOW + 1000 });
      expect(await s.create(a)).toBe(true);
      expect(await s.reservedBy('example.org', 'juliet', NOW)).toBe(a.token);
      expect(await s.reservedBy('example.net', 'juliet', NOW)).toBeUndefined();
      expect(await s.reservedBy('example.org', 'romeo', NOW)).toBeUndefined();
      // A second invitation for the same name is refused while the first holds it.
      expect(await s.create(inv('tok-juliet2-xxxxxxxx', { username: 'juliet' }))).toBe(false);
      expect(await s.reservedBy('example.org', 'juliet', NOW + 1000)).toBeUndefined();
      // Once it expired, another may take the name.
      const b = inv('tok-juliet3-xxxxxxxx', {
        username: 'juliet',
        createdAt: NOW + 2000,
        expiresAt: NOW + DAY,
      });
      expect(await s.create(b)).toBe(true);
      expect(await s.reservedBy('example.org', 'juliet', NOW + 2000)).toBe(b.token);
      expect(await s.take(b.token, NOW + 2000)).toStrictEqual(b);
      expect(await s.reservedBy('example.org', 'juliet', NOW + 2000)).toBeUndefined();
      const c = inv('tok-juliet4-xxxxxxxx', {
        username: 'juliet',
        createdAt: NOW + 3000,
        expiresAt: NOW + DAY,
      });
      expect(await s.create(c)).toBe(true);
      expect(await s.delete(c.token)).toBe(true);
      expect(await s.delete(c.token)).toBe(false);
      expect(await s.reservedBy('example.org', 'juliet', NOW + 3000)).toBeUndefined();
    });

    it('refuses malformed tokens and invitations', async () => {
      const s = stores().invitations;
      for (const bad of [
        () => s.get('short', NOW),
        () => s.get('has spaces in it xxxxx', NOW),
        () => s.create(inv('tok-ok-xxxxxxxxxxxxx', { inviter: '' })),
        () => s.create(inv('tok-ok-xxxxxxxxxxxxx', { expiresAt: Number.NaN })),
      ]) {
        await expect(bad()).rejects.toMatchObject({ name: 'StoreError', code: 'invalid-argument' });
      }
    });
  });
}
