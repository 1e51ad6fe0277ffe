import type { Config } from '@parley/config';
import type { JID } from '@parley/jid';
import { tryParseJID } from '@parley/jid';
import { badRequest } from './problem.js';

/** Any JID; a 400 problem when it does not parse. */
export function anyJid(input: string, what = 'JID'): JID {
  const jid = tryParseJID(input);
  if (!jid) throw badRequest(`${what} "${input}" is not a valid JID`);
  return jid;
}

/** The normalized bare JID of an account of a served domain. */
export function accountJid(config: Config, input: string, what = 'user'): string {
  const jid = anyJid(input, what);
  if (!jid.local || jid.resource)
    throw badRequest(`${what} "${input}" is not a bare JID like alice@${config.server.domains[0]}`);
  if (!config.server.domains.includes(jid.domain))
    throw badRequest(`${what} "${input}": domain ${jid.domain} is not served by this server`);
  return jid.toBareString();
}

/** The MUC service domains (`<subdomain>.<domain>`) by served domain. */
export function mucDomainOf(config: Config, domain: string): string {
  return `${config.muc.subdomain}.${domain}`;
}

/** The served domain a MUC service domain belongs to, if it is one. */
export function servedDomainOfMuc(config: Config, mucDomain: string): string | undefined {
  const prefix = `${config.muc.subdomain}.`;
  if (!mucDomain.startsWith(prefix)) return undefined;
  const domain = mucDomain.slice(prefix.length);
  return config.server.domains.includes(domain) ? domain : undefined;
}

/** The normalized bare JID of a room on one of the MUC service domains. */
export function roomJid(config: Config, input: string): string {
  const jid = anyJid(input, 'room');
  if (!jid.local || jid.resource) throw badRequest(`room "${input}" is not a bare room JID`);
  if (servedDomainOfMuc(config, jid.domain) === undefined)
    throw badRequest(`room "${input}": ${jid.domain} is not a MUC service of this server`);
  return jid.toBareString();
}
