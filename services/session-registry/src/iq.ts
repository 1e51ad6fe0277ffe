import type { JID } from '@parley/jid';
import type { Envelope } from '@parley/routing';
import { StanzaError, internalServerError, iqResult, serviceUnavailable } from '@parley/stanza';
import type { Element } from '@parley/xml';
import type { Core } from './core.js';
import type { IqHandler, IqRequest } from './modules/types.js';

/** IQ handler tables keyed by `${type} ${namespace}`. */
export class IqHandlers {
  readonly server = new Map<string, IqHandler>();
  readonly account = new Map<string, IqHandler>();
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
  core: Core,
  table: Map<string, IqHandler>,
  env: Envelope,
  from: JID,
  to: JID,
): Promise<void> {
  if (env.type !== 'get' && env.type !== 'set') return; // results and errors to the server end here
  const iq = core.parse(env);
  const payload = iq.getChildElements()[0];
  const handler = payload ? table.get(handlerKey(env.type, payload.getNS() ?? '')) : undefined;
  if (!payload || !handler) {
    core.bounce(iq, serviceUnavailable());
    return;
  }
  const req: IqRequest = { iq, payload, from, to, env };
  let result: Element | void;
  try {
    result = await handler(req);
  } catch (err) {
    if (err instanceof StanzaError) core.bounce(iq, err);
    else {
      core.logger.error('iq handler failed', { ns: payload.getNS(), err: String(err) });
      core.bounce(iq, internalServerError());
    }
    return;
  }
  const reply = iqResult(iq, result ?? undefined);
  if (!reply.attr('from')) reply.setAttr('from', to.toString());
  core.send(reply);
}
