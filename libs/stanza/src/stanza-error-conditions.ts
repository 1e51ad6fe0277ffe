/** One constructor function per stanza error condition (RFC 6120 8.3.3). */
import { StanzaError } from './stanza-errors.js';
import type { StanzaErrorCondition, StanzaErrorOptions } from './stanza-errors.js';

/** Options besides the text, which each constructor takes first. */
export type StanzaErrorInit = Omit<StanzaErrorOptions, 'text' | 'uri'>;

export type StanzaErrorFactory = (text?: string, opts?: StanzaErrorInit) => StanzaError;

function factory(condition: StanzaErrorCondition): StanzaErrorFactory {
  return (text, opts) => new StanzaError(condition, { ...opts, text });
}

export const badRequest = factory('bad-request');
export const conflict = factory('conflict');
export const featureNotImplemented = factory('feature-not-implemented');
export const forbidden = factory('forbidden');
export const internalServerError = factory('internal-server-error');
export const itemNotFound = factory('item-not-found');
export const jidMalformed = factory('jid-malformed');
export const notAcceptable = factory('not-acceptable');
export const notAllowed = factory('not-allowed');
export const notAuthorized = factory('not-authorized');
export const policyViolation = factory('policy-violation');
export const recipientUnavailable = factory('recipient-unavailable');
export const registrationRequired = factory('registration-required');
export const remoteServerNotFound = factory('remote-server-not-found');
export const remoteServerTimeout = factory('remote-server-timeout');
export const resourceConstraint = factory('resource-constraint');
export const serviceUnavailable = factory('service-unavailable');
export const subscriptionRequired = factory('subscription-required');
export const undefinedCondition = factory('undefined-condition');
export const unexpectedRequest = factory('unexpected-request');

/** `gone`: the entity is permanently unreachable here; `uri` is its new address, if known. */
export function gone(uri?: string, text?: string, opts?: StanzaErrorInit): StanzaError {
  return new StanzaError('gone', { ...opts, text, uri });
}

/** `redirect`: temporarily served elsewhere; `uri` is the alternate address. */
export function redirect(uri?: string, text?: string, opts?: StanzaErrorInit): StanzaError {
  return new StanzaError('redirect', { ...opts, text, uri });
}
