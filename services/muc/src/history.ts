/** Discussion history on entering a room (XEP-0045 7.2.14 and 7.2.15). */
import type { Element } from '@parley/xml';
import type { HistoryEntry } from './room.js';

export interface HistoryRequest {
  maxchars?: number;
  maxstanzas?: number;
  seconds?: number;
  /** ms since epoch */
  since?: number;
}

function nonNegativeInt(v: string | undefined): number | undefined {
  if (v === undefined || !/^\s*\d+\s*$/.test(v)) return undefined;
  return Number(v.trim());
}

/** Reads `<history/>` from the join's `<x xmlns=muc/>`; undefined when absent. */
export function readHistoryRequest(history: Element | undefined): HistoryRequest | undefined {
  if (!history) return undefined;
  const req: HistoryRequest = {};
  const maxchars = nonNegativeInt(history.attr('maxchars'));
  if (maxchars !== undefined) req.maxchars = maxchars;
  const maxstanzas = nonNegativeInt(history.attr('maxstanzas'));
  if (maxstanzas !== undefined) req.maxstanzas = maxstanzas;
  const seconds = nonNegativeInt(history.attr('seconds'));
  if (seconds !== undefined) req.seconds = seconds;
  const since = history.attr('since');
  if (since !== undefined) {
    const t = Date.parse(since);
    if (Number.isFinite(t)) req.since = t;
  }
  return req;
}

/**
 * The entries to send, oldest first: at most the room's history length,
 * and within every limit the occupant asked for. `maxchars` counts the
 * characters of each message as sent (`size`).
 */
export function selectHistory(
  entries: readonly HistoryEntry[],
  roomLength: number,
  req: HistoryRequest | undefined,
  now: number,
  size: (e: HistoryEntry) => number,
): HistoryEntry[] {
  let max = roomLength;
  if (req?.maxstanzas !== undefined) max = Math.min(max, req.maxstanzas);
  if (max <= 0 || req?.maxchars === 0) return [];
  const oldest = Math.max(
    req?.seconds !== undefined ? now - req.seconds * 1000 : -Infinity,
    req?.since !== undefined ? req.since : -Infinity,
  );
  const out: HistoryEntry[] = [];
  let chars = 0;
  for (let i = entries.length - 1; i >= 0 && out.length < max; i--) {
    const e = entries[i]!;
    if (e.ts < oldest) break;
    if (req?.maxchars !== undefined) {
      chars += size(e);
      if (chars > req.maxchars) break;
    }
    out.push(e);
  }
  return out.reverse();
}
