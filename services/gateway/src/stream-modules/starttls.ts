import { NS_TLS } from '@parley/stanza';
import { xml } from '@parley/xml';
import { startTls } from '../negotiation/starttls.js';
import type { StreamModule } from './types.js';

/**
 * STARTTLS (RFC 6120 section 5): the `<starttls/>` feature on a plain TCP
 * stream (`<required/>` when c2s.requireTls; never over WebSocket, RFC 7395
 * 3.9) and the `<starttls/>` element. The upgrade is in negotiation/starttls.ts.
 */
export const starttlsModule: StreamModule = {
  name: 'starttls',
  xeps: [],
  register(ctx) {
    const required = ctx.config.c2s.requireTls;
    ctx.feature('negotiating', (conn) =>
      !conn.secure && conn.transport.canStartTls
        ? xml('starttls', { xmlns: NS_TLS }, required && xml('required'))
        : undefined,
    );
    ctx.nonza('negotiating', NS_TLS, (conn, el) => {
      if (el.localName === 'starttls') return startTls(conn);
      conn.closeStream('unsupported-stanza-type');
    });
  },
};
