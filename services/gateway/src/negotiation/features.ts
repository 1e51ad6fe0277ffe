/**
 * Stream features per negotiation state (RFC 6120 4.3.2), as the stream
 * modules contribute them (src/stream-modules): before authentication
 * STARTTLS, the SASL mechanisms with the XEP-0440 channel-binding types,
 * SASL2 and XEP-0077 registration; after authentication resource binding,
 * roster versioning and pre-approval, stream management and client state
 * indication. This file keeps what several of them need: the connection's
 * channel binding.
 */
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { TlsMaterial } from '@parley/process';
import { tlsChannelBinding } from '@parley/sasl';
import type { ChannelBindingSource } from '@parley/sasl';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { Connection } from '../connection.js';

/** XEP-0440 SASL Channel-Binding Type Capability. */
export const NS_SASL_CB = 'urn:xmpp:sasl-cb:0';

/** `<stream:features/>` for the stream `conn` opens (before or after authentication). */
export function featuresFor(conn: Connection): string {
  return conn.ctx.streams.featuresXml(
    conn.user === undefined ? 'negotiating' : 'authenticated',
    conn,
  );
}

/** Per TLS socket: the features and the <auth/> of one stream both ask for it. */
const bindings = new WeakMap<TLSSocket, ChannelBindingSource | null>();
/** The DER of each certificate the gateway presents, parsed once. */
const certificates = new WeakMap<TlsMaterial, Buffer | null>();

function ownCertificate(material: TlsMaterial): Buffer | undefined {
  let der = certificates.get(material);
  if (der === undefined) {
    try {
      der = new X509Certificate(material.cert).raw;
    } catch {
      der = null;
    }
    certificates.set(material, der);
  }
  return der ?? undefined;
}

export function connectionChannelBinding(conn: Connection): ChannelBindingSource | undefined {
  const socket = conn.transport.tlsSocket();
  if (socket === undefined) return undefined;
  let source = bindings.get(socket);
  if (source === undefined) {
    // Every listener presents conn.ctx.tls (STARTTLS, direct TLS, wss): its
    // certificate is the one tls-server-end-point hashes, without reading it
    // back from each socket.
    const serverCertificate = ownCertificate(conn.ctx.tls);
    const created = tlsChannelBinding(
      socket,
      'server',
      serverCertificate === undefined ? {} : { serverCertificate },
    );
    // `types` lists only what can be computed; nothing is computed until a -PLUS exchange asks.
    source = created.types.length > 0 ? created : null;
    bindings.set(socket, source);
  }
  return source ?? undefined;
}

export function channelBindingFeature(cb: ChannelBindingSource): Element {
  return xml(
    'sasl-channel-binding',
    { xmlns: NS_SASL_CB },
    ...cb.types.map((type) => xml('channel-binding', { type })),
  );
}
