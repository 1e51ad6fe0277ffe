/**
 * @parley/s2s: federation with other XMPP servers (RFC 6120 server-to-server
 * streams, XEP-0220 Server Dialback, SASL EXTERNAL with certificates) and
 * external components (XEP-0114). See README.md.
 */
export {};
