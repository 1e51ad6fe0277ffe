/**
 * In-band registration (XEP-0077) for accounts on this server, handled in
 * the gateway because it happens before authentication:
 * - before authentication: get the form, create an account (one per stream),
 *   within the login and registration limits (limits/login-guard.ts): a
 *   refused address is closed, each address and the whole server may
 *   register only so many accounts per window, reserved names
 *   (registration.reservedNames) are not-acceptable, and a name already
 *   taken counts as a failed login of the address (it tells that the
 *   account exists);
 * - after authentication: see the registration, change the password,
 *   cancel the registration (<remove/>: the account is deleted, the stream
 *   closed with not-authorized as XEP-0077 section 3.2 recommends).
 * The IQs are those addressed to the stream's domain or without 'to'.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { reservedForRegistration } from '@parley/config';
import { normalizeDomain, normalizeLocalpart } from '@parley/jid';
import { deriveCredentials } from '@parley/sasl';
import {
  NS_REGISTER,
  StanzaError,
  badRequest,
  conflict,
  errorReply,
  internalServerError,
  iqResult,
  notAcceptable,
  notAllowed,
  notAuthorized,
  policyViolation,
  serviceUnavailable,
} from '@parley/stanza';
import { routeSubject } from '@parley/routing';
import type { AccountRemoved } from '@parley/routing';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { Connection } from './connection.js';
import { registrationAvailable } from './negotiation/registration-policy.js';
import {
  mayRegister,
  registeredWithInvitation,
  restoreInvitation,
  takeInvitation,
} from './invitations.js';

export function isAddressedToServer(conn: Connection, el: Element): boolean {
  const to = el.attrs['to'];
  if (to === undefined || to === '' || to === conn.domain) return true;
  try {
    return normalizeDomain(to) === conn.domain;
  } catch {
    return false;
  }
}

export function handleRegistration(conn: Connection, iq: Element): Promise<void> | void {
  const type = iq.attrs['type'];
  if (type !== 'get' && type !== 'set') {
    if (type !== 'error' && type !== 'result') {
      conn.sendElement(errorReply(iq, badRequest('bad IQ type')));
    }
    return;
  }
  if (!iq.attrs['id']) {
    conn.sendElement(errorReply(iq, badRequest('an IQ needs an id')));
    return;
  }
  const { registration } = conn.ctx.config;
  if (!registration.enabled) {
    conn.sendElement(errorReply(iq, serviceUnavailable()));
    return;
  }
  const query = iq.getChild('query', NS_REGISTER)!;
  const work =
    conn.user === undefined ? beforeAuth(conn, iq, type, query) : afterAuth(conn, iq, type, query);
  if (work === undefined) return;
  return work.catch((err: unknown) => {
    conn.ctx.logger.error('in-band registration failed', { conn: conn.id, err });
    if (conn.open) conn.sendElement(errorReply(iq, internalServerError()));
  });
}

function beforeAuth(
  conn: Connection,
  iq: Element,
  type: 'get' | 'set',
  query: Element,
): Promise<void> | undefined {
  if (!registrationAvailable(conn)) {
    conn.sendElement(errorReply(iq, notAuthorized('negotiate TLS before registering')));
    return undefined;
  }
  if (type === 'get') {
    conn.sendElement(iqResult(iq, form()));
    return undefined;
  }
  if (query.getChild('remove') !== undefined) {
    conn.sendElement(
      errorReply(iq, new StanzaError('unexpected-request', { text: 'authenticate first' })),
    );
    return undefined;
  }
  if (conn.registered) {
    conn.sendElement(errorReply(iq, notAcceptable('one account per connection')));
    return undefined;
  }
  const username = query.getChildText('username') ?? '';
  const password = query.getChildText('password') ?? '';
  if (username === '' || password === '') {
    conn.sendElement(errorReply(iq, notAcceptable('username and password are required')));
    return undefined;
  }
  let local: string;
  try {
    local = normalizeLocalpart(username);
  } catch {
    conn.sendElement(errorReply(iq, notAcceptable('the username is not a valid JID localpart')));
    return undefined;
  }
  const jid = `${local}@${conn.domain}`;
  const reserved = reservedForRegistration(conn.ctx.config, jid);
  if (reserved !== undefined) {
    conn.ctx.loginGuard.registrationRefused('reserved-name');
    conn.sendElement(errorReply(iq, notAcceptable(reserved)));
    return undefined;
  }
  return limited(conn, iq, jid, password);
}

/** Account creation within the login and registration limits (limits/login-guard.ts). */
async function limited(conn: Connection, iq: Element, jid: string, password: string) {
  const guard = conn.ctx.loginGuard;
  const admission = await guard.admit(conn);
  if (!conn.open) return;
  if (admission.kind === 'refused') {
    guard.turnAway(conn, 'registration', admission.until);
    return;
  }
  if (admission.kind === 'busy') {
    const wait = Math.ceil(admission.waitMs / 1000);
    conn.sendElement(errorReply(iq, policyViolation(tooMany('failed attempts', wait), WAIT)));
    return;
  }
  const verdict = await guard.takeRegistration(conn);
  if (!conn.open) return;
  if (!verdict.ok) {
    const what = verdict.limit === 'address' ? 'registrations from your address' : 'registrations';
    const wait = Math.ceil(verdict.retryAfterMs / 1000);
    conn.ctx.logger.info('in-band registration refused by its rate limit', {
      conn: conn.id,
      ip: conn.ip,
      limit: verdict.limit,
    });
    conn.sendElement(errorReply(iq, policyViolation(tooMany(what, wait), WAIT)));
    return;
  }
  let made = false;
  try {
    made = await create(conn, iq, jid, password);
  } finally {
    if (!made) guard.returnRegistration(conn);
  }
}

const WAIT = { type: 'wait' } as const;

function tooMany(what: string, seconds: number): string {
  return `too many ${what}; try again in ${seconds} s`;
}

/**
 * Creates the account with the stream's invitation, if any (invitations.ts:
 * invitation-only servers, reserved names, the mutual subscription); false
 * when none was made (the error is answered).
 */
async function create(
  conn: Connection,
  iq: Element,
  jid: string,
  password: string,
): Promise<boolean> {
  const local = jid.slice(0, jid.lastIndexOf('@'));
  if (!(await mayRegister(conn, iq, local))) return false;
  const taken = await takeInvitation(conn, iq, local);
  if (taken === undefined) return false;
  const made = await createAccount(conn, iq, jid, password);
  if (taken.invitation === undefined) return made;
  if (made) await registeredWithInvitation(conn, jid, taken.invitation);
  else await restoreInvitation(conn, taken.invitation);
  return made;
}

async function createAccount(
  conn: Connection,
  iq: Element,
  jid: string,
  password: string,
): Promise<boolean> {
  const { ctx } = conn;
  const credentials = await derive(password, ctx.config.sasl.scramIterations);
  if (credentials === undefined) {
    conn.sendElement(errorReply(iq, notAcceptable('the password is not acceptable')));
    return false;
  }
  if (!(await ctx.accounts.create({ jid, credentials, createdAt: Date.now() }))) {
    // It tells that the account exists: counted like a failed login, answered after the delay.
    const { waitMs, refusedUntil } = await ctx.loginGuard.failed(conn);
    if (waitMs > 0) await sleep(waitMs, undefined, { ref: false });
    if (!conn.open) return false;
    conn.sendElement(errorReply(iq, conflict('the username is taken')));
    if (refusedUntil !== undefined) ctx.loginGuard.turnAway(conn, 'registration', refusedUntil);
    return false;
  }
  conn.registered = true;
  ctx.logger.info('account registered in-band', { conn: conn.id, ip: conn.ip, jid });
  if (conn.open) conn.sendElement(iqResult(iq));
  return true;
}

function afterAuth(
  conn: Connection,
  iq: Element,
  type: 'get' | 'set',
  query: Element,
): Promise<void> | undefined {
  const user = conn.user!;
  const local = user.slice(0, user.lastIndexOf('@'));
  if (type === 'get') {
    conn.sendElement(
      iqResult(
        iq,
        xml('query', { xmlns: NS_REGISTER }, xml('registered'), xml('username', null, local)),
      ),
    );
    return undefined;
  }
  if (query.getChild('remove') !== undefined) {
    if (query.getChildElements().length !== 1) {
      conn.sendElement(errorReply(iq, badRequest('<remove/> must be alone')));
      return undefined;
    }
    return remove(conn, iq, user);
  }
  const username = query.getChildText('username');
  const password = query.getChildText('password') ?? '';
  if (username === undefined || password === '') {
    conn.sendElement(errorReply(iq, badRequest('username and a non-empty password are required')));
    return undefined;
  }
  if (!sameLocalpart(username, local)) {
    conn.sendElement(errorReply(iq, notAllowed('you can only change your own password')));
    return undefined;
  }
  if (!conn.secure && !conn.ctx.config.registration.allowWithoutTls) {
    conn.sendElement(errorReply(iq, notAuthorized('password changes need an encrypted stream')));
    return undefined;
  }
  return changePassword(conn, iq, user, password);
}

async function changePassword(
  conn: Connection,
  iq: Element,
  user: string,
  password: string,
): Promise<void> {
  const { ctx } = conn;
  const credentials = await derive(password, ctx.config.sasl.scramIterations);
  if (credentials === undefined) {
    conn.sendElement(errorReply(iq, notAcceptable('the password is not acceptable')));
    return;
  }
  const account = await ctx.accounts.get(user);
  if (account === undefined || !(await ctx.accounts.update({ ...account, credentials }))) {
    conn.sendElement(errorReply(iq, new StanzaError('item-not-found')));
    return;
  }
  ctx.logger.info('password changed in-band', { conn: conn.id, jid: user });
  // FAST tokens are already invalid (they are derived from the credentials); drop the records.
  await dropFastTokens(conn, user);
  if (conn.open) conn.sendElement(iqResult(iq));
}

async function remove(conn: Connection, iq: Element, user: string): Promise<void> {
  const { ctx } = conn;
  await ctx.accounts.delete(user);
  await dropFastTokens(conn, user);
  // The registry owns the account's other data: roster, offline queue, blocklist.
  const removed: AccountRemoved = { t: 'account-removed', jid: user };
  ctx.publish(routeSubject(user, ctx.config.routing.partitions), removed);
  ctx.logger.info('account removed in-band', { conn: conn.id, jid: user });
  if (!conn.open) return;
  conn.sendElement(iqResult(iq));
  conn.closeStream('not-authorized', 'the account has been removed');
}

async function dropFastTokens(conn: Connection, user: string): Promise<void> {
  await conn.ctx.fastTokens.deleteAll(user).catch((err: unknown) => {
    conn.ctx.logger.warn('could not delete FAST tokens', { conn: conn.id, jid: user, err });
  });
}

function sameLocalpart(username: string, local: string): boolean {
  const bare = username.includes('@') ? username.slice(0, username.lastIndexOf('@')) : username;
  try {
    return normalizeLocalpart(bare) === local;
  } catch {
    return false;
  }
}

async function derive(password: string, iterations: number) {
  try {
    return await deriveCredentials(password, { iterations });
  } catch {
    return undefined;
  }
}

function form(): Element {
  return xml(
    'query',
    { xmlns: NS_REGISTER },
    xml('instructions', null, 'Choose a username and password to register with this server.'),
    xml('username'),
    xml('password'),
  );
}
