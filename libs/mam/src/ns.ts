/** Namespaces of XEP-0313 and the specifications it builds on. */

/** XEP-0313 Message Archive Management. */
export const NS_MAM = 'urn:xmpp:mam:2';
/** XEP-0313: before-id/after-id/ids, flipped pages and archive metadata are supported. */
export const NS_MAM_EXTENDED = 'urn:xmpp:mam:2#extended';
/** XEP-0059 Result Set Management. */
export const NS_RSM = 'http://jabber.org/protocol/rsm';
/** XEP-0359 Unique and Stable Stanza IDs. */
export const NS_SID = 'urn:xmpp:sid:0';
/** XEP-0334 Message Processing Hints. */
export const NS_HINTS = 'urn:xmpp:hints';
/** XEP-0297 Stanza Forwarding. */
export const NS_FORWARD = 'urn:xmpp:forward:0';
/** XEP-0203 Delayed Delivery. */
export const NS_DELAY = 'urn:xmpp:delay';
/** XEP-0004 Data Forms. */
export const NS_DATA_FORMS = 'jabber:x:data';
/** XEP-0122 Data Forms Validation. */
export const NS_XDATA_VALIDATE = 'http://jabber.org/protocol/xdata-validate';
/** RFC 6120 client namespace (forwarded messages carry it explicitly). */
export const NS_CLIENT = 'jabber:client';
