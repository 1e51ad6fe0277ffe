/** Namespaces of XEP-0060 and the specifications built on it. */

export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
export const NS_PUBSUB_OWNER = 'http://jabber.org/protocol/pubsub#owner';
export const NS_PUBSUB_EVENT = 'http://jabber.org/protocol/pubsub#event';
export const NS_PUBSUB_ERRORS = 'http://jabber.org/protocol/pubsub#errors';
/** FORM_TYPE of node configuration forms. */
export const NS_NODE_CONFIG = 'http://jabber.org/protocol/pubsub#node_config';
/** FORM_TYPE of publish-options forms. */
export const NS_PUBLISH_OPTIONS = 'http://jabber.org/protocol/pubsub#publish-options';
/** FORM_TYPE of node meta-data (disco#info on a node). */
export const NS_META_DATA = 'http://jabber.org/protocol/pubsub#meta-data';
/** FORM_TYPE of subscription authorization requests (access model "authorize"). */
export const NS_SUBSCRIBE_AUTHORIZATION =
  'http://jabber.org/protocol/pubsub#subscribe_authorization';
/** XEP-0059 Result Set Management. */
export const NS_RSM = 'http://jabber.org/protocol/rsm';
/** XEP-0203 Delayed Delivery. */
export const NS_DELAY = 'urn:xmpp:delay';
/** XEP-0115 Entity Capabilities. */
export const NS_CAPS = 'http://jabber.org/protocol/caps';
export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
export const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';

/** `http://jabber.org/protocol/pubsub#<name>`: a disco feature of XEP-0060 section 10. */
export function pubsubFeature(name: string): string {
  return `${NS_PUBSUB}#${name}`;
}
