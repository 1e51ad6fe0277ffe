import { NS_LAST, forbidden, serviceUnavailable } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { ServerModule } from '../types.js';

/**
 * XEP-0012: Last Activity. To the server: its uptime. To an account: seconds
 * since its last logout (0 while online), only for contacts subscribed to its
 * presence and for the account itself.
 */
export const lastActivityModule: ServerModule = {
  name: 'last',
  xeps: [{ xep: '0012', title: 'Last Activity', version: '2.0' }],
  register(ctx) {
    ctx.feature(NS_LAST);
    ctx.feature(NS_LAST, 'account');
    ctx.serverIq('get', NS_LAST, async () =>
      xml('query', { xmlns: NS_LAST, seconds: Math.floor((Date.now() - ctx.startedAt) / 1000) }),
    );
    ctx.accountIq('get', NS_LAST, async ({ from, to }) => {
      const owner = to.toBareString();
      if (from.toBareString() !== owner) {
        const item = await ctx.stores.rosters.getItem(owner, from.toBareString());
        if (!item || (item.subscription !== 'from' && item.subscription !== 'both'))
          throw forbidden();
      }
      if (ctx.sessions.available(owner).length > 0)
        return xml('query', { xmlns: NS_LAST, seconds: 0 });
      const last = await ctx.stores.lastActivity.get(owner);
      if (!last) throw serviceUnavailable();
      const seconds = Math.max(0, Math.floor((Date.now() - last.ts) / 1000));
      return xml('query', { xmlns: NS_LAST, seconds }, last.status ?? null);
    });
  },
};
