/**
 * Replies of a service a module owns on its own domain (`ctx.serviceDomain`,
 * e.g. pubsub.<domain>, upload.<domain>): the IQ answer or its error, and
 * the error for a message the service does not take.
 */
import type { Envelope } from '@parley/routing';
import {
  StanzaError,
  canReplyWithError,
  errorReply,
  iqResult,
  internalServerError,
  serviceUnavailable,
} from '@parley/stanza';
import type { Element } from '@parley/xml';
import type { ModuleContext } from './types.js';

/**
 * Answers an IQ get or set to the service with what `answer` returns (the
 * result's payload), or with the StanzaError it throws; anything else is
 * logged as `<what> failed` and answered with internal-server-error.
 */
export async function replyToServiceIq(
  ctx: ModuleContext,
  env: Envelope,
  stanza: Element,
  what: string,
  answer: () => Promise<Element | undefined>,
): Promise<void> {
  let reply: Element;
  try {
    reply = iqResult(stanza, await answer());
  } catch (err) {
    if (!(err instanceof StanzaError)) ctx.logger.error(`${what} failed`, { err });
    reply = errorReply(stanza, err instanceof StanzaError ? err : internalServerError());
  }
  reply.setAttr('from', env.to);
  ctx.send(reply);
}

/** A chat or normal message the service does not take: service-unavailable. */
export function refuseServiceMessage(ctx: ModuleContext, env: Envelope, stanza: Element): void {
  const type = env.type || 'normal';
  if ((type === 'normal' || type === 'chat') && canReplyWithError(stanza)) {
    const reply = errorReply(stanza, serviceUnavailable());
    reply.setAttr('from', env.to);
    ctx.send(reply);
  }
}
