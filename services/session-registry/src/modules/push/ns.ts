/**
 * XEP-0357: Push Notifications (https://xmpp.org/extensions/xep-0357.html)
 * and what its app servers speak: XEP-0060 publish with publish-options,
 * XEP-0050 ad-hoc commands (Conversations' app server "p2" protocol).
 */
export const NS_PUSH = 'urn:xmpp:push:0';
export const NS_PUSH_SUMMARY = 'urn:xmpp:push:summary';
export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
export const NS_PUBLISH_OPTIONS = 'http://jabber.org/protocol/pubsub#publish-options';
export const NS_COMMANDS = 'http://jabber.org/protocol/commands';
export const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
/** OMEMO (legacy and current) and Jingle Message Initiation: messages worth a push without a body. */
export const NS_OMEMO_LEGACY = 'eu.siacs.conversations.axolotl';
export const NS_OMEMO = 'urn:xmpp:omemo:2';
export const NS_JINGLE_MESSAGE = 'urn:xmpp:jingle-message:0';
