export { JID } from './jid.js';
export { JIDError } from './errors.js';
export type { JIDErrorCode } from './errors.js';
export { parseJID, tryParseJID, bareJID, clearJIDCache } from './parse.js';
export { bareOf, domainOf, resourceOf } from './parts.js';
export { normalizeLocalpart } from './localpart.js';
export { normalizeResourcepart } from './resourcepart.js';
export { normalizeDomain } from './domainpart.js';
export { escapeLocal, unescapeLocal } from './escape.js';
