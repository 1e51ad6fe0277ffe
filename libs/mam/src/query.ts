/**
 * XEP-0313 queries: reading a <query xmlns='urn:xmpp:mam:2'/>, the form a
 * `get` of it returns, and running it against an ArchiveStore with XEP-0059
 * paging.
 */
import type { JID } from '@parley/jid';
import { tryParseJID } from '@parley/jid';
import { badRequest, featureNotImplemented, itemNotFound, policyViolation } from '@parley/stanza';
import type { ArchivedMessage, ArchiveQuery, ArchiveStore } from '@parley/store';
import { parseXml, xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { formatDateTime, parseDateTime } from './datetime.js';
import { NS_CLIENT, NS_DATA_FORMS, NS_DELAY, NS_FORWARD, NS_MAM, NS_XDATA_VALIDATE } from './ns.js';
import type { RsmRequest } from './rsm.js';
import { parseRsm, rsmReply } from './rsm.js';

/** A parsed archive query. */
export interface MamQuery {
  queryid?: string;
  /** Pubsub node (XEP-0442); user and room archives have none. */
  node?: string;
  with?: JID;
  /** Inclusive time bounds, ms since the epoch. */
  start?: number;
  end?: number;
  /** Form fields before-id / after-id / ids (urn:xmpp:mam:2#extended). */
  beforeId?: string;
  afterId?: string;
  ids?: string[];
  /** The RSM part; empty when the query has no <set/>. */
  rsm: RsmRequest;
  /** <flip-page/>: send the page newest first. */
  flip: boolean;
}

/** Most ids an `ids` field may list. */
export const MAX_IDS = 1000;

const FIELDS = new Set(['FORM_TYPE', 'with', 'start', 'end', 'before-id', 'after-id', 'ids']);

/**
 * Reads a <query xmlns='urn:xmpp:mam:2'/> of an IQ set. Throws a
 * StanzaError: bad-request for a malformed form, field, date, JID or RSM
 * set; feature-not-implemented for a form field this server does not know
 * (XEP-0313 4.1.5) and for RSM <index/> paging.
 */
export function parseQuery(query: Element): MamQuery {
  if (!query.is('query', NS_MAM)) throw badRequest('expected <query xmlns="urn:xmpp:mam:2"/>');
  const q: MamQuery = { rsm: parseRsm(query) ?? {}, flip: false };
  const queryid = query.attr('queryid');
  if (queryid !== undefined) q.queryid = queryid;
  const node = query.attr('node');
  if (node !== undefined) q.node = node;
  if (q.rsm.index !== undefined)
    throw featureNotImplemented(
      'RSM <index/> paging is not supported; page with <after/> or <before/>',
    );
  q.flip = query.getChild('flip-page', NS_MAM) !== undefined;

  const forms = query.getChildren('x', NS_DATA_FORMS);
  if (forms.length > 1) throw badRequest('more than one data form');
  if (forms.length === 1) readForm(forms[0]!, q);
  return q;
}

function readForm(form: Element, q: MamQuery): void {
  const type = form.attr('type');
  if (type !== 'submit') throw badRequest(`the query form must be of type 'submit'`);
  const seen = new Set<string>();
  for (const field of form.getChildren('field', NS_DATA_FORMS)) {
    const name = field.attr('var');
    if (name === undefined) throw badRequest('a form field without var');
    if (seen.has(name)) throw badRequest(`field ${name} given twice`);
    seen.add(name);
    if (!FIELDS.has(name)) throw featureNotImplemented(`unknown query field: ${name}`);
    const values = field
      .getChildren('value', NS_DATA_FORMS)
      .map((v) => v.text().trim())
      .filter((v) => v !== '');
    if (name === 'ids') {
      if (values.length > MAX_IDS) throw policyViolation(`at most ${MAX_IDS} ids per query`);
      if (values.length > 0) q.ids = [...new Set(values)];
      continue;
    }
    if (values.length > 1) throw badRequest(`field ${name} takes one value`);
    const value = values[0];
    if (name === 'FORM_TYPE') {
      if (value !== NS_MAM) throw badRequest(`FORM_TYPE must be ${NS_MAM}`);
      continue;
    }
    if (value === undefined) continue; // an empty field filters nothing
    switch (name) {
      case 'with': {
        const jid = tryParseJID(value);
        if (!jid) throw badRequest(`with: not a valid JID: ${value}`);
        q.with = jid;
        break;
      }
      case 'start':
      case 'end': {
        const ms = parseDateTime(value, name === 'start' ? 'ceil' : 'floor');
        if (ms === undefined) throw badRequest(`${name}: not a XEP-0082 DateTime: ${value}`);
        q[name] = ms;
        break;
      }
      case 'before-id':
        q.beforeId = value;
        break;
      case 'after-id':
        q.afterId = value;
        break;
    }
  }
}

/** The form of supported query fields, for an IQ get of the query (XEP-0313 4.1.5). */
export function queryForm(): Element {
  const field = (v: string, type: string, ...children: Element[]) =>
    xml('field', { var: v, type }, ...children);
  return xml(
    'query',
    { xmlns: NS_MAM },
    xml(
      'x',
      { xmlns: NS_DATA_FORMS, type: 'form' },
      field('FORM_TYPE', 'hidden', xml('value', {}, NS_MAM)),
      field('with', 'jid-single'),
      field('start', 'text-single'),
      field('end', 'text-single'),
      field('before-id', 'text-single'),
      field('after-id', 'text-single'),
      field(
        'ids',
        'list-multi',
        xml('validate', { xmlns: NS_XDATA_VALIDATE, datatype: 'xs:string' }, xml('open')),
      ),
    ),
  );
}

export interface QueryOptions {
  /** Largest page served; a larger <max/> is reduced to it. */
  maxPageSize: number;
  /** Page size when the query gives no <max/>. */
  defaultPageSize: number;
  /** Include <count/> and <first index/> (costs two counts per query). Default true. */
  count?: boolean;
  /**
   * Maps the `with` JID to the archive's `with`/`withResource` columns.
   * Default: bare JID and resource (user archives; room archives, whose
   * rows hold the room and the nick, match occupant JIDs the same way).
   */
  withFilter?: (jid: JID) => { with: string; withResource?: string };
  /**
   * Rewrites an archived message for this requester before it is sent
   * (room archives: occupant addresses, real JIDs for those allowed to see
   * them). Gets a parsed copy; returns the message to forward.
   */
  transform?: (message: Element, stored: ArchivedMessage) => Element;
  /** Accept a `node` attribute (pubsub archives); otherwise a query with one gets item-not-found. */
  acceptNode?: boolean;
}

export interface QueryResult {
  /** <result xmlns='urn:xmpp:mam:2'/> elements in sending order; wrap each in a <message/>. */
  results: Element[];
  /** The <fin/> for the IQ result, to be sent after every result. */
  fin: Element;
  /** The page as read, ascending (for callers that need more than the elements). */
  items: ArchivedMessage[];
  complete: boolean;
}

/**
 * Runs an archive query: `query` is the <query xmlns='urn:xmpp:mam:2'/>
 * payload (or an already parsed MamQuery). The caller has checked that
 * the requester may read `archive`. Every id the query names (before-id,
 * after-id, ids, RSM after/before) must be in the archive, or the query
 * fails with item-not-found. Results are in archive order (newest first
 * with <flip-page/>); the caller sends each, wrapped in a <message/> to
 * the requesting full JID, and then the IQ result carrying `fin`.
 */
export async function queryArchive(
  store: ArchiveStore,
  archive: string,
  query: Element | MamQuery,
  opts: QueryOptions,
): Promise<QueryResult> {
  const q = isParsed(query) ? query : parseQuery(query);
  if (q.node !== undefined && !opts.acceptNode) throw itemNotFound(`no archive node ${q.node}`);

  const base: Omit<ArchiveQuery, 'limit' | 'fromEnd'> = {};
  if (q.with) {
    const w = (opts.withFilter ?? defaultWith)(q.with);
    base.with = w.with;
    if (w.withResource !== undefined) base.withResource = w.withResource;
  }
  if (q.start !== undefined) base.start = q.start;
  if (q.end !== undefined) base.end = q.end;
  if (q.afterId !== undefined) base.afterId = q.afterId;
  if (q.beforeId !== undefined) base.beforeId = q.beforeId;
  if (q.ids !== undefined) base.ids = q.ids;

  const rsmBefore = typeof q.rsm.before === 'string' ? q.rsm.before : undefined;
  const named = [q.afterId, q.beforeId, q.rsm.after, rsmBefore, ...(q.ids ?? [])];
  await mustExist(store, archive, named);

  const limit = Math.min(q.rsm.max ?? opts.defaultPageSize, opts.maxPageSize);
  const fromEnd = q.rsm.before !== undefined;
  const page: ArchiveQuery = { ...base, limit, fromEnd };
  if (q.rsm.after !== undefined) page.afterId = maxId(base.afterId, q.rsm.after);
  if (rsmBefore !== undefined) page.beforeId = minId(base.beforeId, rsmBefore);

  // RSM counts are optional (XEP-0059). A `with` filter can only be counted
  // by reading the archive's whole range, so such pages go without them
  // unless the count is all that was asked for (<max>0</max>).
  const counting = opts.count !== false && (base.with === undefined || limit === 0);
  const [read, count] = await Promise.all([
    store.query(archive, page),
    counting ? store.count(archive, base) : Promise.resolve(undefined),
  ]);
  const items = read.items;

  let index: number | undefined;
  const first = items[0];
  if (counting && first !== undefined) {
    if (!fromEnd && q.rsm.after === undefined) index = 0;
    else if (fromEnd && rsmBefore === undefined) index = count! - items.length;
    else index = await store.count(archive, { ...base, beforeId: minId(base.beforeId, first.id) });
  }

  const ordered = q.flip ? [...items].reverse() : items;
  const results = ordered.map((m) => resultElement(q.queryid, m, opts.transform));
  const fin = xml(
    'fin',
    { xmlns: NS_MAM, queryid: q.queryid, complete: read.complete ? 'true' : undefined },
    rsmReply({
      first: first && { id: first.id, index },
      last: items[items.length - 1]?.id,
      count,
    }),
  );
  return { results, fin, items, complete: read.complete };
}

function isParsed(q: Element | MamQuery): q is MamQuery {
  return 'rsm' in q && 'flip' in q && !('children' in q);
}

function defaultWith(jid: JID): { with: string; withResource?: string } {
  return jid.resource === ''
    ? { with: jid.toBareString() }
    : { with: jid.toBareString(), withResource: jid.resource };
}

async function mustExist(
  store: ArchiveStore,
  archive: string,
  ids: (string | undefined)[],
): Promise<void> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== undefined))];
  if (wanted.length === 0) return;
  const found = await Promise.all(wanted.map((id) => store.get(archive, id)));
  const missing = wanted.find((_, i) => found[i] === undefined);
  if (missing !== undefined) throw itemNotFound(`no message ${missing} in the archive`);
}

function maxId(a: string | undefined, b: string): string {
  return a !== undefined && a > b ? a : b;
}

function minId(a: string | undefined, b: string): string {
  return a !== undefined && a < b ? a : b;
}

/**
 * `<result xmlns='urn:xmpp:mam:2' queryid id><forwarded xmlns='urn:xmpp:forward:0'>
 * <delay xmlns='urn:xmpp:delay' stamp/><message xmlns='jabber:client' .../></forwarded></result>`
 */
export function resultElement(
  queryid: string | undefined,
  stored: ArchivedMessage,
  transform?: (message: Element, stored: ArchivedMessage) => Element,
): Element {
  const forwarded = xml(
    'forwarded',
    { xmlns: NS_FORWARD },
    xml('delay', { xmlns: NS_DELAY, stamp: formatDateTime(stored.ts) }),
  );
  let message: Element | undefined;
  try {
    message = parseXml(stored.xml);
  } catch {
    message = undefined; // unreadable entry: sent without its message (XEP-0313 3.2 allows this)
  }
  if (message) {
    if (transform) message = transform(message, stored);
    message.setAttr('xmlns', NS_CLIENT);
    forwarded.append(message);
  }
  return xml('result', { xmlns: NS_MAM, queryid, id: stored.id }, forwarded);
}

/**
 * Wraps a result for sending: `<message from=archive to=requester id><result/></message>`.
 */
export function resultMessage(result: Element, from: string, to: string, id?: string): Element {
  return xml('message', { from, to, id }, result);
}

/**
 * Archive metadata (XEP-0313 section 5, urn:xmpp:mam:2#extended): id and
 * time of the first and the last message; an empty <metadata/> for an
 * empty archive.
 */
export async function archiveMetadata(store: ArchiveStore, archive: string): Promise<Element> {
  const [oldest, newest] = await Promise.all([
    store.query(archive, { limit: 1 }),
    store.query(archive, { limit: 1, fromEnd: true }),
  ]);
  const md = xml('metadata', { xmlns: NS_MAM });
  const a = oldest.items[0];
  const b = newest.items[0];
  if (a && b) {
    md.append(xml('start', { id: a.id, timestamp: formatDateTime(a.ts) }));
    md.append(xml('end', { id: b.id, timestamp: formatDateTime(b.ts) }));
  }
  return md;
}
