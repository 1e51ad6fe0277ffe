/**
 * XEP-0484 FAST tokens: issue, check, rotate and invalidate.
 *
 * A token is never stored. The shared FastTokenStore keeps, per account and
 * client (the SHA-256 of the client's SASL2 user-agent id), two slots as
 * XEP-0484 section 6.1 describes (`current`, the token in use; `next`, one
 * issued and not used yet), each a random id, the HT mechanism it is bound
 * to, its expiry and the highest `count` seen. The token is
 *
 *   base64url(HMAC-SHA-256(K, jid NUL agent NUL id NUL stored-key NUL salt))
 *
 * with K = HMAC-SHA-256(sasl.fakeSaltSecret, "parley FAST token key v1")
 * and stored-key and salt the account's current SCRAM-SHA-256 credentials.
 * So every gateway holding the secret derives the same token from the
 * record (a token issued by one gateway is accepted by all), a copy of the
 * store authenticates nobody, and a password change (new salt and stored
 * key, whichever way it is made: XEP-0077, the admin API, xmppctl)
 * invalidates every token of the account at once. A deleted account has no
 * credentials: its tokens are refused, and XEP-0077 cancellation and
 * password changes also delete the records. The HT mechanisms need the
 * token itself as their HMAC key, so a one-way hash of it could not be
 * checked: deriving it is how no token is stored.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { HtCandidate, HtMechanism } from '@parley/sasl';
import { NS_FAST } from '@parley/stanza';
import type { Account } from '@parley/store';
import type { FastTokenRecord, FastTokenSlot } from '@parley/store/fast';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { Connection } from '../connection.js';
import { lookupAccount } from './sasl.js';

/** The key tokens and Bind2 resources are derived from, separate from the fake-salt use of the secret. */
export function derivedKey(secret: Buffer, label: string): Buffer {
  return createHmac('sha256', secret).update(label).digest();
}

export const FAST_KEY_LABEL = 'parley FAST token key v1';

/** SHA-256 (hex) of a SASL2 user-agent id: what records are keyed by. */
export function agentOf(userAgentId: string): string {
  return createHash('sha256').update(userAgentId, 'utf8').digest('hex');
}

/** The token of one slot, for the account as it is now. */
export function deriveToken(
  key: Buffer,
  account: Account,
  agent: string,
  slot: Pick<FastTokenSlot, 'id'>,
): string {
  const cred = account.credentials['SCRAM-SHA-256'];
  return createHmac('sha256', key)
    .update([account.jid, agent, slot.id, cred.storedKey, cred.salt].join('\0'))
    .digest('base64url');
}

/** Which slot of which record a candidate token is. */
export interface TokenRef {
  record: FastTokenRecord;
  slot: 'current' | 'next';
}

/**
 * The tokens `username` may authenticate with on this stream as client
 * `agent` with `mechanism`: the slots bound to that mechanism (an expired
 * one matches only to be refused with credentials-expired, XEP-0484 5.2). Sets
 * `found.account` like the password mechanisms' lookup.
 */
export async function tokenCandidates(
  conn: Connection,
  username: string,
  agent: string,
  mechanism: HtMechanism,
  found: { account?: Account },
): Promise<HtCandidate<TokenRef>[]> {
  const account = await lookupAccount(conn, username);
  found.account = account;
  if (account === undefined) return [];
  const record = await conn.ctx.fastTokens.get(account.jid, agent);
  if (record === undefined) return [];
  const now = Date.now();
  const out: HtCandidate<TokenRef>[] = [];
  for (const which of ['next', 'current'] as const) {
    const slot = record[which];
    if (slot === undefined || slot.mechanism !== mechanism) continue;
    out.push({
      token: deriveToken(conn.ctx.fastKey, account, agent, slot),
      ref: { record, slot: which },
      // An expired token is recognized but refused: the client should log in with its password.
      ...(slot.expiresAt <= now && { refuse: 'credentials-expired' as const }),
    });
  }
  return out;
}

function newSlot(conn: Connection, mechanism: string, now: number): FastTokenSlot {
  return {
    id: randomBytes(18).toString('base64url'),
    mechanism,
    issuedAt: now,
    expiresAt: now + conn.ctx.config.c2s.fast.tokenLifetimeMs,
    count: 0,
  };
}

function tokenElement(
  conn: Connection,
  account: Account,
  agent: string,
  slot: FastTokenSlot,
): Element {
  return xml('token', {
    xmlns: NS_FAST,
    expiry: new Date(slot.expiresAt).toISOString(),
    token: deriveToken(conn.ctx.fastKey, account, agent, slot),
  });
}

/**
 * After a successful password login with <request-token/>: a new token in
 * the client's `next` slot (an unused earlier one is dropped, XEP-0484 4.5).
 */
export async function issueToken(
  conn: Connection,
  account: Account,
  agent: string,
  mechanism: HtMechanism,
): Promise<Element> {
  const now = Date.now();
  const store = conn.ctx.fastTokens;
  const record = (await store.get(account.jid, agent)) ?? { jid: account.jid, agent };
  const slot = newSlot(conn, mechanism, now);
  await store.set({ ...record, next: slot });
  conn.ctx.metrics.fastToken('issued');
  return tokenElement(conn, account, agent, slot);
}

export interface TokenUse {
  /** <fast count/>, when the client sent one. */
  count: number | undefined;
  invalidate: boolean;
  /** <request-token mechanism/>, when the client sent one (and it is offered here). */
  request: HtMechanism | undefined;
}

/**
 * After a successful login with a token: the `next` slot becomes `current`
 * (an older current token is invalid from now on, XEP-0484 4.5), the count
 * is kept, and a new token comes back when the used one is near its expiry
 * or the client asked for one; with `invalidate` the client's tokens are
 * dropped and none comes back unless it asked.
 */
export async function useToken(
  conn: Connection,
  account: Account,
  agent: string,
  ref: TokenRef,
  use: TokenUse,
): Promise<Element | undefined> {
  const store = conn.ctx.fastTokens;
  const { ctx } = conn;
  const now = Date.now();
  const used = ref.record[ref.slot]!;
  if (use.invalidate) {
    await store.delete(account.jid, agent);
    ctx.metrics.fastToken('invalidated');
    ctx.logger.info('FAST token invalidated by its client', { conn: conn.id, jid: account.jid });
    return use.request === undefined ? undefined : issueToken(conn, account, agent, use.request);
  }
  const current: FastTokenSlot = {
    ...used,
    count: Math.max(used.count, use.count ?? 0),
  };
  let next = ref.slot === 'current' ? ref.record.next : undefined;
  const rotateBefore = ctx.config.c2s.fast.rotateBeforeMs;
  const rotate = rotateBefore > 0 && used.expiresAt - now < rotateBefore;
  let answer: Element | undefined;
  if (use.request !== undefined || rotate) {
    next = newSlot(conn, use.request ?? (used.mechanism as HtMechanism), now);
    answer = tokenElement(conn, account, agent, next);
    ctx.metrics.fastToken(rotate ? 'rotated' : 'issued');
  }
  await store.set({
    jid: account.jid,
    agent,
    current,
    ...(next !== undefined && { next }),
  });
  return answer;
}
