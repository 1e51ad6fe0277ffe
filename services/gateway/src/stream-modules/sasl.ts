import { NS_SASL } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { Connection } from '../connection.js';
import { channelBindingFeature, connectionChannelBinding } from '../negotiation/features.js';
import { offeredMechanisms } from '../negotiation/mechanisms.js';
import { onAbort, onAuth, onResponse } from '../negotiation/sasl.js';
import type { StreamModule } from './types.js';

/** `<mechanisms/>` and, when a -PLUS mechanism is offered, the XEP-0440 channel-binding types. */
export function saslFeatures(conn: Connection): Element[] {
  const cb = conn.secure ? connectionChannelBinding(conn) : undefined;
  const mechanisms = offeredMechanisms(conn, cb);
  if (mechanisms.length === 0) return [];
  const out = [
    xml('mechanisms', { xmlns: NS_SASL }, ...mechanisms.map((m) => xml('mechanism', null, m))),
  ];
  if (cb !== undefined && mechanisms.some((m) => m.endsWith('-PLUS'))) {
    out.push(channelBindingFeature(cb));
  }
  return out;
}

/**
 * SASL (RFC 6120 section 6): the mechanisms offered before authentication
 * (none before TLS when c2s.requireTls) with the XEP-0440 channel-binding
 * types, and `<auth/>`, `<response/>`, `<abort/>` (negotiation/sasl.ts).
 */
export const saslModule: StreamModule = {
  name: 'sasl',
  configSections: ['sasl'],
  xeps: [
    {
      xep: '0440',
      title: 'SASL Channel-Binding Type Capability',
      version: '0.4.0',
      note: 'tls-exporter, tls-server-end-point and tls-unique',
    },
  ],
  register(ctx) {
    ctx.feature('negotiating', saslFeatures);
    ctx.nonza('negotiating', NS_SASL, (conn, el) => {
      switch (el.localName) {
        case 'auth':
          return onAuth(conn, el);
        case 'response':
          return onResponse(conn, el);
        case 'abort':
          return onAbort(conn);
        default:
          conn.closeStream('unsupported-stanza-type');
      }
    });
  },
};
