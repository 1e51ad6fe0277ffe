// Parsing JID strings (RFC 7622 section 3.1), with a small bounded cache
// because every routed stanza carries addresses to parse.

import { JIDError } from './errors.js';
import { JID } from './jid.js';

/** Maximum number of cached parse results. */
const CACHE_CAPACITY = 10_000;
/** Longer inputs are parsed but not cached, to bound the cache's memory. */
const CACHE_MAX_INPUT = 512;

/** Recently parsed strings and their JIDs. */
const cache = new Map<string, JID>();
/** Cached keys in insertion order, as a ring: the oldest is overwritten (and evicted) first. */
const ring: Array<string | undefined> = new Array<string | undefined>(CACHE_CAPACITY);
let ringNext = 0;

function remember(input: string, jid: JID): void {
  if (input.length > CACHE_MAX_INPUT) return;
  const evicted = ring[ringNext];
  if (evicted !== undefined) cache.delete(evicted);
  ring[ringNext] = input;
  ringNext = (ringNext + 1) % CACHE_CAPACITY;
  cache.set(input, jid);
}

function split(s: string): [string, string, string | undefined] {
  // The first '/' starts the resourcepart, which may itself contain '/' and '@'.
  const slash = s.indexOf('/');
  const head = slash < 0 ? s : s.slice(0, slash);
  const resource = slash < 0 ? undefined : s.slice(slash + 1);
  // The first '@' before the resourcepart ends the localpart.
  const at = head.indexOf('@');
  const local = at < 0 ? '' : head.slice(0, at);
  const domain = at < 0 ? head : head.slice(at + 1);
  if (at === 0) throw new JIDError('malformed', `'${s}' has an empty localpart`);
  if (domain === '') throw new JIDError('malformed', `'${s}' has no domainpart`);
  if (domain.includes('@')) throw new JIDError('malformed', `'${s}' has more than one '@'`);
  if (resource === '') throw new JIDError('malformed', `'${s}' has an empty resourcepart`);
  return [local, domain, resource];
}

/** Parses and normalizes a JID string; throws JIDError. */
export function parseJID(s: string): JID {
  const cached = cache.get(s);
  if (cached !== undefined) return cached;
  if (s.length === 0) throw new JIDError('malformed', 'JID is empty');
  const [local, domain, resource] = split(s);
  const jid = new JID(local, domain, resource);
  remember(s, jid);
  return jid;
}

/** Like parseJID, but returns undefined instead of throwing for an invalid JID. */
export function tryParseJID(s: string): JID | undefined {
  try {
    return parseJID(s);
  } catch (err) {
    if (err instanceof JIDError) return undefined;
    throw err;
  }
}

/** Parses s and returns its normalized bare form (local@domain); throws JIDError. */
export function bareJID(s: string): string {
  return parseJID(s).toBareString();
}

/** Empties the parse cache (for tests and memory-pressure handling). */
export function clearJIDCache(): void {
  cache.clear();
  ring.fill(undefined);
  ringNext = 0;
}
