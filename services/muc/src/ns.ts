/** Namespaces and disco features of the MUC service. */

export const NS_MUC = 'http://jabber.org/protocol/muc';
export const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
export const NS_MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';
export const NS_MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
export const NS_MUC_UNIQUE = 'http://jabber.org/protocol/muc#unique';
export const NS_MUC_REQUEST = 'http://jabber.org/protocol/muc#request';
export const NS_MUC_ROOMCONFIG = 'http://jabber.org/protocol/muc#roomconfig';
export const NS_MUC_ROOMINFO = 'http://jabber.org/protocol/muc#roominfo';
/** XEP-0045 1.31: groupchat messages keep the id the sender gave them. */
export const NS_MUC_STABLE_ID = 'http://jabber.org/protocol/muc#stable_id';
/** XEP-0410: the service answers an occupant's ping to its own occupant JID. */
export const NS_MUC_SELF_PING = 'http://jabber.org/protocol/muc#self-ping-optimization';
/** XEP-0421 */
export const NS_OCCUPANT_ID = 'urn:xmpp:occupant-id:0';
/** XEP-0359 */
export const NS_SID = 'urn:xmpp:sid:0';
/** XEP-0313 */
export const NS_MAM = 'urn:xmpp:mam:2';
/** XEP-0054 */
export const NS_VCARD = 'vcard-temp';
/** XEP-0153 */
export const NS_VCARD_UPDATE = 'vcard-temp:x:update';
/** XEP-0059 */
export const NS_RSM = 'http://jabber.org/protocol/rsm';
/** XEP-0334 */
export const NS_HINTS = 'urn:xmpp:hints';
/** XEP-0085 */
export const NS_CHATSTATES = 'http://jabber.org/protocol/chatstates';
/** XEP-0249 */
export const NS_CONFERENCE = 'jabber:x:conference';

/** Disco node for discovering one's reserved nickname (XEP-0045 7.12). */
export const NODE_ROOMUSER_ITEM = 'x-roomuser-item';
