import { StoreError } from '../errors.js';

export function checkJid(jid: unknown, what = 'jid'): asserts jid is string {
  if (typeof jid !== 'string' || jid.length === 0) {
    throw new StoreError('invalid-argument', `${what} must be a non-empty string`);
  }
}

/** `limit` is optional; when given it must be a positive integer. */
export function checkLimit(limit: number | undefined): void {
  if (limit === undefined) return;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new StoreError('invalid-argument', `limit must be a positive integer, got ${limit}`);
  }
}

export function checkCap(cap: number, name = 'cap'): void {
  if (!Number.isSafeInteger(cap) || cap < 0) {
    throw new StoreError('invalid-argument', `${name} must be a non-negative integer, got ${cap}`);
  }
}

/** How many archived messages `trim` keeps: a non-negative integer. */
export function checkKeep(keep: number): void {
  if (!Number.isSafeInteger(keep) || keep < 0) {
    throw new StoreError('invalid-argument', `keep must be a non-negative integer, got ${keep}`);
  }
}

export function checkTimestamp(ts: number, what = 'ts'): void {
  if (!Number.isFinite(ts)) {
    throw new StoreError('invalid-argument', `${what} must be a finite number, got ${ts}`);
  }
}
