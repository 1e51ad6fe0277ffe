/** Stream errors (RFC 6120 section 4.9). */
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { readErrorChildren } from './error-children.js';
import { NS_STREAM, NS_STREAMS } from './ns.js';

/** Every defined stream error condition (RFC 6120 4.9.3). */
export const STREAM_ERROR_CONDITIONS = [
  'bad-format',
  'bad-namespace-prefix',
  'conflict',
  'connection-timeout',
  'host-gone',
  'host-unknown',
  'improper-addressing',
  'internal-server-error',
  'invalid-from',
  'invalid-namespace',
  'invalid-xml',
  'not-authorized',
  'not-well-formed',
  'policy-violation',
  'remote-connection-failed',
  'reset',
  'resource-constraint',
  'restricted-xml',
  'see-other-host',
  'system-shutdown',
  'undefined-condition',
  'unsupported-encoding',
  'unsupported-feature',
  'unsupported-stanza-type',
  'unsupported-version',
] as const;

export type StreamErrorCondition = (typeof STREAM_ERROR_CONDITIONS)[number];

const conditionSet: ReadonlySet<string> = new Set(STREAM_ERROR_CONDITIONS);

export function isStreamErrorCondition(name: string): name is StreamErrorCondition {
  return conditionSet.has(name);
}

export interface StreamErrorOptions {
  /** Human-readable description, sent in `<text/>`. */
  text?: string;
  /** `xml:lang` of the text. */
  lang?: string;
  /**
   * Alternate host for `see-other-host` (RFC 6120 4.9.3.19): a domain name,
   * IPv4 address or bracketed IPv6 address, optionally with `:port`.
   * Required for that condition, ignored for every other.
   */
  seeOtherHost?: string;
  /** Application-specific condition element (RFC 6120 4.9.4). */
  appCondition?: Element;
}

/**
 * Builds `<stream:error>` with the condition, optional text and optional
 * application-specific condition, in the order RFC 6120 4.9.2 requires.
 *
 * The `stream` prefix is declared on the element itself so that it is
 * well-formed on its own (each WebSocket frame must be, RFC 7395); on a TCP
 * stream the redundant declaration is harmless.
 */
export function streamError(
  condition: StreamErrorCondition,
  opts: StreamErrorOptions = {},
): Element {
  let hostText: string | undefined;
  if (condition === 'see-other-host') {
    if (!opts.seeOtherHost) throw new TypeError('see-other-host stream error needs seeOtherHost');
    hostText = opts.seeOtherHost;
  }
  return xml(
    'stream:error',
    { 'xmlns:stream': NS_STREAM },
    xml(condition, { xmlns: NS_STREAMS }, hostText),
    opts.text !== undefined && xml('text', { xmlns: NS_STREAMS, 'xml:lang': opts.lang }, opts.text),
    opts.appCondition?.clone(),
  );
}

/** A stream error as an exception: throw it, then send `toElement()` and close the stream. */
export class StreamError extends Error {
  readonly condition: StreamErrorCondition;
  readonly text?: string;
  readonly lang?: string;
  readonly seeOtherHost?: string;
  readonly appCondition?: Element;

  constructor(condition: StreamErrorCondition, opts: StreamErrorOptions = {}) {
    super(opts.text ? `${condition}: ${opts.text}` : condition);
    this.name = 'StreamError';
    this.condition = condition;
    this.text = opts.text;
    this.lang = opts.lang;
    this.seeOtherHost = opts.seeOtherHost;
    this.appCondition = opts.appCondition;
  }

  toElement(): Element {
    return streamError(this.condition, {
      text: this.text,
      lang: this.lang,
      seeOtherHost: this.seeOtherHost,
      appCondition: this.appCondition,
    });
  }
}

/**
 * Reads a received `<stream:error>` element. Returns undefined for any other
 * element. An unknown condition is treated as `undefined-condition`
 * (RFC 6120 4.9.3).
 */
export function parseStreamError(el: Element): StreamError | undefined {
  if (el.localName !== 'error') return undefined;
  const ns = el.getNS();
  // A stream child detached from its header may have lost the prefix binding.
  if (ns !== NS_STREAM && !(ns === undefined && el.name === 'stream:error')) return undefined;
  const { condition: conditionEl, text, lang, appCondition } = readErrorChildren(el, NS_STREAMS);
  let condition: StreamErrorCondition =
    conditionEl && isStreamErrorCondition(conditionEl.localName)
      ? conditionEl.localName
      : 'undefined-condition';
  const seeOtherHost = condition === 'see-other-host' ? conditionEl?.text().trim() : undefined;
  if (condition === 'see-other-host' && !seeOtherHost) condition = 'undefined-condition';
  return new StreamError(condition, { text, lang, seeOtherHost, appCondition });
}
