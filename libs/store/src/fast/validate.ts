import { StoreError } from '../errors.js';
import { checkJid, checkTimestamp } from '../shared/validate.js';
import type { FastTokenRecord, FastTokenSlot } from './contract.js';

const AGENT = /^[0-9a-f]{64}$/;

export function checkAgent(agent: unknown): asserts agent is string {
  if (typeof agent !== 'string' || !AGENT.test(agent)) {
    throw new StoreError('invalid-argument', 'agent must be a SHA-256 in lowercase hex');
  }
}

function checkSlot(slot: FastTokenSlot, what: string): void {
  if (typeof slot.id !== 'string' || slot.id.length === 0 || slot.id.length > 128) {
    throw new StoreError('invalid-argument', `${what}.id must be a string of 1-128 characters`);
  }
  if (typeof slot.mechanism !== 'string' || slot.mechanism.length === 0) {
    throw new StoreError('invalid-argument', `${what}.mechanism must be a non-empty string`);
  }
  checkTimestamp(slot.issuedAt, `${what}.issuedAt`);
  checkTimestamp(slot.expiresAt, `${what}.expiresAt`);
  if (!Number.isSafeInteger(slot.count) || slot.count < 0) {
    throw new StoreError('invalid-argument', `${what}.count must be a non-negative integer`);
  }
}

export function checkRecord(record: FastTokenRecord): void {
  checkJid(record.jid);
  checkAgent(record.agent);
  if (record.current !== undefined) checkSlot(record.current, 'current');
  if (record.next !== undefined) checkSlot(record.next, 'next');
}

/** A slot as stored (only the contract's fields, in a fixed order). */
export function slotValue(slot: FastTokenSlot | undefined): FastTokenSlot | undefined {
  if (slot === undefined) return undefined;
  const { id, mechanism, issuedAt, expiresAt, count } = slot;
  return { id, mechanism, issuedAt, expiresAt, count };
}

/** The record with only the slots it has (no undefined properties). */
export function recordOf(
  jid: string,
  agent: string,
  current: FastTokenSlot | undefined,
  next: FastTokenSlot | undefined,
): FastTokenRecord {
  return {
    jid,
    agent,
    ...(current !== undefined && { current: slotValue(current)! }),
    ...(next !== undefined && { next: slotValue(next)! }),
  };
}
