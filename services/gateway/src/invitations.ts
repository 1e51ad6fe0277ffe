/**
 * In-band registration with an invitation (XEP-0445, as XEP-0401 asks):
 * before registering, the client sends `<preauth xmlns='urn:xmpp:pars:0'
 * token='...'/>`; a token that may register an account on this domain is
 * remembered for the stream (not used yet: "single-use tokens MUST NOT be
 * considered used until the actual registration has succeeded"). The
 * registration then takes it from the shared store, so a token registers
 * one account in the whole cluster; with registration.invitations.required
 * a registration without one is refused. Once the account exists, an
 * invitation that says so subscribes the inviter and the new account to
 * each other, through their registry partitions (roster pushes included,
 * as XEP-0401 section 5.6 requires).
 */
import type { AdminRequest } from '@parley/routing';
import { routeSubject } from '@parley/routing';
import {
  NS_PARS,
  StanzaError,
  badRequest,
  conflict,
  errorReply,
  forbidden,
  iqResult,
  notAcceptable,
} from '@parley/stanza';
import type { Invitation } from '@parley/store';
import type { Element } from '@parley/xml';
import type { Connection } from './connection.js';
import { registrationAvailable } from './negotiation/registration-policy.js';

/** The token each stream presented and had accepted (until it registers). */
const accepted = new WeakMap<Connection, string>();

const TOKEN = /^[A-Za-z0-9_-]{16,128}$/;

function invalidToken(): StanzaError {
  return new StanzaError('item-not-found', { text: 'the invitation is invalid or expired' });
}

/** `<iq type='set'><preauth xmlns='urn:xmpp:pars:0' token='...'/></iq>` before authentication. */
export function handlePreauth(conn: Connection, iq: Element): Promise<void> | void {
  if (iq.attrs['type'] !== 'set' || !iq.attrs['id']) {
    if (iq.attrs['type'] === 'get' || iq.attrs['type'] === 'set')
      conn.sendElement(errorReply(iq, badRequest('preauth is an IQ set with an id')));
    return;
  }
  if (!registrationAvailable(conn)) {
    conn.sendElement(errorReply(iq, new StanzaError('service-unavailable')));
    return;
  }
  const token = iq.getChild('preauth', NS_PARS)?.attrs['token'] ?? '';
  if (!TOKEN.test(token)) {
    conn.sendElement(errorReply(iq, invalidToken()));
    return;
  }
  return conn.ctx.invitations.get(token, Date.now()).then(
    (inv) => {
      if (!conn.open) return;
      if (inv === undefined || !inv.register || inv.domain !== conn.domain) {
        conn.sendElement(errorReply(iq, invalidToken()));
        return;
      }
      accepted.set(conn, token);
      conn.sendElement(iqResult(iq));
    },
    (err: unknown) => {
      conn.ctx.logger.error('invitation lookup failed', { conn: conn.id, err });
      if (conn.open) conn.sendElement(errorReply(iq, new StanzaError('internal-server-error')));
    },
  );
}

/**
 * Whether a registration of this stream may go on (answers the error when
 * not): invitation-only servers need an accepted token, and a name reserved
 * by someone else's invitation is refused.
 */
export async function mayRegister(conn: Connection, iq: Element, local: string): Promise<boolean> {
  const { config, invitations } = conn.ctx;
  const token = accepted.get(conn);
  if (token === undefined && config.registration.invitations.required) {
    conn.sendElement(
      errorReply(iq, forbidden('registration on this server is by invitation only')),
    );
    return false;
  }
  const holder = await invitations.reservedBy(conn.domain, local, Date.now());
  if (holder !== undefined && holder !== token) {
    conn.sendElement(errorReply(iq, conflict('the username is reserved by an invitation')));
    return false;
  }
  return true;
}

/**
 * Takes the stream's invitation for registering `local` (before the account
 * is made): `{}` when there is none to use, undefined when the registration
 * must stop (the error is answered).
 */
export async function takeInvitation(
  conn: Connection,
  iq: Element,
  local: string,
): Promise<{ invitation?: Invitation } | undefined> {
  const token = accepted.get(conn);
  if (token === undefined) return {};
  // XEP-0445: expiry is checked when the token is presented, not again now (hence 0).
  const invitation = await conn.ctx.invitations.take(token, 0);
  if (invitation === undefined) {
    accepted.delete(conn);
    conn.sendElement(errorReply(iq, invalidToken()));
    return undefined;
  }
  if (invitation.username !== undefined && invitation.username !== local) {
    await restoreInvitation(conn, invitation);
    conn.sendElement(
      errorReply(iq, notAcceptable(`this invitation is for the username ${invitation.username}`)),
    );
    return undefined;
  }
  return { invitation };
}

/** Puts an invitation back when the account it was taken for could not be made. */
export async function restoreInvitation(conn: Connection, invitation: Invitation): Promise<void> {
  await conn.ctx.invitations.create(invitation).catch((err: unknown) => {
    conn.ctx.logger.warn('could not restore an invitation', { conn: conn.id, err });
  });
}

/** After `jid` was registered with `invitation`: the mutual subscription it asks for. */
export async function registeredWithInvitation(
  conn: Connection,
  jid: string,
  invitation: Invitation,
): Promise<void> {
  accepted.delete(conn);
  const { ctx } = conn;
  ctx.logger.info('account registered with an invitation', {
    conn: conn.id,
    jid,
    inviter: invitation.inviter,
  });
  const inviter = invitation.inviter;
  if (!invitation.subscribe || inviter === undefined || inviter === jid) return;
  const subscribe = async (owner: string, contact: string) => {
    const req: AdminRequest = {
      t: 'admin-subscription',
      jid: owner,
      contact,
      subscription: 'both',
    };
    const reply = (await ctx.bus.request(routeSubject(owner, ctx.config.routing.partitions), req, {
      durable: true,
      timeoutMs: 10_000,
    })) as { ok: boolean };
    if (!reply.ok) throw new Error(`the registry refused the subscription of ${owner}`);
  };
  try {
    await subscribe(inviter, jid);
    await subscribe(jid, inviter);
  } catch (err) {
    ctx.logger.warn('could not subscribe an invitee and its inviter', {
      conn: conn.id,
      jid,
      inviter,
      err,
    });
  }
}
