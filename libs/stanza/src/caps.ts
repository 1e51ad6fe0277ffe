/**
 * XEP-0115 Entity Capabilities: the verification string of a disco#info
 * result (section 5.1) and its hash, shared by whoever computes or checks
 * caps (the PEP engine of libs/pubsub, the gateway's stream features).
 */
import { createHash } from 'node:crypto';
import type { Element } from '@parley/xml';
import { NS_DATA_FORMS } from './ns.js';

/** XEP-0115 hash names to node:crypto algorithms. */
export const CAPS_HASHES: Record<string, string> = {
  'sha-1': 'sha1',
  'sha-224': 'sha224',
  'sha-256': 'sha256',
  'sha-384': 'sha384',
  'sha-512': 'sha512',
};

/** Code-point order of UTF-8 octets ("i;octet" collation). */
function octetCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * The XEP-0115 section 5.1 verification string of a disco#info result:
 * identities, features and extended data forms in octet order. Undefined
 * when the result is ill-formed (duplicate identities or features, a form
 * without FORM_TYPE, two forms of one FORM_TYPE), which 5.4 says not to cache.
 */
export function verificationString(query: Element): string | undefined {
  const identities: string[] = [];
  const features: string[] = [];
  const forms: { type: string; text: string }[] = [];
  for (const child of query.getChildElements()) {
    if (child.localName === 'identity') {
      const id = [
        child.attr('category') ?? '',
        child.attr('type') ?? '',
        child.attr('xml:lang') ?? '',
        child.attr('name') ?? '',
      ].join('/');
      identities.push(id);
    } else if (child.localName === 'feature') {
      features.push(child.attr('var') ?? '');
    } else if (child.is('x', NS_DATA_FORMS)) {
      let formType: string | undefined;
      const fields: { v: string; values: string[] }[] = [];
      for (const f of child.getChildren('field')) {
        const v = f.attr('var');
        if (v === undefined) continue;
        const values = f.getChildren('value').map((e) => e.text());
        if (v === 'FORM_TYPE') {
          if (f.attr('type') !== 'hidden' && f.attr('type') !== undefined) return undefined;
          formType = values[0];
        } else fields.push({ v, values: values.sort(octetCompare) });
      }
      if (formType === undefined) return undefined;
      fields.sort((a, b) => octetCompare(a.v, b.v));
      let text = `${formType}<`;
      for (const f of fields) text += `${f.v}<${f.values.map((x) => `${x}<`).join('')}`;
      forms.push({ type: formType, text });
    }
  }
  if (new Set(identities).size !== identities.length) return undefined;
  if (new Set(features).size !== features.length) return undefined;
  if (new Set(forms.map((f) => f.type)).size !== forms.length) return undefined;
  identities.sort(octetCompare);
  features.sort(octetCompare);
  forms.sort((a, b) => octetCompare(a.type, b.type));
  return (
    identities.map((i) => `${i}<`).join('') +
    features.map((f) => `${f}<`).join('') +
    forms.map((f) => f.text).join('')
  );
}

/** The ver a client announcing this disco#info result would send (tests, tools). */
export function capsVer(query: Element, hash = 'sha-1'): string {
  const algo = CAPS_HASHES[hash];
  const s = verificationString(query);
  if (!algo || s === undefined) throw new Error('cannot compute a caps ver for this result');
  return createHash(algo).update(s, 'utf8').digest('base64');
}
