// Slicing JID strings that are already valid and normalized (stamped by a
// gateway, stored by the server) without parsing them again. RFC 7622
// section 3.1: the first '/' starts the resourcepart, which may itself
// contain '/' and '@'; the first '@' before it ends the localpart. Nothing
// here validates or normalizes: use parseJID for input from outside.

/** The bare part of a JID string: everything before the first '/' (all of it when there is none). */
export function bareOf(jid: string): string {
  const slash = jid.indexOf('/');
  return slash === -1 ? jid : jid.slice(0, slash);
}

/** The resourcepart of a JID string: everything after the first '/'; undefined when there is no '/'. */
export function resourceOf(jid: string): string | undefined {
  const slash = jid.indexOf('/');
  return slash === -1 ? undefined : jid.slice(slash + 1);
}

/** The domainpart of a JID string: the bare part after its first '@' (all of it when there is none). */
export function domainOf(jid: string): string {
  const bare = bareOf(jid);
  return bare.slice(bare.indexOf('@') + 1);
}
