import { NS_MUC_OWNER } from '../ns.js';
import { ownerGet, ownerSet } from '../owner.js';
import type { MucModule } from './types.js';

/**
 * Owner use cases over muc#owner (XEP-0045 section 10, src/owner.ts and
 * src/room-config.ts): the muc#roomconfig form that unlocks a new room
 * (instant or reserved), configuration changes, destroying a room.
 */
export const mucOwnerModule: MucModule = {
  name: 'muc-owner',
  xeps: [
    {
      xep: '0045',
      title: 'Multi-User Chat',
      version: '1.35',
      note: 'muc#owner: room creation, configuration and destruction',
    },
    { xep: '0004', title: 'Data Forms', version: '2.13', note: 'room configuration' },
  ],
  register(ctx) {
    ctx.roomIq('get', NS_MUC_OWNER, ({ room, actor }) => ownerGet(ctx.core, room, actor));
    ctx.roomIq('set', NS_MUC_OWNER, ({ room, actor, payload }) =>
      ownerSet(ctx.core, room, actor, payload),
    );
  },
};
