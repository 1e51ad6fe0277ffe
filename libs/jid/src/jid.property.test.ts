/**
 * Property tests of JID parsing (RFC 7622): any string is a JID or a
 * JIDError, a parsed JID formats and parses back to itself, normalization
 * is idempotent, the 1023-octet limit holds for every part, domains fold
 * case. More runs: `pnpm fuzz` (docs/security.md).
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { propertyTest } from '@parley/fuzz';
import { normalizeDomain } from './domainpart.js';
import { JIDError } from './errors.js';
import { escapeLocal, unescapeLocal } from './escape.js';
import { JID } from './jid.js';
import { normalizeLocalpart } from './localpart.js';
import { clearJIDCache, parseJID } from './parse.js';
import { bareOf, domainOf, resourceOf } from './parts.js';
import { normalizeResourcepart } from './resourcepart.js';

const CODES = ['malformed', 'bad-localpart', 'bad-domainpart', 'bad-resourcepart', 'too-long'];

/** Characters with a rule of their own somewhere in RFC 7622, PRECIS, IDNA or XEP-0106. */
const SPECIAL = [
  '@',
  '/',
  '.',
  '。',
  '[',
  ']',
  ':',
  '\\',
  ' ',
  '\u00A0',
  '\u3000',
  '"',
  '&',
  "'",
  '<',
  '>',
  '\u200C',
  '\u200D',
  '\u0301',
  '\u05D0',
  '\u0627',
  '\u0661',
  '\u00DF',
  '\u03A3',
  '\u03C2',
  '\uFF21',
  '\u0130',
  '\uFB01',
  '\u2126',
  '\u212B',
  '\u0000',
  '\u007F',
  '\u0085',
  '\uD800',
  '\uDC00',
  '\uFFFD',
  '\uE000',
  '😀',
  '1',
  '9',
  '-',
  'xn--',
  'A',
  'z',
  '::1',
  '0x',
];

const jidChar = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 5, arbitrary: fc.stringMatching(/^[A-Za-z0-9]$/) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);
const jidSoup = fc.array(jidChar, { maxLength: 30 }).map((cs) => cs.join(''));

// UTS #46 refuses '--' in the third and fourth positions (reserved for A-labels such as xn--).
const label = fc
  .stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/)
  .filter((l) => l.slice(2, 4) !== '--');
/** Host names whose last label is not all digits (that would have to be an IPv4 address). */
const hostName = fc
  .tuple(fc.array(label, { maxLength: 3 }), fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/))
  .map(([labels, tld]) => [...labels, tld].join('.'));
const localpart = fc.stringMatching(/^[a-z0-9._\-\u00e9\u00df\u4e2d]{1,20}$/);
const resourcepart = fc
  .string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 20 })
  .filter((r) => /^[\x21-\x7e][\x20-\x7e]*$/.test(r));
const validJid = fc.tuple(fc.option(localpart), hostName, fc.option(resourcepart));

function format(local: string | null, domain: string, resource: string | null): string {
  return (local === null ? '' : `${local}@`) + domain + (resource === null ? '' : `/${resource}`);
}

function outcome(s: string): JID | JIDError {
  try {
    return parseJID(s);
  } catch (err) {
    expect(err).toBeInstanceOf(JIDError);
    expect(CODES).toContain((err as JIDError).code);
    return err as JIDError;
  }
}

const octets = (s: string) => Buffer.byteLength(s, 'utf8');

/** What every parsed JID must hold. */
function checkParsed(jid: JID): void {
  const text = jid.toString();
  clearJIDCache(); // parse for real, not from the cache
  const again = parseJID(text);
  expect(again.toString()).toBe(text);
  expect(again.equals(jid)).toBe(true);
  expect(new JID(jid.local, jid.domain, jid.resource).toString()).toBe(text);
  for (const part of [jid.local, jid.domain, jid.resource]) {
    expect(octets(part)).toBeLessThanOrEqual(1023);
  }
  expect(octets(jid.domain)).toBeGreaterThan(0);
  // The slicing helpers agree with the parser on normalized strings.
  expect(bareOf(text)).toBe(jid.toBareString());
  expect(domainOf(text)).toBe(jid.domain);
  expect(resourceOf(text)).toBe(jid.resource === '' ? undefined : jid.resource);
}

describe('JID properties: arbitrary strings', () => {
  propertyTest('are parsed or refused with a JIDError, never anything else', 2000, () =>
    fc.property(jidSoup, (s) => {
      const got = outcome(s);
      if (got instanceof JID) checkParsed(got);
    }),
  );

  propertyTest('normalize each part idempotently or refuse it with a JIDError', 1000, () =>
    fc.property(jidSoup, (s) => {
      for (const normalize of [normalizeLocalpart, normalizeDomain, normalizeResourcepart]) {
        let once: string;
        try {
          once = normalize(s);
        } catch (err) {
          expect(err).toBeInstanceOf(JIDError);
          continue;
        }
        expect(normalize(once)).toBe(once);
      }
    }),
  );
});

describe('JID properties: generated JIDs', () => {
  propertyTest('parse(format(jid)) is jid, with the domain and localpart case-folded', 1000, () =>
    fc.property(validJid, fc.boolean(), fc.boolean(), ([local, domain, resource], upper, dot) => {
      // ASCII only: 'ß'.toUpperCase() is 'SS', which folds back to 'ss'.
      const shout = (s: string) => (upper ? s.replace(/[a-z]/g, (c) => c.toUpperCase()) : s);
      const input = format(
        local === null ? null : shout(local),
        shout(domain) + (dot ? '.' : ''),
        resource,
      );
      const jid = parseJID(input);
      expect(jid.domain).toBe(domain);
      expect(jid.local).toBe(local ?? '');
      expect(jid.resource).toBe(resource ?? '');
      expect(jid.toString()).toBe(format(local, domain, resource));
      checkParsed(jid);
    }),
  );

  propertyTest('refuses any part over 1023 octets and accepts it up to that', 300, () =>
    fc.property(
      fc.integer({ min: 900, max: 1100 }),
      fc.constantFrom('a', 'é', '中', '😀'),
      fc.constantFrom('local', 'resource', 'domain'),
      (n, ch, part) => {
        // A localpart allows letters, not symbols; a domain here is ASCII only.
        if ((part === 'local' && ch === '😀') || (part === 'domain' && ch !== 'a')) return;
        const unit = octets(ch);
        const count = Math.max(1, Math.floor(n / unit));
        const text = ch.repeat(count);
        const size = octets(text);
        let input: string;
        if (part === 'local') input = `${text}@example.com`;
        else if (part === 'resource') input = `me@example.com/${text}`;
        else {
          // Labels of at most 63 octets (as A-labels: ASCII only here).
          const labels = 'a'.repeat(count).match(/.{1,63}/g)!;
          input = `me@${labels.join('.')}`;
        }
        const got = outcome(input);
        const domainSize = part === 'domain' ? octets(input.slice(3)) : 0;
        const over = part === 'domain' ? domainSize > 1023 : size > 1023;
        if (over) {
          expect(got).toBeInstanceOf(JIDError);
          expect((got as JIDError).code).toBe('too-long');
        } else {
          expect(got).toBeInstanceOf(JID);
        }
      },
    ),
  );

  propertyTest('escapes any would-be localpart into a valid one and back (XEP-0106)', 1000, () =>
    fc.property(jidSoup, (s) => {
      if (s.startsWith(' ') || s.endsWith(' ')) {
        expect(() => escapeLocal(s)).toThrow(JIDError);
        return;
      }
      const escaped = escapeLocal(s);
      expect(escaped).not.toMatch(/[ "&'/:<>@]/);
      expect(unescapeLocal(escaped)).toBe(s);
    }),
  );
});
