/** Namespace of `<stream:stream>` and other stream-level elements (RFC 6120 section 4.8.1). */
export const STREAM_NS = 'http://etherx.jabber.org/streams';
/** Namespace of the RFC 7395 WebSocket `<open/>` and `<close/>` framing elements. */
export const FRAMING_NS = 'urn:ietf:params:xml:ns:xmpp-framing';
/** The namespace bound to the reserved `xml` prefix. */
export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
