import { StanzaError } from '@parley/stanza';
import type { StanzaErrorCondition, StanzaErrorType } from '@parley/stanza';
import { xml } from '@parley/xml';
import { NS_PUBSUB_ERRORS } from './ns.js';

/** The pubsub-specific error conditions of XEP-0060 (namespace pubsub#errors). */
export type PubsubErrorCondition =
  | 'closed-node'
  | 'configuration-required'
  | 'invalid-jid'
  | 'invalid-options'
  | 'invalid-payload'
  | 'invalid-subid'
  | 'item-forbidden'
  | 'item-required'
  | 'jid-required'
  | 'max-items-exceeded'
  | 'max-nodes-exceeded'
  | 'nodeid-required'
  | 'not-in-roster-group'
  | 'not-subscribed'
  | 'payload-too-big'
  | 'payload-required'
  | 'pending-subscription'
  | 'precondition-not-met'
  | 'presence-subscription-required'
  | 'subid-required'
  | 'too-many-subscriptions'
  | 'unsupported'
  | 'unsupported-access-model';

/**
 * A stanza error carrying a pubsub-specific condition element, e.g.
 * `<bad-request/>` + `<nodeid-required xmlns='…pubsub#errors'/>`.
 */
export function pubsubError(
  condition: StanzaErrorCondition,
  pubsub?: PubsubErrorCondition,
  opts: { text?: string; feature?: string; type?: StanzaErrorType } = {},
): StanzaError {
  return new StanzaError(condition, {
    type: opts.type,
    text: opts.text,
    appCondition: pubsub
      ? xml(pubsub, { xmlns: NS_PUBSUB_ERRORS, feature: opts.feature })
      : undefined,
  });
}

/** `<feature-not-implemented/>` + `<unsupported feature='…'/>` (XEP-0060 section 10 feature names). */
export function unsupported(feature: string, text?: string): StanzaError {
  return pubsubError('feature-not-implemented', 'unsupported', { feature, text });
}

export const errors = {
  nodeidRequired: (condition: 'bad-request' | 'not-acceptable' = 'bad-request') =>
    pubsubError(condition, 'nodeid-required'),
  itemNotFound: (text?: string) => pubsubError('item-not-found', undefined, { text }),
  forbidden: (text?: string) => pubsubError('forbidden', undefined, { text }),
  conflict: (text?: string) => pubsubError('conflict', undefined, { text }),
  preconditionNotMet: (text?: string) => pubsubError('conflict', 'precondition-not-met', { text }),
  invalidJid: () => pubsubError('bad-request', 'invalid-jid'),
  jidRequired: () => pubsubError('bad-request', 'jid-required'),
  itemRequired: () => pubsubError('bad-request', 'item-required'),
  payloadRequired: () => pubsubError('bad-request', 'payload-required'),
  invalidPayload: (text?: string) => pubsubError('bad-request', 'invalid-payload', { text }),
  payloadTooBig: () => pubsubError('not-acceptable', 'payload-too-big'),
  maxNodesExceeded: (text?: string) =>
    pubsubError('policy-violation', 'max-nodes-exceeded', { text }),
  presenceSubscriptionRequired: () =>
    pubsubError('not-authorized', 'presence-subscription-required'),
  notInRosterGroup: () => pubsubError('not-authorized', 'not-in-roster-group'),
  closedNode: () => pubsubError('not-allowed', 'closed-node'),
  notSubscribedAuth: () => pubsubError('not-authorized', 'not-subscribed'),
  notSubscribed: () => pubsubError('unexpected-request', 'not-subscribed', { type: 'cancel' }),
  pendingSubscription: () => pubsubError('not-authorized', 'pending-subscription'),
  invalidSubid: () => pubsubError('not-acceptable', 'invalid-subid'),
  unsupportedAccessModel: () => pubsubError('not-acceptable', 'unsupported-access-model'),
  notAcceptable: (text?: string) => pubsubError('not-acceptable', undefined, { text }),
  badRequest: (text?: string) => pubsubError('bad-request', undefined, { text }),
  invalidOptions: (text?: string) => pubsubError('bad-request', 'invalid-options', { text }),
};
