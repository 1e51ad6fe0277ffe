/**
 * Offline message ids are a per-owner sequence number rendered as 16 zero-padded
 * digits (enough for Number.MAX_SAFE_INTEGER), so string order equals numeric
 * order equals arrival order.
 */
const WIDTH = 16;

export function formatOfflineId(seq: number): string {
  return String(seq).padStart(WIDTH, '0');
}

/** The sequence number of an id, or undefined for anything that is not one. */
export function parseOfflineId(id: unknown): number | undefined {
  if (typeof id !== 'string' || !/^\d{1,16}$/.test(id)) return undefined;
  const seq = Number(id);
  return Number.isSafeInteger(seq) && seq >= 1 ? seq : undefined;
}
