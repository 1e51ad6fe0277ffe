/**
 * RFC 5929 section 4.1 `tls-server-end-point` channel binding: the hash of
 * the server's leaf certificate, taken with the hash function of the
 * certificate's signature algorithm, except that MD5 and SHA-1 are replaced
 * by SHA-256. Algorithms without a single hash (Ed25519, Ed448) have no
 * defined binding.
 */
import { createHash } from 'node:crypto';

interface Tlv {
  tag: number;
  /** Offset of the value. */
  start: number;
  /** Offset just after the value. */
  end: number;
}

/** Reads one DER TLV at `offset`; throws RangeError on truncated or indefinite-length input. */
function readTlv(der: Uint8Array, offset: number): Tlv {
  if (offset + 2 > der.length) throw new RangeError('truncated DER');
  const tag = der[offset]!;
  let len = der[offset + 1]!;
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > der.length) throw new RangeError('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i]!;
    start += n;
  }
  const end = start + len;
  if (end > der.length) throw new RangeError('truncated DER');
  return { tag, start, end };
}

/** Dotted form of a DER OBJECT IDENTIFIER value. */
function decodeOid(bytes: Uint8Array): string {
  const parts: number[] = [];
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

const SEQUENCE = 0x30;
const OID = 0x06;

/** Signature algorithm OID -> hash used for the binding. */
const SIGNATURE_HASHES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.4': 'sha256', // md5WithRSAEncryption
  '1.2.840.113549.1.1.5': 'sha256', // sha1WithRSAEncryption
  '1.2.840.10045.4.1': 'sha256', // ecdsa-with-SHA1
  '1.2.840.10040.4.3': 'sha256', // dsa-with-sha1
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

const RSASSA_PSS = '1.2.840.113549.1.1.10';

/** Hash OIDs that may appear in RSASSA-PSS parameters. */
const DIGEST_OIDS: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha256', // sha1 -> sha256
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '2.16.840.1.101.3.4.2.4': 'sha224',
};

/** The hash RFC 5929 selects for a DER certificate, or undefined when none is defined. */
export function endPointHashName(der: Uint8Array): string | undefined {
  try {
    const cert = readTlv(der, 0);
    if (cert.tag !== SEQUENCE) return undefined;
    const tbs = readTlv(der, cert.start);
    const algId = readTlv(der, tbs.end);
    if (algId.tag !== SEQUENCE) return undefined;
    const oidTlv = readTlv(der, algId.start);
    if (oidTlv.tag !== OID) return undefined;
    const oid = decodeOid(der.subarray(oidTlv.start, oidTlv.end));
    if (oid !== RSASSA_PSS) return SIGNATURE_HASHES[oid];
    // RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] AlgorithmIdentifier DEFAULT sha1, ... }
    if (oidTlv.end >= algId.end) return 'sha256';
    const params = readTlv(der, oidTlv.end);
    if (params.tag !== SEQUENCE || params.start >= params.end) return 'sha256';
    const first = readTlv(der, params.start);
    if (first.tag !== 0xa0) return 'sha256';
    const hashAlg = readTlv(der, first.start);
    const hashOid = readTlv(der, hashAlg.start);
    if (hashOid.tag !== OID) return undefined;
    return DIGEST_OIDS[decodeOid(der.subarray(hashOid.start, hashOid.end))];
  } catch {
    return undefined;
  }
}

/** The `tls-server-end-point` channel binding data of a DER certificate, or undefined. */
export function tlsServerEndPoint(der: Uint8Array): Buffer | undefined {
  const hash = endPointHashName(der);
  return hash === undefined ? undefined : createHash(hash).update(der).digest();
}
