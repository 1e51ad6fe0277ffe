/**
 * Parsing and formatting of SCRAM messages (RFC 5802 section 7). Parsers
 * throw SaslError('malformed-message') for anything outside the grammar.
 */
import { decodeBase64Strict } from './base64.js';
import { SaslError } from './errors.js';

/** GS2 header (RFC 5802 section 7, gs2-header). */
export interface Gs2Header {
  /** 'n': no binding support; 'y': client supports binding, thinks the server does not; 'p': binding used. */
  flag: 'n' | 'y' | 'p';
  /** The channel binding type, present when flag is 'p'. */
  cbName?: string;
  /** Decoded authzid, when the client sent one. */
  authzid?: string;
  /** The header as sent, including the trailing comma. */
  raw: string;
}

export interface ClientFirstMessage {
  gs2: Gs2Header;
  /** client-first-message-bare, as sent (part of AuthMessage). */
  bare: string;
  /** Decoded (=2C, =3D) but not yet SASLprep'ed username. */
  username: string;
  clientNonce: string;
}

export interface ClientFinalMessage {
  /** Decoded c= attribute. */
  channelBinding: Buffer;
  nonce: string;
  proof: Buffer;
  /** client-final-message-without-proof, as sent (part of AuthMessage). */
  withoutProof: string;
}

export interface ServerFirstMessage {
  nonce: string;
  salt: Buffer;
  iterations: number;
}

export type ServerFinalMessage = { verifier: Buffer } | { error: string };

const SASLNAME = /^(?:[^\0=,]|=2C|=3D)+$/;
const PRINTABLE = /^[\x21-\x2B\x2D-\x7E]+$/;
const CB_NAME = /^[A-Za-z0-9.-]+$/;
const POSIT_NUMBER = /^[1-9][0-9]*$/;
const ATTR_VAL = /^[A-Za-z]=[^\0,]+$/;

function malformed(text: string): SaslError {
  return new SaslError('malformed-message', text);
}

/** Escapes ',' and '=' of a saslname. */
export function encodeSaslname(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** Reverses {@link encodeSaslname}; throws for '=' not starting =2C or =3D, NUL, or ''. */
export function decodeSaslname(text: string): string {
  if (!SASLNAME.test(text)) throw malformed('invalid saslname');
  return text.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** A valid nonce part: printable ASCII except ','. */
export function isPrintable(text: string): boolean {
  return PRINTABLE.test(text);
}

/** Returns the value of `part` if it is attribute `name`, else throws. */
function attribute(part: string | undefined, name: string, what: string): string {
  if (part === undefined || !part.startsWith(`${name}=`)) throw malformed(`expected ${what}`);
  return part.slice(name.length + 1);
}

function checkExtensions(parts: string[]): void {
  for (const part of parts) {
    if (!ATTR_VAL.test(part)) throw malformed('invalid attribute');
  }
}

function base64Attribute(value: string, what: string): Buffer {
  const data = decodeBase64Strict(value);
  if (data === undefined) throw malformed(`${what} is not valid base64`);
  return data;
}

function nonceAttribute(part: string | undefined): string {
  const nonce = attribute(part, 'r', 'nonce');
  if (!PRINTABLE.test(nonce)) throw malformed('invalid nonce');
  return nonce;
}

function parseGs2Header(flagPart: string | undefined, authzPart: string | undefined): Gs2Header {
  if (flagPart === undefined || authzPart === undefined) throw malformed('missing GS2 header');
  const raw = `${flagPart},${authzPart},`;
  let header: Gs2Header;
  if (flagPart === 'n' || flagPart === 'y') {
    header = { flag: flagPart, raw };
  } else if (flagPart.startsWith('p=')) {
    const cbName = flagPart.slice(2);
    if (!CB_NAME.test(cbName)) throw malformed('invalid channel binding name');
    header = { flag: 'p', cbName, raw };
  } else {
    throw malformed('invalid GS2 channel binding flag');
  }
  if (authzPart !== '') header.authzid = decodeSaslname(attribute(authzPart, 'a', 'authzid'));
  return header;
}

export function parseClientFirst(message: string): ClientFirstMessage {
  const parts = message.split(',');
  const gs2 = parseGs2Header(parts[0], parts[1]);
  const bareParts = parts.slice(2);
  if (bareParts[0]?.startsWith('m=')) throw malformed('mandatory extensions are not supported');
  const username = decodeSaslname(attribute(bareParts[0], 'n', 'username'));
  const clientNonce = nonceAttribute(bareParts[1]);
  checkExtensions(bareParts.slice(2));
  return { gs2, bare: bareParts.join(','), username, clientNonce };
}

export function parseClientFinal(message: string): ClientFinalMessage {
  const parts = message.split(',');
  if (parts.length < 3) throw malformed('client-final-message is incomplete');
  const channelBinding = base64Attribute(attribute(parts[0], 'c', 'channel binding'), 'c=');
  const nonce = nonceAttribute(parts[1]);
  checkExtensions(parts.slice(2, -1));
  const proof = base64Attribute(attribute(parts.at(-1), 'p', 'proof'), 'p=');
  return { channelBinding, nonce, proof, withoutProof: parts.slice(0, -1).join(',') };
}

export function parseServerFirst(message: string): ServerFirstMessage {
  const parts = message.split(',');
  if (parts[0]?.startsWith('m=')) throw malformed('mandatory extensions are not supported');
  const nonce = nonceAttribute(parts[0]);
  const salt = base64Attribute(attribute(parts[1], 's', 'salt'), 's=');
  const count = attribute(parts[2], 'i', 'iteration count');
  if (!POSIT_NUMBER.test(count)) throw malformed('invalid iteration count');
  const iterations = Number(count);
  if (!Number.isSafeInteger(iterations)) throw malformed('iteration count too large');
  checkExtensions(parts.slice(3));
  return { nonce, salt, iterations };
}

export function parseServerFinal(message: string): ServerFinalMessage {
  const parts = message.split(',');
  checkExtensions(parts.slice(1));
  const first = parts[0];
  if (first?.startsWith('e=')) {
    const error = first.slice(2);
    if (error === '' || error.includes('\0')) throw malformed('invalid server-error');
    return { error };
  }
  return { verifier: base64Attribute(attribute(first, 'v', 'verifier'), 'v=') };
}
