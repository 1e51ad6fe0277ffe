/** XML namespaces used across the server. */

// RFC 6120 core
export const NS_CLIENT = 'jabber:client';
export const NS_SERVER = 'jabber:server';
export const NS_STREAM = 'http://etherx.jabber.org/streams';
export const NS_STREAMS = 'urn:ietf:params:xml:ns:xmpp-streams';
export const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
export const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
/** XEP-0388 Extensible SASL Profile (SASL2). */
export const NS_SASL2 = 'urn:xmpp:sasl:2';
/** XEP-0386 Bind 2. */
export const NS_BIND2 = 'urn:xmpp:bind:0';
/** XEP-0484 Fast Authentication Streamlining Tokens. */
export const NS_FAST = 'urn:xmpp:fast:0';
export const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';
export const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind';
/** RFC 3921 session establishment (still advertised as optional for old clients). */
export const NS_SESSION = 'urn:ietf:params:xml:ns:xmpp-session';
/** RFC 7395 WebSocket framing. */
export const NS_FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';

// RFC 6121 roster
export const NS_ROSTER = 'jabber:iq:roster';
export const NS_ROSTERVER = 'urn:xmpp:features:rosterver';
/** RFC 6121 3.4: the server supports subscription pre-approval. */
export const NS_PRE_APPROVAL = 'urn:xmpp:features:pre-approval';

// XEPs
/** XEP-0030 */
export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
/** XEP-0030 */
export const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
/** XEP-0199 */
export const NS_PING = 'urn:xmpp:ping';
/** XEP-0092 */
export const NS_VERSION = 'jabber:iq:version';
/** XEP-0012 */
export const NS_LAST = 'jabber:iq:last';
/** XEP-0202 */
export const NS_TIME = 'urn:xmpp:time';
/** XEP-0077 */
export const NS_REGISTER = 'jabber:iq:register';
/** XEP-0077 stream feature */
export const NS_REGISTER_FEATURE = 'http://jabber.org/features/iq-register';
/** XEP-0203 */
export const NS_DELAY = 'urn:xmpp:delay';
/** XEP-0004 */
export const NS_DATA_FORMS = 'jabber:x:data';
/** XEP-0198 */
export const NS_SM = 'urn:xmpp:sm:3';
/** XEP-0280 */
export const NS_CARBONS = 'urn:xmpp:carbons:2';
/** XEP-0297 */
export const NS_FORWARD = 'urn:xmpp:forward:0';
/** XEP-0191 */
export const NS_BLOCKING = 'urn:xmpp:blocking';
/** XEP-0352 */
export const NS_CSI = 'urn:xmpp:csi:0';
/** XEP-0115 */
export const NS_CAPS = 'http://jabber.org/protocol/caps';
/** XEP-0160 disco feature for offline message storage. */
export const NS_OFFLINE = 'msgoffline';
