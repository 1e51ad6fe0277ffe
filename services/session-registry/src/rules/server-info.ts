/**
 * `server-info` requests of the gateways (libs/routing): the disco#info of a
 * served domain, answered by the same server IQ handler a client's
 * `<iq type='get' to='domain'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`
 * reaches, so the XEP-0115 caps a gateway computes from it are the ones a
 * client would compute.
 */
import { tryParseJID } from '@parley/jid';
import { envelopeOf } from '@parley/routing';
import type { ServerInfoReply } from '@parley/routing';
import { NS_DISCO_INFO } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { RegistryContext } from '../registry-context.js';
import type { IqHandlers } from './iq.js';
import { handlerKey } from './iq.js';

export async function serverInfo(
  core: RegistryContext,
  iqs: IqHandlers,
  domain: string,
): Promise<ServerInfoReply> {
  const jid = tryParseJID(domain);
  const handler = iqs.server.get(handlerKey('get', NS_DISCO_INFO));
  if (jid === undefined || jid.local !== '' || jid.resource !== '' || handler === undefined) {
    return { ok: false };
  }
  const payload = xml('query', { xmlns: NS_DISCO_INFO });
  const iq = xml('iq', { type: 'get', id: 'server-info', from: domain, to: domain }, payload);
  try {
    const result = await handler({ iq, payload, from: jid, to: jid, env: envelopeOf(iq, 'out') });
    return result ? { ok: true, xml: result.toString() } : { ok: false };
  } catch (err) {
    core.logger.warn('server-info request failed', { domain, err });
    return { ok: false };
  }
}
