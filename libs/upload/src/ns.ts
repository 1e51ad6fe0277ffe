/**
 * XEP-0363: HTTP File Upload (https://xmpp.org/extensions/xep-0363.html),
 * version 1.1.0.
 */
export const NS_HTTP_UPLOAD = 'urn:xmpp:http:upload:0';

/** The PUT headers a slot may carry (XEP-0363 section 4: others are ignored by clients). */
export const SLOT_HEADERS = ['Authorization', 'Cookie', 'Expires'] as const;
