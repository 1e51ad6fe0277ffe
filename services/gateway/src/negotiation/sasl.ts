/**
 * SASL negotiation (RFC 6120 section 6): <auth/>, <response/>, <abort/>.
 * Failures are answered after a per-IP delay (see limits/auth-throttle.ts);
 * after MAX_AUTH_FAILURES failures on one stream it is closed with
 * policy-violation. The SASL username is the localpart of the account on the
 * stream's domain.
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
import type {
  Mechanism,
  SaslContext,
  SaslFailureCondition,
  SaslStep,
  ServerMechanism,
} from '@parley/sasl';
import { NS_SASL, saslFailure } from '@parley/stanza';
import type { Account } from '@parley/store';
import type { Element } from '@parley/xml';
import type { Connection } from '../connection.js';
import { connectionChannelBinding } from './features.js';
import { offeredMechanisms } from './mechanisms.js';

/** Failed attempts allowed on one stream before it is closed (RFC 6120 6.4.5 suggests 2 to 5 retries). */
export const MAX_AUTH_FAILURES = 5;

/** One authentication exchange in progress. */
export interface SaslAttempt {
  readonly mechanism: ServerMechanism;
  /** The account the mechanism looked up, kept to check `banned` after a successful exchange. */
  readonly found: { account?: Account };
}

export function onAuth(conn: Connection, el: Element): Promise<void> | void {
  const { config } = conn.ctx;
  conn.sasl = undefined;
  if (!conn.secure && config.c2s.requireTls) {
    return reject(conn, 'unknown', 'encryption-required', 'negotiate TLS first');
  }
  const name = el.attr('mechanism') ?? '';
  const cb = conn.secure ? connectionChannelBinding(conn) : undefined;
  if (!isMechanism(name) || !offeredMechanisms(conn, cb).includes(name)) {
    return reject(conn, isMechanism(name) ? name : 'unknown', 'invalid-mechanism');
  }
  const text = el.text().trim();
  let initial: Buffer | undefined;
  if (text !== '') {
    const decoded = decodeSaslPayload(text);
    if (!Buffer.isBuffer(decoded)) return applyStep(conn, name, decoded);
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
        'not-authorized',
        `channel binding type ${type} is not supported here; use one of: ${cb.types.join(', ')}`,
      );
      return;
    }
  }
  const found: { account?: Account } = {};
  const domain = conn.domain;
  const accounts = conn.ctx.accounts;
  const saslCtx: SaslContext = {
    secure: conn.secure,
    // Always the stream's binding: the mechanism refuses the 'y' flag while it is available.
    ...(cb !== undefined && { channelBinding: cb }),
    async lookup(username: string) {
      let local: string;
      try {
        local = normalizeLocalpart(username);
      } catch {
        return undefined;
      }
      const jid = `${local}@${domain}`;
      // Nobody logs in as a reserved account (the admin API's MUC identity): it
      // answers like an unknown user, even if such an account was made before.
      if (reservedAccount(conn.ctx.config, jid) !== undefined) return undefined;
      found.account = await accounts.get(jid);
      return found.account?.credentials;
    },
  };
  const attempt: SaslAttempt = {
    mechanism: createServerMechanism(name, saslCtx, conn.ctx.saslOptions),
    found,
  };
  conn.sasl = attempt;
  return attempt.mechanism.start(initial).then(
    (step) => applyStep(conn, name, step),
    (err: unknown) => outOfOrder(conn, name, err),
  );
}

export function onResponse(conn: Connection, el: Element): Promise<void> | void {
  const attempt = conn.sasl;
  if (attempt === undefined) {
    return reject(conn, 'unknown', 'malformed-request', 'no authentication in progress');
  }
  const name = attempt.mechanism.name;
  const decoded = decodeSaslPayload(el.text().trim());
  if (!Buffer.isBuffer(decoded)) return applyStep(conn, name, decoded);
  return attempt.mechanism.step(decoded).then(
    (step) => applyStep(conn, name, step),
    (err: unknown) => outOfOrder(conn, name, err),
  );
}

export function onAbort(conn: Connection): Promise<void> | void {
  const name = conn.sasl?.mechanism.name ?? 'unknown';
  return reject(conn, name, 'aborted');
}

/** A mechanism refusing a call out of sequence is the client's fault, not an internal error. */
function outOfOrder(conn: Connection, mechanism: Mechanism, err: unknown): Promise<void> | void {
  if (!(err instanceof SaslError)) throw err;
  return reject(conn, mechanism, 'malformed-request', err.message);
}

function applyStep(conn: Connection, mechanism: Mechanism, step: SaslStep): Promise<void> | void {
  if (!conn.open) return;
  switch (step.kind) {
    case 'challenge':
      conn.send(
        step.data.length === 0
          ? `<challenge xmlns="${NS_SASL}"/>`
          : `<challenge xmlns="${NS_SASL}">${step.data.toString('base64')}</challenge>`,
      );
      return;
    case 'failure':
      return reject(conn, mechanism, step.condition, step.text);
    case 'success':
      return succeed(conn, mechanism, step);
  }
}

function succeed(
  conn: Connection,
  mechanism: Mechanism,
  step: Extract<SaslStep, { kind: 'success' }>,
): Promise<void> | void {
  const account = conn.sasl?.found.account;
  let bare: string;
  try {
    bare = `${normalizeLocalpart(step.username)}@${conn.domain}`;
  } catch {
    return reject(conn, mechanism, 'not-authorized');
  }
  if (account === undefined || account.jid !== bare) {
    return reject(conn, mechanism, 'not-authorized');
  }
  if (step.authzid !== undefined && !sameJid(step.authzid, bare)) {
    return reject(conn, mechanism, 'invalid-authzid', 'you may only authorize as your own account');
  }
  if (account.banned === true) {
    return reject(conn, mechanism, 'account-disabled', undefined, false);
  }
  const { ctx } = conn;
  conn.sasl = undefined;
  if (!conn.transition('authenticated')) return;
  conn.user = bare;
  conn.framer.setLimits({ maxStanzaBytes: ctx.config.c2s.maxStanzaBytes });
  ctx.throttle.succeed(conn.ip);
  ctx.metrics.login(mechanism, 'success');
  ctx.logger.info('client authenticated', { conn: conn.id, ip: conn.ip, jid: bare, mechanism });
  conn.send(
    step.data === undefined
      ? `<success xmlns="${NS_SASL}"/>`
      : `<success xmlns="${NS_SASL}">${encodeSaslPayload(step.data)}</success>`,
  );
  conn.restartStream();
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
 * stream's limit and the per-IP delay; `aborted` and `encryption-required`
 * do not.
 */
function reject(
  conn: Connection,
  mechanism: string,
  condition: SaslFailureCondition,
  text?: string,
  delayed = condition !== 'aborted' && condition !== 'encryption-required',
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
  });
  const delay = delayed ? ctx.throttle.fail(conn.ip, Date.now()) : 0;
  const answer = (ms: number): Promise<void> | void => {
    if (ms <= 0) return answerFailure(conn, condition, text);
    return sleep(ms, undefined, { ref: false }).then(() => answerFailure(conn, condition, text));
  };
  return typeof delay === 'number' ? answer(delay) : delay.then(answer);
}

function answerFailure(
  conn: Connection,
  condition: SaslFailureCondition,
  text: string | undefined,
): void {
  if (!conn.open) return;
  conn.sendElement(saslFailure(condition, text));
  if (conn.authFailures >= MAX_AUTH_FAILURES) {
    conn.closeStream('policy-violation', 'too many failed authentication attempts');
  }
}
