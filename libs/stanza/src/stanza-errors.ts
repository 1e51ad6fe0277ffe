/** Stanza errors (RFC 6120 section 8.3). */
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { readErrorChildren } from './error-children.js';
import { NS_STANZAS } from './ns.js';

export type StanzaErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';

const errorTypes: ReadonlySet<string> = new Set(['auth', 'cancel', 'continue', 'modify', 'wait']);

export function isStanzaErrorType(s: string): s is StanzaErrorType {
  return errorTypes.has(s);
}

/**
 * Default error type of every defined condition (RFC 6120 8.3.3).
 * Where the RFC allows a choice the first one it names is used:
 * feature-not-implemented (cancel or modify), policy-violation (modify or
 * wait), unexpected-request (wait or modify). undefined-condition may carry
 * any type; cancel is used.
 */
export const STANZA_ERROR_DEFAULT_TYPES = {
  'bad-request': 'modify',
  conflict: 'cancel',
  'feature-not-implemented': 'cancel',
  forbidden: 'auth',
  gone: 'cancel',
  'internal-server-error': 'cancel',
  'item-not-found': 'cancel',
  'jid-malformed': 'modify',
  'not-acceptable': 'modify',
  'not-allowed': 'cancel',
  'not-authorized': 'auth',
  'policy-violation': 'modify',
  'recipient-unavailable': 'wait',
  redirect: 'modify',
  'registration-required': 'auth',
  'remote-server-not-found': 'cancel',
  'remote-server-timeout': 'wait',
  'resource-constraint': 'wait',
  'service-unavailable': 'cancel',
  'subscription-required': 'auth',
  'undefined-condition': 'cancel',
  'unexpected-request': 'wait',
} as const satisfies Record<string, StanzaErrorType>;

export type StanzaErrorCondition = keyof typeof STANZA_ERROR_DEFAULT_TYPES;

export const STANZA_ERROR_CONDITIONS = Object.keys(
  STANZA_ERROR_DEFAULT_TYPES,
) as readonly StanzaErrorCondition[];

export function isStanzaErrorCondition(name: string): name is StanzaErrorCondition {
  return Object.hasOwn(STANZA_ERROR_DEFAULT_TYPES, name);
}

export function defaultErrorType(condition: StanzaErrorCondition): StanzaErrorType {
  return STANZA_ERROR_DEFAULT_TYPES[condition];
}

export interface StanzaErrorOptions {
  /** Overrides the condition's default type. */
  type?: StanzaErrorType;
  /** Human-readable description, sent in `<text/>`. */
  text?: string;
  /** `xml:lang` of the text. */
  lang?: string;
  /** JID of the entity that generated the error (`by` attribute). */
  by?: string;
  /** Application-specific condition element (RFC 6120 8.3.2). */
  appCondition?: Element;
  /**
   * New address for `gone`, alternate address for `redirect` (a URI, usually
   * an XMPP IRI); sent as the condition's character data. Ignored for other
   * conditions.
   */
  uri?: string;
}

/** A stanza error as an exception; `toElement()` gives the `<error/>` child. */
export class StanzaError extends Error {
  readonly condition: StanzaErrorCondition;
  readonly type: StanzaErrorType;
  readonly text?: string;
  readonly lang?: string;
  readonly by?: string;
  readonly appCondition?: Element;
  readonly uri?: string;

  constructor(condition: StanzaErrorCondition, opts: StanzaErrorOptions = {}) {
    super(opts.text ? `${condition}: ${opts.text}` : condition);
    this.name = 'StanzaError';
    this.condition = condition;
    this.type = opts.type ?? defaultErrorType(condition);
    this.text = opts.text;
    this.lang = opts.lang;
    this.by = opts.by;
    this.appCondition = opts.appCondition;
    if (condition === 'gone' || condition === 'redirect') this.uri = opts.uri;
  }

  /** `<error type by><condition xmlns=NS_STANZAS/>[<text/>][app condition]</error>` */
  toElement(): Element {
    return xml(
      'error',
      { type: this.type, by: this.by },
      xml(this.condition, { xmlns: NS_STANZAS }, this.uri),
      this.text !== undefined &&
        xml('text', { xmlns: NS_STANZAS, 'xml:lang': this.lang }, this.text),
      this.appCondition?.clone(),
    );
  }
}

/**
 * Reads the error of a received stanza. Accepts the `<error/>` element itself
 * or a stanza of type `error` holding it; returns undefined otherwise.
 * An unknown or missing condition is read as `undefined-condition` and a
 * missing or unknown type as the condition's default (RFC 6120 8.3.3).
 */
export function parseStanzaError(el: Element): StanzaError | undefined {
  let errorEl: Element | undefined;
  if (el.name === 'error') errorEl = el;
  else if (el.attr('type') === 'error') errorEl = el.getChild('error');
  if (!errorEl) return undefined;

  const {
    condition: conditionEl,
    text,
    lang,
    appCondition,
  } = readErrorChildren(errorEl, NS_STANZAS);
  const condition: StanzaErrorCondition =
    conditionEl && isStanzaErrorCondition(conditionEl.localName)
      ? conditionEl.localName
      : 'undefined-condition';
  const uri = conditionEl?.text().trim() || undefined;
  const rawType = errorEl.attr('type');
  return new StanzaError(condition, {
    type: rawType !== undefined && isStanzaErrorType(rawType) ? rawType : undefined,
    text,
    lang,
    by: errorEl.attr('by'),
    appCondition,
    uri,
  });
}
