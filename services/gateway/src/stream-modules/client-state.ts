import { NS_CSI } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { Connection } from '../connection.js';
import type { StreamModule } from './types.js';

/** `<active/>` and `<inactive/>`; anything else in the namespace ends the stream. */
function clientState(conn: Connection, el: Element): void {
  if (el.localName === 'active') conn.setClientState(true);
  else if (el.localName === 'inactive') conn.setClientState(false);
  else conn.closeStream('unsupported-stanza-type');
}

/**
 * XEP-0352 Client State Indication: an inactive client is spared presence
 * and chat-state floods (the queue is in src/csi.ts). Accepted before and
 * after binding.
 */
export const clientStateModule: StreamModule = {
  name: 'client-state',
  configSections: ['csi'],
  xeps: [
    {
      xep: '0352',
      title: 'Client State Indication',
      version: '1.0.0',
      note: 'presence and chat-state deferral while inactive',
    },
  ],
  enabled: (config) => config.csi.enabled,
  register(ctx) {
    ctx.feature('authenticated', xml('csi', { xmlns: NS_CSI }));
    ctx.feature('bound', xml('csi', { xmlns: NS_CSI }));
    ctx.nonza('authenticated', NS_CSI, clientState);
    ctx.nonza('bound', NS_CSI, clientState);
  },
};
