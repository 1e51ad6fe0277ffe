// Domainparts (RFC 7622 section 3.2): an IP-literal, an IPv4 address or an
// internationalized domain name. IDNs are processed with UTS #46
// (nontransitional, STD3 rules, hyphen, joiner and Bidi checks), which
// implements the IDNA2008 label rules, and stored as lowercase U-labels.

import { toASCII, toUnicode } from 'tr46';
import { JIDError } from './errors.js';
import { normalizeIPLiteral, parseIPv4 } from './ip-literal.js';
import { MAX_INPUT_UNITS, MAX_PART_OCTETS, utf8Length } from './limits.js';

const IDNA_OPTIONS = {
  checkBidi: true,
  checkHyphens: true,
  checkJoiners: true,
  useSTD3ASCIIRules: true,
  transitionalProcessing: false,
} as const;

/** RFC 1035: at most 63 octets per (A-)label. */
const MAX_LABEL_OCTETS = 63;
/** One trailing label separator: FULL STOP or one of the UTS #46 full stop variants. */
const TRAILING_DOT = /[.\u3002\uFF0E\uFF61]$/;
const ASCII_HOSTNAME_CHARS = /^[A-Za-z0-9.-]+$/;
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const NUMERIC_LABEL = /^[0-9]+$/;

function bad(message: string): JIDError {
  return new JIDError('bad-domainpart', message);
}

function tooLong(): JIDError {
  return new JIDError('too-long', `domainpart is longer than ${MAX_PART_OCTETS} octets`);
}

/** Letters, digits and interior hyphens, with no "--" in positions 3 and 4 (so no A-labels). */
function isPlainLdh(label: string): boolean {
  return LDH_LABEL.test(label) && label.slice(2, 4) !== '--';
}

function processIdn(s: string): string {
  const { domain, error } = toUnicode(s, IDNA_OPTIONS);
  if (error) throw bad(`domainpart '${s}' is not a valid domain name`);
  if (domain.split('.').includes('')) throw bad('domainpart has an empty label');
  const ascii = toASCII(s, IDNA_OPTIONS);
  if (ascii === null) throw bad(`domainpart '${s}' is not a valid domain name`);
  if (ascii.split('.').some((label) => label.length > MAX_LABEL_OCTETS)) {
    throw bad(`domainpart has a label longer than ${MAX_LABEL_OCTETS} octets`);
  }
  return domain;
}

/**
 * A name whose last label is all digits must be an IPv4 address: RFC 1123
 * top-level labels are alphabetic, and this keeps "1.2.3.04" from passing
 * as a host name.
 */
function checkNumeric(domain: string): void {
  const last = domain.slice(domain.lastIndexOf('.') + 1);
  if (NUMERIC_LABEL.test(last) && parseIPv4(domain) === undefined) {
    throw bad(`domainpart '${domain}' is neither an IPv4 address nor a domain name`);
  }
}

/** Validates and normalizes a domainpart; throws JIDError. */
export function normalizeDomain(input: string): string {
  if (input.length > MAX_INPUT_UNITS) throw tooLong();
  if (input.startsWith('[')) {
    const literal = normalizeIPLiteral(input);
    if (literal === undefined) throw bad(`'${input}' is not a valid IPv6 literal`);
    return literal;
  }
  const s = input.replace(TRAILING_DOT, '');
  if (s.length === 0) throw bad('domainpart is empty');
  let domain = ASCII_HOSTNAME_CHARS.test(s) ? s.toLowerCase() : '';
  if (!domain.split('.').every(isPlainLdh)) domain = processIdn(s);
  checkNumeric(domain);
  if (utf8Length(domain) > MAX_PART_OCTETS) throw tooLong();
  return domain;
}
