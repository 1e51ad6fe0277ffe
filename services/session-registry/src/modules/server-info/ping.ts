import { NS_PING } from '@parley/stanza';
import type { ServerModule } from '../types.js';

/** XEP-0199: XMPP Ping, answered by the server for itself. */
export const pingModule: ServerModule = {
  name: 'ping',
  xeps: [{ xep: '0199', title: 'XMPP Ping', version: '2.0.1' }],
  register(ctx) {
    ctx.feature(NS_PING);
    ctx.serverIq('get', NS_PING, async () => undefined);
  },
};
