import type { JID } from '@parley/jid';
import { HandlerTable } from '@parley/modules';
import type { Envelope } from '@parley/routing';
import {
  StanzaError,
  canReplyWithError,
  errorReply,
  internalServerError,
  iqResult,
  serviceUnavailable,
} from '@parley/stanza';
import type { Element } from '@parley/xml';
import type { RegistryContext } from '../registry-context.js';
import type { IqHandler, IqRequest } from '../modules/types.js';

/**
 * IQ handler tables keyed by `${type} ${namespace}`: one handler per key,
 * a second registration stops the start naming both modules.
 */
export class IqHandlers {
  readonly server = new HandlerTable<IqHandler>('server IQ');
  readonly account = new HandlerTable<IqHandler>('account IQ');
}

export function handlerKey(type: string, ns: string): string {
  return `${type} ${ns}`;
}

/**
 * Runs the handler for an IQ addressed to the server or an account and
 * answers it. An unknown payload gets service-unavailable; an unexpected
 * exception becomes internal-server-error for this stanza only.
 */
export async function answerIq(
  core: RegistryContext,
  table: HandlerTable<IqHandler>,
  env: Envelope,
  from: JID,
  to: JID,
): Promise<void> {
  if (env.type !== 'get' && env.type !== 'set') return; // results and errors to the server end here
  const iq = core.parse(env);
  const payload = iq.getChildElements()[0];
  const handler = payload ? table.get(handlerKey(env.type, payload.getNS() ?? '')) : undefined;
  if (!payload || !handler) {
    replyError(core, iq, serviceUnavailable(), to);
    return;
  }
  const req: IqRequest = { iq, payload, from, to, env };
  let result: Element | void;
  try {
    result = await handler(req);
  } catch (err) {
    if (err instanceof StanzaError) replyError(core, iq, err, to);
    else {
      core.logger.error('iq handler failed', { ns: payload.getNS(), err });
      replyError(core, iq, internalServerError(), to);
    }
    return;
  }
  const reply = iqResult(iq, result ?? undefined);
  if (!reply.attr('from')) reply.setAttr('from', to.toString());
  core.send(reply);
}

/**
 * Error reply from the addressee. An IQ without 'to' is handled on behalf of
 * the sender's account (RFC 6120 10.3.3), so its reply comes from that
 * account's bare JID, as a result does; without a 'from' the reply could
 * not be routed back at all.
 */
function replyError(core: RegistryContext, iq: Element, err: StanzaError, to: JID): void {
  if (!canReplyWithError(iq)) return;
  const reply = errorReply(iq, err);
  if (!reply.attr('from')) reply.setAttr('from', to.toString());
  core.send(reply);
}
