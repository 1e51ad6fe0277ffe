import { randomBytes } from 'node:crypto';

let lastMs = -1;
let seq = 0;

/**
 * A new archive id (also used as the XEP-0359 stanza-id): 9 base-36 digits
 * of the time in ms, 3 of a per-millisecond sequence, then 6 random ones.
 * Ids made later by the same process sort after earlier ones as plain
 * strings; ids of different processes sort by their clocks. The random tail
 * keeps ids unguessable.
 */
export function newArchiveId(ts: number = Date.now()): string {
  if (ts === lastMs) seq++;
  else {
    lastMs = ts;
    seq = 0;
  }
  const tail = randomBytes(4).readUInt32BE(0).toString(36).padStart(7, '0').slice(-6);
  return (
    Math.max(0, Math.floor(ts)).toString(36).padStart(9, '0') +
    (seq % 46656).toString(36).padStart(3, '0') +
    tail
  );
}

/** The smallest / largest id made at `ts`: bounds for time-range scans keyed by id. */
export function archiveIdBounds(ts: number): { min: string; max: string } {
  const t = Math.max(0, Math.floor(ts)).toString(36).padStart(9, '0');
  return { min: t + '000000000', max: t + 'zzzzzzzzz' };
}

/** The time encoded in an archive id (NaN when it is not one). */
export function archiveIdTime(id: string): number {
  return id.length === 18 ? parseInt(id.slice(0, 9), 36) : NaN;
}
