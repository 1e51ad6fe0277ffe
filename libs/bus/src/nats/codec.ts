import type { BusPayload } from '../bus.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

/**
 * Bus payloads travel as UTF-8 JSON. `undefined` (no payload) is sent as an
 * empty body and decodes back to `undefined`.
 */
export function encodePayload(data: BusPayload): Uint8Array {
  if (data === undefined) return EMPTY;
  const text = JSON.stringify(data);
  // JSON.stringify returns undefined for functions and symbols.
  return text === undefined ? EMPTY : encoder.encode(text);
}

export function decodePayload(bytes: Uint8Array): BusPayload {
  if (bytes.length === 0) return undefined;
  return JSON.parse(decoder.decode(bytes)) as BusPayload;
}
