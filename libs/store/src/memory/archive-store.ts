import type {
  ArchivedMessage,
  ArchivePage,
  ArchivePrefs,
  ArchiveQuery,
  ArchiveStore,
} from '../contracts.js';
import {
  archiveMatcher,
  checkArchiveFilter,
  checkArchiveId,
  checkArchivedMessage,
  checkArchivePrefs,
  checkArchiveQuery,
  sortedIds,
  takeArchivePage,
  type ArchiveFilter,
} from '../shared/archive-query.js';
import { compareCodePoints } from '../shared/jid-order.js';
import type { Lifecycle } from '../shared/lifecycle.js';
import { checkJid, checkKeep, checkTimestamp } from '../shared/validate.js';
import { copyRecord } from './copy.js';

interface Archive {
  /** Messages in id order. */
  messages: ArchivedMessage[];
  byId: Map<string, ArchivedMessage>;
}

/** One sorted array per archive; id bounds are binary searches, other filters a scan. */
export class MemoryArchiveStore implements ArchiveStore {
  private readonly archives = new Map<string, Archive>();
  private readonly prefs = new Map<string, ArchivePrefs>();

  constructor(private readonly life: Lifecycle) {}

  async append(archive: string, msg: ArchivedMessage): Promise<boolean> {
    this.life.assertOpen();
    checkJid(archive, 'archive');
    checkArchivedMessage(msg);
    let a = this.archives.get(archive);
    if (a?.byId.has(msg.id)) return false;
    if (!a) this.archives.set(archive, (a = { messages: [], byId: new Map() }));
    const stored = copyRecord(msg);
    a.messages.splice(upperBound(a.messages, msg.id), 0, stored);
    a.byId.set(msg.id, stored);
    return true;
  }

  async query(archive: string, q: ArchiveQuery): Promise<ArchivePage> {
    this.life.assertOpen();
    checkJid(archive, 'archive');
    checkArchiveQuery(q);
    const fromEnd = q.fromEnd === true;
    const page = takeArchivePage(
      this.candidates(archive, q, fromEnd),
      archiveMatcher(q),
      q.limit,
      fromEnd,
    );
    return { items: page.items.map((m) => copyRecord(m)), complete: page.complete };
  }

  async get(archive: string, id: string): Promise<ArchivedMessage | undefined> {
    this.life.assertOpen();
    checkJid(archive, 'archive');
    checkArchiveId(id);
    const msg = this.archives.get(archive)?.byId.get(id);
    return msg && copyRecord(msg);
  }

  async count(archive: string, q: ArchiveFilter): Promise<number> {
    this.life.assertOpen();
    checkJid(archive, 'archive');
    checkArchiveFilter(q);
    const match = archiveMatcher(q);
    let n = 0;
    for (const msg of this.candidates(archive, q, false)) if (match(msg)) n++;
    return n;
  }

  async deleteAll(archive: string): Promise<number> {
    this.life.assertOpen();
    checkJid(archive, 'archive');
    this.prefs.delete(archive);
    const a = this.archives.get(archive);
    this.archives.delete(archive);
    return a?.messages.length ?? 0;
  }

  async trim(archive: string, keep: number): Promise<number> {
    this.life.assertOpen();
    checkJid(archive, 'archive');
    checkKeep(keep);
    const a = this.archives.get(archive);
    if (!a || a.messages.length <= keep) return 0;
    const doomed = a.messages.splice(0, a.messages.length - keep);
    for (const m of doomed) a.byId.delete(m.id);
    if (a.messages.length === 0) this.archives.delete(archive);
    return doomed.length;
  }

  async deleteOlderThan(ts: number): Promise<number> {
    this.life.assertOpen();
    checkTimestamp(ts);
    let deleted = 0;
    for (const [archive, a] of this.archives) {
      const before = a.messages.length;
      a.messages = a.messages.filter((m) => {
        if (m.ts >= ts) return true;
        a.byId.delete(m.id);
        return false;
      });
      deleted += before - a.messages.length;
      if (a.messages.length === 0) this.archives.delete(archive);
    }
    return deleted;
  }

  async getPrefs(archive: string): Promise<ArchivePrefs | undefined> {
    this.life.assertOpen();
    checkJid(archive, 'archive');
    const prefs = this.prefs.get(archive);
    return prefs && copyRecord(prefs);
  }

  async setPrefs(archive: string, prefs: ArchivePrefs): Promise<void> {
    this.life.assertOpen();
    checkJid(archive, 'archive');
    checkArchivePrefs(prefs);
    this.prefs.set(archive, copyRecord(prefs));
  }

  /** Messages that may match, in paging order: the id-bounded slice, or the `ids` looked up. */
  private *candidates(
    archive: string,
    q: ArchiveFilter,
    reverse: boolean,
  ): Generator<ArchivedMessage> {
    const a = this.archives.get(archive);
    if (!a) return;
    if (q.ids !== undefined) {
      for (const id of sortedIds(q.ids, reverse)) {
        const msg = a.byId.get(id);
        if (msg) yield msg;
      }
      return;
    }
    const from = q.afterId === undefined ? 0 : upperBound(a.messages, q.afterId);
    const to = q.beforeId === undefined ? a.messages.length : lowerBound(a.messages, q.beforeId);
    if (reverse) for (let i = to - 1; i >= from; i--) yield a.messages[i]!;
    else for (let i = from; i < to; i++) yield a.messages[i]!;
  }
}

/** Index of the first message whose id is >= `id`. */
function lowerBound(messages: ArchivedMessage[], id: string): number {
  let lo = 0;
  let hi = messages.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareCodePoints(messages[mid]!.id, id) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first message whose id is > `id`. */
function upperBound(messages: ArchivedMessage[], id: string): number {
  let lo = 0;
  let hi = messages.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareCodePoints(messages[mid]!.id, id) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
