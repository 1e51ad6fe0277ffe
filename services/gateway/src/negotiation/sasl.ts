/**
 * SASL negotiation (RFC 6120 section 6): <auth/>, <response/>, <abort/>, and
 * the exchange SASL2 (XEP-0388, negotiation/sasl2.ts) runs with the same
 * mechanisms and checks: only the elements around it differ (a
 * `SaslProfile`). Every attempt passes the login limits first
 * (limits/login-guard.ts: the failure delay of its address, shared by all
 * connections and gateways; a refused address; a guarded account), and
 * failures are counted there and answered after the delay; after
 * MAX_AUTH_FAILURES failures on one stream it is closed with
 * policy-violation. The SASL username is the localpart of the account on
 * the stream's domain.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { reservedAccount } from '@parley/config';
import { normalizeLocalpart, parseJID } from '@parley/jid';
import {
  SaslError,
  createServerMechanism,
  decodeSaslPayload,
  encodeSaslPayload,
  isMechanism,
} from '@parley/sasl';
import type { SaslContext, SaslFailureCondition, SaslStep } from '@parley/sasl';
import { NS_SASL, saslFailure } from '@parley/stanza';
import type { Account } from '@parley/store';
import type { Element } from '@parley/xml';
import type { Connection } from '../connection.js';
import { refuseSession } from '../limits/connection-limits.js';
import { connectionChannelBinding } from './features.js';
import { offeredMechanisms } from './mechanisms.js';

/** Failed attempts allowed on one stream before it is closed (RFC 6120 6.4.5 suggests 2 to 5 retries). */
export const MAX_AUTH_FAILURES = 5;

/** What drives one exchange: a password mechanism of @parley/sasl, or an HT mechanism (FAST). */
export interface ExchangeMechanism {
  readonly name: string;
  start(initial: Buffer | undefined): Promise<SaslStep>;
  step(response: Buffer): Promise<SaslStep>;
}

/** A successful exchange whose account passed every check. */
export interface SaslOutcome {
  readonly mechanism: string;
  readonly bare: string;
  readonly account: Account;
  /** Additional data with success (SCRAM server-final-message, HT responder message). */
  readonly data: Buffer | undefined;
}

/** The elements around an exchange: RFC 6120 SASL or XEP-0388 SASL2. */
export interface SaslProfile {
  readonly name: 'sasl' | 'sasl2';
  challenge(conn: Connection, data: Buffer): void;
  failure(conn: Connection, condition: SaslFailureCondition, text: string | undefined): void;
  /** The connection is authenticated (state, user, limits, throttle, log): answer the success. */
  success(conn: Connection, outcome: SaslOutcome): Promise<void> | void;
}

/** One authentication exchange in progress. */
export interface SaslAttempt {
  readonly mechanism: ExchangeMechanism;
  /** The account the mechanism looked up, kept to check `banned` after a successful exchange. */
  readonly found: { account?: Account };
  readonly profile: SaslProfile;
}

/** RFC 6120 SASL. */
export const saslProfile: SaslProfile = {
  name: 'sasl',
  challenge(conn, data) {
    conn.send(
      data.length === 0
        ? `<challenge xmlns="${NS_SASL}"/>`
        : `<challenge xmlns="${NS_SASL}">${data.toString('base64')}</challenge>`,
    );
  },
  failure(conn, condition, text) {
    conn.sendElement(saslFailure(condition, text));
  },
  success(conn, { data }) {
    conn.send(
      data === undefined
        ? `<success xmlns="${NS_SASL}"/>`
        : `<success xmlns="${NS_SASL}">${encodeSaslPayload(data)}</success>`,
    );
    conn.restartStream();
  },
};

export function onAuth(conn: Connection, el: Element): Promise<void> | void {
  return gated(conn, saslProfile, () =>
    startExchange(conn, saslProfile, el.attr('mechanism') ?? '', el.text().trim()),
  );
}

/**
 * Runs a new attempt (SASL or SASL2, password or token) once the login
 * limits admit it: a refused address is closed with policy-violation; an
 * attempt whose address's delay outlasts the stream's negotiation deadline
 * is answered temporary-auth-failure at once, unchecked (it counts towards
 * the stream's limit, not as a guess); otherwise it runs once the delay has
 * passed.
 */
export function gated(
  conn: Connection,
  profile: SaslProfile,
  attempt: () => Promise<void> | void,
): Promise<void> {
  const guard = conn.ctx.loginGuard;
  return guard.admit(conn).then((admission) => {
    if (!conn.open) return;
    switch (admission.kind) {
      case 'refused':
        guard.turnAway(conn, 'login', admission.until);
        return;
      case 'busy':
        conn.authFailures++;
        answerFailure(
          conn,
          profile,
          'temporary-auth-failure',
          `too many failed logins from your address: try again in ${Math.ceil(admission.waitMs / 1000)} s`,
        );
        return;
      case 'go':
        return attempt();
    }
  });
}

/**
 * Starts an exchange of a password mechanism (SCRAM, PLAIN) with the
 * client's initial response (`text`: its base64, '' for none, '=' for an
 * empty one): TLS required, the mechanism must be one offered on this
 * stream, the channel binding checks, the account lookup (reserved
 * accounts answer like unknown ones).
 */
export function startExchange(
  conn: Connection,
  profile: SaslProfile,
  name: string,
  text: string,
): Promise<void> | void {
  const { config } = conn.ctx;
  conn.sasl = undefined;
  if (!conn.secure && config.c2s.requireTls) {
    return reject(conn, profile, 'unknown', 'encryption-required', 'negotiate TLS first');
  }
  const cb = conn.secure ? connectionChannelBinding(conn) : undefined;
  if (!isMechanism(name) || !offeredMechanisms(conn, cb).includes(name)) {
    return reject(conn, profile, isMechanism(name) ? name : 'unknown', 'invalid-mechanism');
  }
  let initial: Buffer | undefined;
  if (text !== '') {
    const decoded = decodeSaslPayload(text);
    if (!Buffer.isBuffer(decoded)) return applyStep(conn, profile, name, decoded);
    initial = decoded;
  }
  if (cb !== undefined && name.endsWith('-PLUS') && initial !== undefined) {
    const type = requestedBindingType(initial);
    if (type !== undefined && !(cb.types as string[]).includes(type)) {
      // A capability mismatch, not a guess: answer at once, count nothing. It changes
      // nothing else: a later non-PLUS attempt with the 'y' flag is still a downgrade,
      // since the server offers -PLUS (RFC 5802 section 6).
      conn.ctx.logger.info('channel binding type not supported', {
        conn: conn.id,
        type,
        supported: cb.types,
      });
      answerFailure(
        conn,
        profile,
        'not-authorized',
        `channel binding type ${type} is not supported here; use one of: ${cb.types.join(', ')}`,
      );
      return;
    }
  }
  const found: { account?: Account } = {};
  const saslCtx: SaslContext = {
    secure: conn.secure,
    // Always the stream's binding: the mechanism refuses the 'y' flag while it is available.
    ...(cb !== undefined && { channelBinding: cb }),
    async lookup(username: string) {
      found.account = await lookupAccount(conn, username);
      return found.account?.credentials;
    },
  };
  const mechanism = createServerMechanism(name, saslCtx, conn.ctx.saslOptions);
  return runExchange(conn, { mechanism, found, profile }, initial);
}

/**
 * The account a SASL username names on this stream's domain; undefined for
 * an invalid username, an unknown account, a reserved account (the admin
 * API's MUC identity: nobody logs in as it, even if such an account was
 * made before), and an account the login limits guard from this stream's
 * address (so the attempt fails like a wrong password, unchecked). The
 * account is remembered for counting the attempt's failure.
 */
export async function lookupAccount(
  conn: Connection,
  username: string,
): Promise<Account | undefined> {
  let local: string;
  try {
    local = normalizeLocalpart(username);
  } catch {
    return undefined;
  }
  const jid = `${local}@${conn.domain}`;
  if (await conn.ctx.loginGuard.accountGuarded(conn, jid)) return undefined;
  if (reservedAccount(conn.ctx.config, jid) !== undefined) return undefined;
  return conn.ctx.accounts.get(jid);
}

/** Runs the first step of an attempt (password or HT mechanism). */
export function runExchange(
  conn: Connection,
  attempt: SaslAttempt,
  initial: Buffer | undefined,
): Promise<void> {
  conn.sasl = attempt;
  const name = attempt.mechanism.name;
  return attempt.mechanism.start(initial).then(
    (step) => applyStep(conn, attempt.profile, name, step),
    (err: unknown) => outOfOrder(conn, attempt.profile, name, err),
  );
}

export function onResponse(conn: Connection, el: Element): Promise<void> | void {
  return respond(conn, saslProfile, el);
}

/** A <response/> of `profile` (SASL or SASL2) to the exchange in progress. */
export function respond(conn: Connection, profile: SaslProfile, el: Element): Promise<void> | void {
  const attempt = conn.sasl;
  if (attempt === undefined || attempt.profile !== profile) {
    return reject(conn, profile, 'unknown', 'malformed-request', 'no authentication in progress');
  }
  const name = attempt.mechanism.name;
  const decoded = decodeSaslPayload(el.text().trim());
  if (!Buffer.isBuffer(decoded)) return applyStep(conn, profile, name, decoded);
  return attempt.mechanism.step(decoded).then(
    (step) => applyStep(conn, profile, name, step),
    (err: unknown) => outOfOrder(conn, profile, name, err),
  );
}

export function onAbort(conn: Connection): Promise<void> | void {
  return abort(conn, saslProfile);
}

export function abort(conn: Connection, profile: SaslProfile): Promise<void> | void {
  const name = conn.sasl?.mechanism.name ?? 'unknown';
  return reject(conn, profile, name, 'aborted');
}

/** A mechanism refusing a call out of sequence is the client's fault, not an internal error. */
function outOfOrder(
  conn: Connection,
  profile: SaslProfile,
  mechanism: string,
  err: unknown,
): Promise<void> | void {
  if (!(err instanceof SaslError)) throw err;
  return reject(conn, profile, mechanism, 'malformed-request', err.message);
}

function applyStep(
  conn: Connection,
  profile: SaslProfile,
  mechanism: string,
  step: SaslStep,
): Promise<void> | void {
  if (!conn.open) return;
  switch (step.kind) {
    case 'challenge':
      profile.challenge(conn, step.data);
      return;
    case 'failure':
      return reject(conn, profile, mechanism, step.condition, step.text);
    case 'success':
      return succeed(conn, profile, mechanism, step);
  }
}

function succeed(
  conn: Connection,
  profile: SaslProfile,
  mechanism: string,
  step: Extract<SaslStep, { kind: 'success' }>,
): Promise<void> | void {
  const account = conn.sasl?.found.account;
  let bare: string;
  try {
    bare = `${normalizeLocalpart(step.username)}@${conn.domain}`;
  } catch {
    return reject(conn, profile, mechanism, 'not-authorized');
  }
  if (account === undefined || account.jid !== bare) {
    return reject(conn, profile, mechanism, 'not-authorized');
  }
  if (step.authzid !== undefined && !sameJid(step.authzid, bare)) {
    return reject(
      conn,
      profile,
      mechanism,
      'invalid-authzid',
      'you may only authorize as your own account',
    );
  }
  if (account.banned === true) {
    return reject(conn, profile, mechanism, 'account-disabled', undefined, false);
  }
  const { ctx } = conn;
  conn.sasl = undefined;
  // Over c2s.maxSessionsPerAddress: the stream ends instead of the success (limits/).
  if (!ctx.limits.authenticate(conn.slot)) return refuseSession(conn, bare);
  if (!conn.transition('authenticated')) return;
  conn.user = bare;
  conn.framer.setLimits({ maxStanzaBytes: ctx.config.c2s.maxStanzaBytes });
  ctx.metrics.login(mechanism, 'success');
  ctx.logger.info('client authenticated', {
    conn: conn.id,
    ip: conn.ip,
    jid: bare,
    mechanism,
    ...(profile.name === 'sasl2' && { profile: 'sasl2' }),
  });
  return profile.success(conn, { mechanism, bare, account, data: step.data });
}

/** The channel-binding type named in a GS2 header ("p=<type>,..."), if any. */
function requestedBindingType(initial: Buffer): string | undefined {
  const m = /^p=([A-Za-z0-9.-]+),/.exec(initial.subarray(0, 64).toString('latin1'));
  return m?.[1];
}

function sameJid(a: string, bare: string): boolean {
  try {
    return parseJID(a).toString() === bare;
  } catch {
    return false;
  }
}

/**
 * Answers a failure. Failures that could be guesses count towards the
 * stream's limit and the login limits (the address, the account), and are
 * answered after the address's delay; `aborted` and `encryption-required`
 * do not count, nor `temporary-auth-failure` (the server's trouble, such as
 * a store that failed, is no guess of the client's). A failure that gets
 * the address refused ends the stream.
 */
export function reject(
  conn: Connection,
  profile: SaslProfile,
  mechanism: string,
  condition: SaslFailureCondition,
  text?: string,
  delayed = condition !== 'aborted' &&
    condition !== 'encryption-required' &&
    condition !== 'temporary-auth-failure',
): Promise<void> | void {
  const { ctx } = conn;
  conn.sasl = undefined;
  if (condition !== 'aborted') ctx.metrics.login(mechanism, 'failure');
  if (condition !== 'aborted' && condition !== 'encryption-required') conn.authFailures++;
  ctx.logger.info('client authentication failed', {
    conn: conn.id,
    ip: conn.ip,
    mechanism,
    condition,
    ...(profile.name === 'sasl2' && { profile: 'sasl2' }),
  });
  if (!delayed) return answerFailure(conn, profile, condition, text);
  return ctx.loginGuard.failed(conn).then(async ({ waitMs, refusedUntil }) => {
    if (waitMs > 0) await sleep(waitMs, undefined, { ref: false });
    answerFailure(conn, profile, condition, text);
    if (refusedUntil !== undefined && conn.open) {
      ctx.loginGuard.turnAway(conn, 'login', refusedUntil);
    }
  });
}

function answerFailure(
  conn: Connection,
  profile: SaslProfile,
  condition: SaslFailureCondition,
  text: string | undefined,
): void {
  if (!conn.open) return;
  profile.failure(conn, condition, text);
  if (conn.authFailures >= MAX_AUTH_FAILURES) {
    conn.closeStream('policy-violation', 'too many failed authentication attempts');
  }
}
