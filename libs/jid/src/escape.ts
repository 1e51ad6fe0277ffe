// JID Escaping (XEP-0106): representing the characters RFC 7622 prohibits
// in localparts as backslash sequences, and back.

import { JIDError } from './errors.js';

const ESCAPES: Readonly<Record<string, string>> = {
  ' ': '\\20',
  '"': '\\22',
  '&': '\\26',
  "'": '\\27',
  '/': '\\2f',
  ':': '\\3a',
  '<': '\\3c',
  '>': '\\3e',
  '@': '\\40',
  '\\': '\\5c',
};

/**
 * Characters to escape: the nine prohibited characters, and a backslash
 * only where it starts one of the ten escape sequences (XEP-0106 business
 * rules; other backslashes are left alone, e.g. "foo\bar").
 */
const TO_ESCAPE = /[ "&'/:<>@]|\\(?=20|22|26|27|2f|3a|3c|3e|40|5c)/g;
/** Escape sequences; case is significant, so only lowercase hex matches. */
const SEQUENCE = /\\(20|22|26|27|2f|3a|3c|3e|40|5c)/g;

/**
 * Escapes a would-be localpart. Throws JIDError ('bad-localpart') when it
 * begins or ends with a space, since "\20" may not start or end a localpart.
 */
export function escapeLocal(s: string): string {
  if (s.startsWith(' ') || s.endsWith(' ')) {
    throw new JIDError('bad-localpart', 'a localpart to escape must not begin or end with a space');
  }
  return s.replace(TO_ESCAPE, (ch) => ESCAPES[ch] ?? ch);
}

/** Replaces the XEP-0106 escape sequences in a localpart by the characters they stand for. */
export function unescapeLocal(s: string): string {
  return s.replace(SEQUENCE, (_sequence, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
