import { NS_DISCO_INFO, NS_DISCO_ITEMS } from '@parley/stanza';
import { roomInfo, roomItems, serviceInfo, serviceItems, uniqueName } from '../disco.js';
import { NS_MUC_UNIQUE } from '../ns.js';
import type { MucModule } from './types.js';

/**
 * Service discovery of the service and its rooms (XEP-0045 section 6,
 * src/disco.ts): identities and the features every enabled module
 * registered, the muc#roominfo form, the reserved-nickname node, the
 * public room list with XEP-0059 paging, and unique room names.
 */
export const mucDiscoModule: MucModule = {
  name: 'muc-disco',
  xeps: [
    { xep: '0030', title: 'Service Discovery', version: '2.5rc3', note: 'the service and rooms' },
    { xep: '0128', title: 'Service Discovery Extensions', version: '1.0', note: 'muc#roominfo' },
    {
      xep: '0059',
      title: 'Result Set Management',
      version: '1.0.0',
      note: 'room list of the MUC service',
    },
    {
      xep: '0045',
      title: 'Multi-User Chat',
      version: '1.35',
      note: 'unique room names: muc#unique, section 10.1.4',
    },
  ],
  register(ctx) {
    for (const ns of [NS_DISCO_INFO, NS_DISCO_ITEMS]) {
      ctx.roomFeature(ns);
      ctx.serviceFeature(ns);
    }
    ctx.serviceFeature(NS_MUC_UNIQUE);
    ctx.roomIq('get', NS_DISCO_INFO, ({ room, payload, from }) =>
      roomInfo(room, payload.attr('node'), from.toBareString(), ctx.roomFeatures(room)),
    );
    ctx.roomIq('get', NS_DISCO_ITEMS, ({ payload }) => roomItems(payload));
    ctx.serviceIq('get', NS_DISCO_INFO, ({ payload }) =>
      serviceInfo(ctx.core, payload.attr('node'), ctx.serviceFeatures()),
    );
    ctx.serviceIq('get', NS_DISCO_ITEMS, ({ payload, to }) =>
      serviceItems(ctx.core, to.domain, payload),
    );
    ctx.serviceIq('get', NS_MUC_UNIQUE, () => uniqueName(ctx.core));
  },
};
