export {
  NS_MAM,
  NS_MAM_EXTENDED,
  NS_RSM,
  NS_SID,
  NS_HINTS,
  NS_FORWARD,
  NS_DELAY,
  NS_DATA_FORMS,
  NS_XDATA_VALIDATE,
} from './ns.js';
export { parseDateTime, formatDateTime } from './datetime.js';
export { parseRsm, rsmReply } from './rsm.js';
export type { RsmRequest, RsmReply } from './rsm.js';
export {
  parseQuery,
  queryForm,
  queryArchive,
  resultElement,
  resultMessage,
  archiveMetadata,
  MAX_IDS,
} from './query.js';
export type { MamQuery, QueryOptions, QueryResult } from './query.js';
export { parsePrefs, prefsElement, prefsRule, defaultPrefs, isArchiveDefault } from './prefs.js';
export type { ArchiveDefault } from './prefs.js';
export {
  stanzaIdElement,
  setStanzaId,
  stripStanzaIds,
  getStanzaId,
  mayClaimArchive,
} from './stanza-id.js';
export { isArchivable, notArchivedReason, mayBeArchivable, archivedMessage } from './rules.js';
export { quickArchivable, appendStanzaId } from './unparsed-message.js';
export type { NotArchivedReason } from './rules.js';
export {
  ArchiveWriter,
  LruTailCache,
  archiveTag,
  nextArchiveId,
  idTime,
  dedupeKey,
} from './writer.js';
export type { ArchiveTail, TailCache, AppendRequest, Appended, MessageOrigin } from './writer.js';
