import type { ArchivedMessage, ArchivePage, ArchivePrefs, ArchiveQuery } from '../contracts.js';
import { StoreError } from '../errors.js';
import { archiveIdBounds, archiveIdTime } from './archive-id.js';
import { compareCodePoints } from './jid-order.js';
import { checkJid, checkTimestamp } from './validate.js';

/** The filters of a query: everything but the page size and direction. */
export type ArchiveFilter = Omit<ArchiveQuery, 'limit' | 'fromEnd'>;

export function checkArchiveId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || id.length === 0) {
    throw new StoreError('invalid-argument', 'an archive id must be a non-empty string');
  }
}

export function checkArchivedMessage(msg: ArchivedMessage): void {
  checkArchiveId(msg.id);
  checkTimestamp(msg.ts, 'msg.ts');
  checkJid(msg.with, 'msg.with');
  if (typeof msg.xml !== 'string') {
    throw new StoreError('invalid-argument', 'msg.xml must be a string');
  }
}

export function checkArchiveFilter(q: ArchiveFilter): void {
  if (q.start !== undefined) checkTimestamp(q.start, 'start');
  if (q.end !== undefined) checkTimestamp(q.end, 'end');
  if (q.ids !== undefined) {
    if (!Array.isArray(q.ids)) throw new StoreError('invalid-argument', 'ids must be an array');
    for (const id of q.ids) checkArchiveId(id);
  }
}

/** A query's `limit` may be 0 (RSM <max>0</max>: no items, only whether any match). */
export function checkArchiveQuery(q: ArchiveQuery): void {
  checkArchiveFilter(q);
  if (!Number.isSafeInteger(q.limit) || q.limit < 0) {
    throw new StoreError(
      'invalid-argument',
      `limit must be a non-negative integer, got ${String(q.limit)}`,
    );
  }
}

export function checkArchivePrefs(prefs: ArchivePrefs): void {
  if (prefs.default !== 'always' && prefs.default !== 'never' && prefs.default !== 'roster') {
    throw new StoreError('invalid-argument', `unknown archive default ${String(prefs.default)}`);
  }
  for (const jid of [...prefs.always, ...prefs.never]) checkJid(jid, 'prefs jid');
}

/** Whether a message passes every filter of `q`. */
export function archiveMatcher(q: ArchiveFilter): (msg: ArchivedMessage) => boolean {
  const ids = q.ids === undefined ? undefined : new Set(q.ids);
  return (msg) =>
    (q.with === undefined || msg.with === q.with) &&
    (q.withResource === undefined || msg.withResource === q.withResource) &&
    (q.start === undefined || msg.ts >= q.start) &&
    (q.end === undefined || msg.ts <= q.end) &&
    (q.afterId === undefined || compareCodePoints(msg.id, q.afterId) > 0) &&
    (q.beforeId === undefined || compareCodePoints(msg.id, q.beforeId) < 0) &&
    (ids === undefined || ids.has(msg.id));
}

/**
 * Takes up to `limit` matches from candidates given in paging order
 * (ascending, or descending for `fromEnd`), stopping at the first match
 * beyond the page. Items come back ascending.
 */
export function takeArchivePage(
  candidates: Iterable<ArchivedMessage>,
  match: (msg: ArchivedMessage) => boolean,
  limit: number,
  fromEnd: boolean,
): ArchivePage {
  const items: ArchivedMessage[] = [];
  let complete = true;
  for (const msg of candidates) {
    if (!match(msg)) continue;
    if (items.length === limit) {
      complete = false;
      break;
    }
    items.push(msg);
  }
  if (fromEnd) items.reverse();
  return { items, complete };
}

/** The distinct ids of an `ids` filter in id order (descending when `reverse`). */
export function sortedIds(ids: readonly string[], reverse: boolean): string[] {
  const sorted = [...new Set(ids)].sort(compareCodePoints);
  return reverse ? sorted.reverse() : sorted;
}

/** Largest time an 18-character archive id can encode (9 base-36 digits). */
const MAX_ID_TIME = 36 ** 9 - 1;

/** Whether a message's id encodes its own time, so time bounds can be turned into id bounds. */
export function idMatchesTime(msg: ArchivedMessage): boolean {
  return archiveIdTime(msg.id) === Math.max(0, Math.floor(msg.ts));
}

/**
 * Inclusive id bounds that contain every message passing the filter's id
 * bounds and, when `useTime` (every id of the archive encodes its own time,
 * see idMatchesTime), its time bounds. Callers still apply archiveMatcher to
 * what they read between them.
 */
export function archiveSeekBounds(
  q: ArchiveFilter,
  useTime: boolean,
): { low?: string; high?: string } {
  let low = q.afterId;
  let high = q.beforeId;
  if (useTime && q.start !== undefined) {
    const min = archiveIdBounds(Math.min(q.start, MAX_ID_TIME)).min;
    if (low === undefined || compareCodePoints(min, low) > 0) low = min;
  }
  if (useTime && q.end !== undefined && q.end <= MAX_ID_TIME) {
    const max = archiveIdBounds(q.end).max;
    if (high === undefined || compareCodePoints(max, high) < 0) high = max;
  }
  return { ...(low === undefined ? {} : { low }), ...(high === undefined ? {} : { high }) };
}
