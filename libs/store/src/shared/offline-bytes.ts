/**
 * The size an offline message counts for against its owner's byte bound
 * (`offline.maxBytesPerUser`): the UTF-8 bytes of its serialized XML, as
 * every backend stores it (PostgreSQL's `octet_length` of a UTF-8 text).
 */
export function offlineBytes(xml: string): number {
  return Buffer.byteLength(xml, 'utf8');
}

/**
 * Whether a queue holding `queued` bytes has room for a message of `size`
 * bytes under `maxBytes` (0 = no byte bound).
 */
export function offlineBytesFit(queued: number, size: number, maxBytes: number): boolean {
  return maxBytes === 0 || queued + size <= maxBytes;
}
