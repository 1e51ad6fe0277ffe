import { decodeBase64Strict } from './base64.js';
import type { SaslStep } from './types.js';

/**
 * Decodes the character data of an `<auth/>` or `<response/>` element
 * (RFC 6120 section 6.4.2): '=' is a present but empty payload, '' is no
 * payload (also returned as an empty Buffer: for `<auth/>` the caller passes
 * undefined to `start` instead), anything not canonical base64 is an
 * incorrect-encoding failure.
 */
export function decodeSaslPayload(text: string): Buffer | SaslStep {
  if (text === '=' || text === '') return Buffer.alloc(0);
  return (
    decodeBase64Strict(text) ?? {
      kind: 'failure',
      condition: 'incorrect-encoding',
      text: 'payload is not valid base64',
    }
  );
}

/** Encodes challenge or success data: '=' for an empty payload, base64 otherwise. */
export function encodeSaslPayload(data: Buffer): string {
  return data.length === 0 ? '=' : data.toString('base64');
}
