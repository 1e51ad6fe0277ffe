import { StoreError } from '../errors.js';
import { checkJid } from './validate.js';

export function checkXml(xml: unknown): asserts xml is string {
  if (typeof xml !== 'string') throw new StoreError('invalid-argument', 'xml must be a string');
}

/** Private XML is keyed by owner, element name and namespace; all three are non-empty. */
export function checkPrivateKey(owner: string, name: string, ns: string): void {
  checkJid(owner, 'owner');
  checkJid(name, 'name');
  checkJid(ns, 'namespace');
}
