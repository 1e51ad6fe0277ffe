/** XEP-0059 Result Set Management: the request half and the reply half of <set/>. */
import { badRequest } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { NS_RSM } from './ns.js';

export interface RsmRequest {
  /** Requested page size (<max/>); undefined when absent. */
  max?: number;
  /** Page after this UID (<after/>). */
  after?: string;
  /**
   * Page before this UID (<before>uid</before>), or `true` for an empty
   * <before/>: the last page of the result set.
   */
  before?: string | true;
  /** Page starting at this position of the result set (<index/>). */
  index?: number;
}

const NON_NEGATIVE = /^\d{1,15}$/;

/**
 * Reads the <set xmlns='http://jabber.org/protocol/rsm'/> child of `parent`,
 * or undefined when there is none. Throws bad-request for a malformed one.
 */
export function parseRsm(parent: Element): RsmRequest | undefined {
  const sets = parent.getChildren('set', NS_RSM);
  if (sets.length === 0) return undefined;
  if (sets.length > 1) throw badRequest('more than one RSM <set/>');
  const set = sets[0]!;
  const req: RsmRequest = {};
  const seen = new Set<string>();
  for (const child of set.getChildElements()) {
    if (child.getNS() !== NS_RSM) continue;
    const name = child.localName;
    if (seen.has(name)) throw badRequest(`more than one RSM <${name}/>`);
    seen.add(name);
    const text = child.text().trim();
    switch (name) {
      case 'max':
        if (!NON_NEGATIVE.test(text)) throw badRequest('RSM <max/> must be a non-negative integer');
        req.max = Number(text);
        break;
      case 'index':
        if (!NON_NEGATIVE.test(text))
          throw badRequest('RSM <index/> must be a non-negative integer');
        req.index = Number(text);
        break;
      case 'after':
        if (text === '') throw badRequest('RSM <after/> needs a UID');
        req.after = text;
        break;
      case 'before':
        req.before = text === '' ? true : text;
        break;
      default:
        // <first/>, <last/>, <count/> belong to answers; anything else is unknown: ignored.
        break;
    }
  }
  return req;
}

export interface RsmReply {
  first?: { id: string; index?: number };
  last?: string;
  count?: number;
}

/**
 * `<set xmlns=rsm><first index>..</first><last>..</last><count>..</count></set>`;
 * first and last are left out for an empty page (XEP-0059 2.3).
 */
export function rsmReply(r: RsmReply): Element {
  const set = xml('set', { xmlns: NS_RSM });
  if (r.first !== undefined && r.last !== undefined) {
    set.append(xml('first', { index: r.first.index }, r.first.id));
    set.append(xml('last', {}, r.last));
  }
  if (r.count !== undefined) set.append(xml('count', {}, String(r.count)));
  return set;
}
