import type { JID } from '@parley/jid';
import { tryParseJID } from '@parley/jid';
import type { Envelope } from '@parley/routing';
import { remoteServerNotFound, serviceUnavailable } from '@parley/stanza';
import type { RegistryContext } from '../registry-context.js';
import { isErrorVerdict, runFilters, runHooks } from '../hooks.js';
import type { FilterVerdict } from '../hooks.js';
import type { IqHandlers } from './iq.js';
import { answerIq } from './iq.js';
import { messageIn } from './message-in.js';
import { presenceIn } from './presence-in.js';
import { presenceOut } from './presence-out.js';

/**
 * Stage 'out': a stanza from a local client, at the sender's home partition.
 * Handles what the sender's server owes (presence broadcast, subscriptions,
 * IQs to the account or the server) and forwards the rest to the recipient.
 */
export function handleOutbound(
  core: RegistryContext,
  iqs: IqHandlers,
  env: Envelope,
): void | Promise<void> {
  const from = tryParseJID(env.from);
  if (!from) return;
  const to = env.to ? tryParseJID(env.to) : undefined;
  if (env.to && !to) return;
  if (core.hooks.outbound.length === 0) return forwardOutbound(core, iqs, env, from, to);
  // Synchronous while the filters are: every routed stanza takes this path.
  const pending = runFilters(core.hooks.outbound.handlers, { env, from, to, generated: false });
  if (pending instanceof Promise)
    return pending.then((verdict) => afterOutboundFilters(core, iqs, env, from, to, verdict));
  return afterOutboundFilters(core, iqs, env, from, to, pending);
}

function afterOutboundFilters(
  core: RegistryContext,
  iqs: IqHandlers,
  env: Envelope,
  from: JID,
  to: JID | undefined,
  verdict: FilterVerdict,
): void | Promise<void> {
  if (verdict !== undefined) {
    if (verdict === 'drop') return;
    if (isErrorVerdict(verdict)) return core.replyToSender(env, verdict);
    env = verdict.replace;
  }
  return forwardOutbound(core, iqs, env, from, to);
}

function forwardOutbound(
  core: RegistryContext,
  iqs: IqHandlers,
  env: Envelope,
  from: JID,
  to: JID | undefined,
): void | Promise<void> {
  if (env.kind === 'presence') return presenceOut(core, env, from, to);

  const bare = from.bare();
  const target = to ?? bare;
  if (!target.local && !target.resource && core.isLocalDomain(target.domain)) {
    return toServer(core, iqs, env, from, target);
  }
  if (core.serviceDomains.has(target.domain)) {
    // A service a module owns (e.g. pubsub.<domain>): handled at its own partition.
    core.routeIn(env);
    return;
  }
  if (
    !core.isLocalDomain(target.domain) &&
    !core.isMucDomain(target.domain) &&
    !core.isS2sDomain(target.domain)
  ) {
    // A remote domain without federation.
    core.bounce(core.parse(env), remoteServerNotFound());
    return;
  }
  if (env.kind === 'iq' && !target.resource && target.toBareString() === bare.toBareString()) {
    // IQ to the user's own account (roster and account services).
    return answerIq(core, iqs.account, env, from, bare);
  }
  if (!to) {
    // A message without 'to' is for the sender's own bare JID.
    core.routeIn({ ...env, to: bare.toString() });
  } else core.routeIn(env);
  if (env.kind === 'message' && core.hooks.sent.length > 0)
    return runHooks(core.hooks.sent.handlers, from, env);
}

/** Stage 'in': a stanza for a local account, at the recipient's home partition. */
export function handleInbound(
  core: RegistryContext,
  iqs: IqHandlers,
  env: Envelope,
  skipConn?: string,
): void | Promise<void> {
  const to = tryParseJID(env.to);
  const from = tryParseJID(env.from);
  if (!to || !from) return;
  const service = core.serviceDomains.get(to.domain);
  if (service) return service.handler({ env, from, to });
  if (!to.local) {
    // Domain-addressed stanzas of local users are handled at stage 'out'; those of remote
    // servers and their users (through the S2S service) arrive here.
    if (!to.resource && !core.isLocalDomain(from.domain) && core.isLocalDomain(to.domain))
      return toServer(core, iqs, env, from, to);
    return;
  }
  if (core.hooks.inbound.length === 0) return deliverInbound(core, iqs, env, from, to, skipConn);
  const pending = runFilters(core.hooks.inbound.handlers, { env, from, to, skipConn });
  if (pending instanceof Promise)
    return pending.then((verdict) =>
      afterInboundFilters(core, iqs, env, from, to, skipConn, verdict),
    );
  return afterInboundFilters(core, iqs, env, from, to, skipConn, pending);
}

function afterInboundFilters(
  core: RegistryContext,
  iqs: IqHandlers,
  env: Envelope,
  from: JID,
  to: JID,
  skipConn: string | undefined,
  verdict: FilterVerdict,
): void | Promise<void> {
  if (verdict !== undefined) {
    if (verdict === 'drop') return;
    if (isErrorVerdict(verdict)) return core.bounce(core.parse(env), verdict);
    env = verdict.replace;
  }
  return deliverInbound(core, iqs, env, from, to, skipConn);
}

function deliverInbound(
  core: RegistryContext,
  iqs: IqHandlers,
  env: Envelope,
  from: JID,
  to: JID,
  skipConn: string | undefined,
): void | Promise<void> {
  switch (env.kind) {
    case 'message':
      return messageIn(core, env, to, skipConn);
    case 'presence':
      return presenceIn(core, env, from, to);
    case 'iq':
      return iqIn(core, iqs, env, from, to, skipConn);
  }
}

/** A stanza addressed to the server itself (a served domain, no local part or resource). */
function toServer(
  core: RegistryContext,
  iqs: IqHandlers,
  env: Envelope,
  from: JID,
  target: JID,
): void | Promise<void> {
  if (env.kind === 'iq') return answerIq(core, iqs.server, env, from, target);
  if (env.kind === 'message' && env.type !== 'error' && env.type !== 'groupchat') {
    if (env.type !== 'headline') core.bounce(core.parse(env), serviceUnavailable());
  }
}

async function iqIn(
  core: RegistryContext,
  iqs: IqHandlers,
  env: Envelope,
  from: JID,
  to: JID,
  skipConn?: string,
): Promise<void> {
  const owner = to.toBareString();
  if (to.resource) {
    const s = core.sessions.get(owner, to.resource);
    if (s && s.conn !== skipConn) core.deliver(s, env);
    else core.bounce(core.parse(env), serviceUnavailable());
    return;
  }
  if (!(await core.stores.accounts.get(owner))) {
    core.bounce(core.parse(env), serviceUnavailable());
    return;
  }
  // IQ to a bare JID is answered by the server on behalf of the account.
  return answerIq(core, iqs.account, env, from, to);
}
