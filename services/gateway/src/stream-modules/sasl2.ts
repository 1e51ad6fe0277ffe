import { NS_BIND2, NS_CARBONS, NS_CSI, NS_FAST, NS_SASL2, NS_SM } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { Connection } from '../connection.js';
import { carbonsEnabled } from '../negotiation/bind2.js';
import { connectionChannelBinding } from '../negotiation/features.js';
import { offeredFastMechanisms, offeredMechanisms } from '../negotiation/mechanisms.js';
import { onSasl2 } from '../negotiation/sasl2.js';
import type { StreamModule } from './types.js';

/** `<authentication/>`: the SASL mechanisms and what may come inline (Bind2, XEP-0198, FAST). */
function authenticationFeature(conn: Connection): Element | undefined {
  const { config } = conn.ctx;
  const cb = conn.secure ? connectionChannelBinding(conn) : undefined;
  const mechanisms = offeredMechanisms(conn, cb);
  if (mechanisms.length === 0) return undefined;
  const bindInline = [
    config.sm.enabled && xml('feature', { var: NS_SM }),
    carbonsEnabled(conn) && xml('feature', { var: NS_CARBONS }),
    config.csi.enabled && xml('feature', { var: NS_CSI }),
  ];
  const fast = offeredFastMechanisms(conn, cb);
  return xml(
    'authentication',
    { xmlns: NS_SASL2 },
    ...mechanisms.map((m) => xml('mechanism', null, m)),
    xml(
      'inline',
      null,
      xml('bind', { xmlns: NS_BIND2 }, xml('inline', null, ...bindInline)),
      config.sm.enabled && xml('sm', { xmlns: NS_SM }),
      fast.length > 0 &&
        xml('fast', { xmlns: NS_FAST }, ...fast.map((m) => xml('mechanism', null, m))),
    ),
  );
}

/**
 * XEP-0388 SASL2 with XEP-0386 Bind2, XEP-0198 inline and XEP-0484 FAST
 * (negotiation/sasl2.ts, bind2.ts, fast.ts): the `<authentication/>`
 * feature before authentication, and the SASL2 elements.
 */
export const sasl2Module: StreamModule = {
  name: 'sasl2',
  configSections: ['c2s.sasl2', 'c2s.fast'],
  after: ['sasl'],
  xeps: [
    {
      xep: '0388',
      title: 'Extensible SASL Profile',
      version: '0.4.0',
      note: 'the SASL mechanisms and checks of RFC 6120 SASL; no tasks (<continue/>)',
    },
    {
      xep: '0386',
      title: 'Bind 2',
      version: '1.0.0',
      note: 'resource <tag>/<id>, stable per client; stream management, carbons and CSI inline; no MAM metadata, offline messages not cleared',
    },
    {
      xep: '0484',
      title: 'Fast Authentication Streamlining Tokens',
      version: '0.1.0',
      note: 'HT-SHA-256-NONE, -UNIQ, -ENDP, -EXPR; rotation, invalidation; derived tokens in the shared store; no TLS 0-RTT',
    },
  ],
  enabled: (config) => config.c2s.sasl2.enabled,
  register(ctx) {
    ctx.feature('negotiating', authenticationFeature);
    ctx.nonza('negotiating', NS_SASL2, onSasl2);
  },
};
