/** SASL failures (RFC 6120 section 6.5). */
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { NS_SASL, NS_SASL2 } from './ns.js';

/** Every defined SASL failure condition (RFC 6120 6.5). */
export const SASL_FAILURE_CONDITIONS = [
  'aborted',
  'account-disabled',
  'credentials-expired',
  'encryption-required',
  'incorrect-encoding',
  'invalid-authzid',
  'invalid-mechanism',
  'malformed-request',
  'mechanism-too-weak',
  'not-authorized',
  'temporary-auth-failure',
] as const;

export type SaslFailureCondition = (typeof SASL_FAILURE_CONDITIONS)[number];

const conditionSet: ReadonlySet<string> = new Set(SASL_FAILURE_CONDITIONS);

export function isSaslFailureCondition(name: string): name is SaslFailureCondition {
  return conditionSet.has(name);
}

/**
 * Builds `<failure xmlns=NS_SASL><condition/>[<text xml:lang>]</failure>`.
 * Child elements inherit the SASL namespace.
 */
export function saslFailure(
  condition: SaslFailureCondition,
  text?: string,
  lang?: string,
): Element {
  return xml(
    'failure',
    { xmlns: NS_SASL },
    xml(condition),
    text !== undefined && xml('text', { 'xml:lang': lang }, text),
  );
}

/**
 * A XEP-0388 (SASL2) failure: the same RFC 6120 condition, in the SASL
 * namespace, inside <failure xmlns='urn:xmpp:sasl:2'/>, with an optional text.
 */
export function sasl2Failure(condition: SaslFailureCondition, text?: string): Element {
  return xml(
    'failure',
    { xmlns: NS_SASL2 },
    xml(condition, { xmlns: NS_SASL }),
    text !== undefined && xml('text', null, text),
  );
}

export interface SaslFailure {
  condition: SaslFailureCondition;
  text?: string;
  lang?: string;
}

/**
 * Reads a received `<failure xmlns=NS_SASL>`; undefined for any other
 * element. An unknown or missing condition is read as `not-authorized`, the
 * generic authentication failure.
 */
export function parseSaslFailure(el: Element): SaslFailure | undefined {
  if (!el.is('failure', NS_SASL)) return undefined;
  let condition: SaslFailureCondition | undefined;
  const result: Omit<SaslFailure, 'condition'> = {};
  for (const child of el.getChildElements()) {
    if (child.getNS() !== NS_SASL) continue;
    if (child.localName === 'text') {
      result.text = child.text();
      const lang = child.attr('xml:lang');
      if (lang !== undefined) result.lang = lang;
    } else if (condition === undefined && isSaslFailureCondition(child.localName)) {
      condition = child.localName;
    }
  }
  return { condition: condition ?? 'not-authorized', ...result };
}
