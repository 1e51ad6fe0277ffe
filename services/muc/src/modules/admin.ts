import { adminGet, adminSet } from '../admin.js';
import { NS_MUC_ADMIN } from '../ns.js';
import type { MucModule } from './types.js';

/**
 * Roles and affiliations over muc#admin (XEP-0045 sections 8 and 9, and
 * the owner and admin lists of 10.5-10.8; rules in src/admin.ts): kick,
 * voice, moderator, member, admin, owner and outcast lists.
 */
export const mucAdminModule: MucModule = {
  name: 'muc-admin',
  xeps: [
    {
      xep: '0045',
      title: 'Multi-User Chat',
      version: '1.35',
      note: 'muc#admin: roles and affiliations',
    },
  ],
  register(ctx) {
    ctx.roomIq('get', NS_MUC_ADMIN, ({ room, actor, payload }) => adminGet(room, actor, payload));
    ctx.roomIq('set', NS_MUC_ADMIN, ({ room, actor, payload }) =>
      adminSet(ctx.core, room, actor, payload),
    );
  },
};
