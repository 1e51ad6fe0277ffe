/**
 * Stream features per negotiation state (RFC 6120 4.3.2):
 * - before TLS: STARTTLS (required when c2s.requireTls; never over
 *   WebSocket, RFC 7395 3.9), plus SASL when TLS is optional;
 * - after TLS, before authentication: SASL mechanisms, XEP-0440 channel
 *   binding types;
 * - after authentication: resource binding and the optional RFC 3921
 *   session;
 * and in each state what the stream modules contribute (src/stream-modules:
 * XEP-0077 registration before authentication; roster versioning and
 * pre-approval, stream management and client state indication after).
 */
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { TlsMaterial } from '@parley/process';
import { tlsChannelBinding } from '@parley/sasl';
import type { ChannelBindingSource } from '@parley/sasl';
import { NS_BIND, NS_SASL, NS_SESSION, NS_TLS } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { Connection } from '../connection.js';
import { offeredMechanisms } from './mechanisms.js';

/** XEP-0440 SASL Channel-Binding Type Capability. */
export const NS_SASL_CB = 'urn:xmpp:sasl-cb:0';

export function postAuthFeatures(fromModules: readonly Element[]): string {
  return xml(
    'stream:features',
    null,
    xml('bind', { xmlns: NS_BIND }),
    xml('session', { xmlns: NS_SESSION }, xml('optional')),
    ...fromModules,
  ).toString();
}

export function featuresFor(conn: Connection): string {
  if (conn.user !== undefined) return conn.ctx.postAuthFeatures;
  const { config } = conn.ctx;
  const features = xml('stream:features');
  if (!conn.secure && conn.transport.canStartTls) {
    features.append(xml('starttls', { xmlns: NS_TLS }, config.c2s.requireTls && xml('required')));
  }
  const cb = conn.secure ? connectionChannelBinding(conn) : undefined;
  const mechanisms = offeredMechanisms(conn, cb);
  if (mechanisms.length > 0) {
    features.append(
      xml('mechanisms', { xmlns: NS_SASL }, ...mechanisms.map((m) => xml('mechanism', null, m))),
    );
    if (cb !== undefined && mechanisms.some((m) => m.endsWith('-PLUS'))) {
      features.append(channelBindingFeature(cb));
    }
  }
  for (const f of conn.ctx.streams.preAuth(conn)) features.append(f);
  return features.toString();
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

function channelBindingFeature(cb: ChannelBindingSource): Element {
  return xml(
    'sasl-channel-binding',
    { xmlns: NS_SASL_CB },
    ...cb.types.map((type) => xml('channel-binding', { type })),
  );
}
