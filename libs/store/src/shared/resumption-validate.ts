import { StoreError } from '../errors.js';
import type { OutboundEntry } from '../resumption.js';

/** SM-IDs are printable tokens; the XEP caps them at 4000 bytes, we stay far below. */
const ID = /^[A-Za-z0-9_-]{1,256}$/;

export function checkResumptionId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || !ID.test(id)) {
    throw new StoreError(
      'invalid-argument',
      'a resumption id is 1-256 characters of [A-Za-z0-9_-]',
    );
  }
}

export function checkCounter(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new StoreError('invalid-argument', `${what} must be a non-negative integer, got ${n}`);
  }
}

/** Entries must carry ascending positive sequence numbers. */
/** A delivery id of an outbound entry (stored next to the seq in Redis: no spaces or colons). */
const DELIVERY_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function checkEntries(entries: readonly OutboundEntry[]): void {
  let last = 0;
  for (const [seq, xml, did] of entries) {
    if (!Number.isSafeInteger(seq) || seq <= last || typeof xml !== 'string') {
      throw new StoreError(
        'invalid-argument',
        'outbound entries need ascending positive integer sequence numbers and string stanzas',
      );
    }
    if (did !== undefined && (typeof did !== 'string' || !DELIVERY_ID.test(did))) {
      throw new StoreError(
        'invalid-argument',
        'an outbound entry delivery id is 1 to 64 letters, digits, - or _',
      );
    }
    last = seq;
  }
}

/** An append that does not continue the record's sequence (an earlier append was lost). */
export function outOfSequence(id: string): StoreError {
  return new StoreError(
    'invalid-argument',
    `outbound entries for ${id} must continue its sequence (outboundSeq + 1)`,
  );
}
