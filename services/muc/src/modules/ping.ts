import { NS_PING } from '@parley/stanza';
import { NS_MUC_SELF_PING } from '../ns.js';
import type { MucModule } from './types.js';

/**
 * Pings: XEP-0199 to the service and to a room, and XEP-0410 self-ping,
 * an occupant's ping to its own occupant JID, answered by the room while
 * the occupant is joined (not-acceptable once it is not: the core's
 * answer to anyone who is not an occupant). Without this module a
 * self-ping is forwarded to the occupant's client, which XEP-0410 allows.
 */
export const mucPingModule: MucModule = {
  name: 'muc-ping',
  xeps: [
    { xep: '0199', title: 'XMPP Ping', version: '2.0.1', note: 'the service and rooms' },
    { xep: '0410', title: "MUC Self-Ping (Schrödinger's Chat)", version: '1.0.1' },
  ],
  register(ctx) {
    ctx.roomFeature(NS_MUC_SELF_PING);
    ctx.serviceFeature(NS_PING);
    ctx.serviceIq('get', NS_PING, () => undefined);
    ctx.roomIq('get', NS_PING, () => undefined);
    ctx.selfIq('get', NS_PING, () => undefined);
  },
};
