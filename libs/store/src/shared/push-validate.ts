import type { PushDevice, PushRegistration } from '../push-contracts.js';
import { StoreError } from '../errors.js';
import { checkJid, checkTimestamp } from './validate.js';

function checkString(value: unknown, what: string, nonEmpty = true): void {
  if (typeof value !== 'string' || (nonEmpty && value.length === 0))
    throw new StoreError(
      'invalid-argument',
      `${what} must be a ${nonEmpty ? 'non-empty ' : ''}string`,
    );
}

export function checkRegistration(owner: string, r: PushRegistration): void {
  checkJid(owner, 'owner');
  checkJid(r.jid, 'registration jid');
  checkString(r.node, 'registration node', false);
  checkJid(r.enabledBy, 'enabledBy');
  checkTimestamp(r.createdAt, 'createdAt');
  if (typeof r.options !== 'object' || r.options === null || Array.isArray(r.options))
    throw new StoreError('invalid-argument', 'registration options must be an object');
  for (const [k, v] of Object.entries(r.options)) {
    checkString(k, 'option name');
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
      throw new StoreError('invalid-argument', `option ${k} must be a list of strings`);
  }
}

export function checkDeviceKey(service: string, node: string): void {
  checkJid(service, 'service');
  checkString(node, 'node');
}

export function checkDevice(d: PushDevice): void {
  checkDeviceKey(d.service, d.node);
  checkJid(d.owner, 'owner');
  for (const k of ['secretHash', 'device', 'app', 'token'] as const) checkString(d[k], k);
  checkTimestamp(d.createdAt, 'createdAt');
}

/** A copy with only the contract's fields, in a fixed order (what every backend returns). */
export function registrationOf(r: PushRegistration): PushRegistration {
  const options: Record<string, string[]> = {};
  for (const k of Object.keys(r.options).sort()) options[k] = [...r.options[k]!];
  return { jid: r.jid, node: r.node, options, enabledBy: r.enabledBy, createdAt: r.createdAt };
}

export function deviceOf(d: PushDevice): PushDevice {
  return {
    service: d.service,
    node: d.node,
    secretHash: d.secretHash,
    owner: d.owner,
    device: d.device,
    app: d.app,
    token: d.token,
    createdAt: d.createdAt,
  };
}
