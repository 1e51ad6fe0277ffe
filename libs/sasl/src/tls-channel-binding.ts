/**
 * Channel binding data of a Node TLS socket: tls-exporter (RFC 9266, TLS 1.3),
 * tls-unique (RFC 5929 section 3) and tls-server-end-point (RFC 5929
 * section 4).
 *
 * tls-unique is also given on TLS 1.3, as the first Finished message of the
 * handshake, the way OpenSSL-based peers compute it (Python's ssl module,
 * hence slixmpp; ejabberd): deployed clients such as Debian's slixmpp 1.8
 * know no other type. RFC 9266 prefers tls-exporter on TLS 1.3 because
 * tls-unique is not defined there by the IETF and its security rests on
 * the TLS 1.3 Finished messages being unique to the connection (they are
 * MACs over the handshake transcript, which holds fresh randoms and key
 * shares); tls-exporter is offered first, and a client that knows it uses it.
 */
import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { ChannelBindingSource, ChannelBindingType } from './types.js';

/** RFC 9266 section 2: exporter label; the context is empty and the output 32 bytes. */
export const TLS_EXPORTER_LABEL = 'EXPORTER-Channel-Binding';
const TLS_EXPORTER_LENGTH = 32;

/** Signature algorithm OIDs (DER content, hex) to the hash tls-server-end-point uses. */
const SIGNATURE_HASHES: Record<string, string> = {
  '2a864886f70d010104': 'sha256', // md5WithRSAEncryption: MD5 is replaced by SHA-256
  '2a864886f70d010105': 'sha256', // sha1WithRSAEncryption: SHA-1 is replaced by SHA-256
  '2a864886f70d01010e': 'sha224', // sha224WithRSAEncryption
  '2a864886f70d01010b': 'sha256', // sha256WithRSAEncryption
  '2a864886f70d01010c': 'sha384', // sha384WithRSAEncryption
  '2a864886f70d01010d': 'sha512', // sha512WithRSAEncryption
  '2a8648ce3d0401': 'sha256', // ecdsa-with-SHA1
  '2a8648ce3d040301': 'sha224', // ecdsa-with-SHA224
  '2a8648ce3d040302': 'sha256', // ecdsa-with-SHA256
  '2a8648ce3d040303': 'sha384', // ecdsa-with-SHA384
  '2a8648ce3d040304': 'sha512', // ecdsa-with-SHA512
  '2a8648ce380403': 'sha256', // dsa-with-sha1
  '608648016503040302': 'sha256', // dsa-with-sha256
};

interface Tlv {
  tag: number;
  /** Offset of the contents. */
  start: number;
  /** Offset just past the contents. */
  end: number;
}

/** Reads one DER tag-length-value at `offset`, within `limit`. */
function readTlv(der: Buffer, offset: number, limit: number): Tlv | undefined {
  const tag = der[offset];
  let lengthByte = der[offset + 1];
  if (tag === undefined || lengthByte === undefined) return undefined;
  let start = offset + 2;
  let length = lengthByte;
  if (lengthByte & 0x80) {
    const count = lengthByte & 0x7f;
    if (count === 0 || count > 4) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) {
      lengthByte = der[start + i];
      if (lengthByte === undefined) return undefined;
      length = length * 256 + lengthByte;
    }
    start += count;
  }
  const end = start + length;
  return end <= limit ? { tag, start, end } : undefined;
}

/**
 * The hash tls-server-end-point uses for a DER certificate (RFC 5929
 * section 4.1), or undefined when the signature algorithm has no single
 * known hash (e.g. RSASSA-PSS, Ed25519).
 */
export function serverEndPointHash(der: Buffer): string | undefined {
  const certificate = readTlv(der, 0, der.length);
  if (certificate?.tag !== 0x30) return undefined;
  const tbs = readTlv(der, certificate.start, certificate.end);
  if (tbs?.tag !== 0x30) return undefined;
  const algorithm = readTlv(der, tbs.end, certificate.end);
  if (algorithm?.tag !== 0x30) return undefined;
  const oid = readTlv(der, algorithm.start, algorithm.end);
  if (oid?.tag !== 0x06) return undefined;
  return SIGNATURE_HASHES[der.subarray(oid.start, oid.end).toString('hex')];
}

/** tls-server-end-point data: the certificate hashed per {@link serverEndPointHash}. */
export function serverEndPointBinding(der: Buffer): Buffer | undefined {
  const hash = serverEndPointHash(der);
  return hash === undefined ? undefined : createHash(hash).update(der).digest();
}

function serverCertificate(socket: TLSSocket, role: 'server' | 'client'): Buffer | undefined {
  const cert = role === 'server' ? socket.getCertificate() : socket.getPeerCertificate();
  if (cert === null || !('raw' in cert) || !Buffer.isBuffer(cert.raw)) return undefined;
  return cert.raw;
}

export interface TlsChannelBindingOptions {
  /**
   * The DER certificate of the server end of the connection, when the caller
   * knows it (a server passes its own): saves reading it back from the
   * socket, which builds a full JavaScript object of the certificate, on
   * every connection.
   */
  serverCertificate?: Buffer;
}

/**
 * Channel binding source of an established TLS connection, for either end
 * (`role` says which end `socket` is). Create it after the handshake
 * (`secureConnect` / `secureConnection`): the offered types depend on the
 * negotiated protocol version. tls-exporter is offered on TLS 1.3 only;
 * tls-unique on every version (see above).
 *
 * Nothing is computed up front: each type's data is computed the first time
 * it is asked for and kept (a server offers the types on every connection
 * but most clients never use channel binding). `types` lists the types that
 * can be computed: tls-server-end-point only when the certificate's signature
 * algorithm names a hash.
 */
export function tlsChannelBinding(
  socket: TLSSocket,
  role: 'server' | 'client',
  opts: TlsChannelBindingOptions = {},
): ChannelBindingSource {
  const protocol = socket.getProtocol();
  const tls13 = protocol === 'TLSv1.3';
  const known = new Map<ChannelBindingType, Buffer | undefined>();
  let certificate: Buffer | undefined | null = null;
  const serverDer = (): Buffer | undefined => {
    if (certificate === null) {
      certificate =
        role === 'server' && opts.serverCertificate !== undefined
          ? opts.serverCertificate
          : serverCertificate(socket, role);
    }
    return certificate;
  };
  const compute = (type: ChannelBindingType): Buffer | undefined => {
    switch (type) {
      case 'tls-exporter':
        return tls13
          ? socket.exportKeyingMaterial(TLS_EXPORTER_LENGTH, TLS_EXPORTER_LABEL, Buffer.alloc(0))
          : undefined;
      case 'tls-unique': {
        if (protocol === null) return undefined;
        // The first Finished message of the handshake: the client's on a full
        // handshake, the server's on a resumed one.
        const clientFirst = !socket.isSessionReused();
        const own = role === 'client' ? clientFirst : !clientFirst;
        return own ? socket.getFinished() : socket.getPeerFinished();
      }
      case 'tls-server-end-point': {
        const der = serverDer();
        return der === undefined ? undefined : serverEndPointBinding(der);
      }
    }
  };
  const get = (type: ChannelBindingType): Buffer | undefined => {
    // Keying material and handshake messages are gone once the socket is.
    if (socket.destroyed) return undefined;
    if (known.has(type)) return known.get(type);
    const data = compute(type);
    known.set(type, data);
    return data;
  };
  const possible = (type: ChannelBindingType): boolean => {
    if (socket.destroyed || protocol === null) return false;
    switch (type) {
      case 'tls-exporter':
        return tls13;
      case 'tls-unique':
        return true;
      case 'tls-server-end-point': {
        const der = serverDer();
        return der !== undefined && serverEndPointHash(der) !== undefined;
      }
    }
  };
  const candidates: ChannelBindingType[] = tls13
    ? ['tls-exporter', 'tls-server-end-point', 'tls-unique']
    : ['tls-unique', 'tls-server-end-point'];
  let types: ChannelBindingType[] | undefined;
  return {
    get types() {
      return (types ??= candidates.filter(possible));
    },
    get,
  };
}
