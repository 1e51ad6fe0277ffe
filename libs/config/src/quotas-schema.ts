/**
 * The `quotas` section (quotas-types.ts): per-account limits with defaults
 * that ordinary users never reach, refused with the error each
 * specification prescribes (docs/security.md, "Per-account limits and
 * quotas").
 */
import { int } from './schema.js';
import type { QuotasConfig } from './quotas-types.js';
import type { SchemaFor } from './types.js';

export const quotasSchema: SchemaFor<QuotasConfig> = {
  maxResourcesPerAccount: int({
    min: 0,
    max: 10_000,
    default: 10,
    doc: "Concurrent sessions (resources) one account may have, counted cluster-wide by the session registry that owns the account. At the limit a new resource binding is refused with <resource-constraint/> (RFC 6120 7.6.2.1; with Bind2 the SASL2 success names the bare JID and a later bind gets the error), after first ending the account's oldest session that waits for a stream-management resumption without a connection. Rebinding a resource the account already has (a reconnect, Bind2's stable resource) and resuming a session (XEP-0198) never count twice. 0 = unlimited.",
  }),
  rosterMaxItems: int({
    min: 0,
    max: 1_000_000,
    default: 1000,
    doc: 'Roster items one account may have, counting contacts and pending inbound subscription requests. Beyond it a roster set that adds an item is refused with <not-allowed/>, and so is an outbound subscription or pre-approval for a new contact; a subscription request from a new contact is answered with a presence error. Changing or removing existing items always works. 0 = unlimited.',
  }),
  privateXmlBytes: int({
    min: 0,
    max: 1_073_741_824,
    default: 1_048_576,
    doc: 'Bytes of XEP-0049 private XML one account may store (elements stored in PEP, such as bookmarks, do not count). A store beyond it is refused with <resource-constraint/>. 0 = unlimited.',
  }),
  pepMaxNodes: int({
    min: 0,
    max: 1_000_000,
    default: 100,
    doc: "PEP (XEP-0163) nodes one account may have. Creating one more, explicitly or by publishing to a new node, is refused with <policy-violation/> and <max-nodes-exceeded xmlns='http://jabber.org/protocol/pubsub#errors'/>. Items per node: pubsub.maxItems; item size: pubsub.maxPayloadBytes. 0 = unlimited.",
  }),
  vcardMaxBytes: int({
    min: 1024,
    max: 67_108_864,
    default: 262_144,
    doc: 'Largest vcard-temp (XEP-0054) vCard accepted, in bytes of serialized XML; a larger one is refused with <not-acceptable/>. vCard4 (XEP-0292) is a PEP item: pubsub.maxPayloadBytes.',
  }),
  archiveMaxMessages: int({
    min: 0,
    max: 1_000_000_000,
    default: 1_000_000,
    doc: "Messages kept in one account's message archive (XEP-0313). Beyond it the oldest are deleted (checked every 1% of the limit per account), never the new one and never the delivery. The default is years of heavy personal use and bounds what a flood can store in one archive (about 500 MB); lower it only knowing that users lose their oldest history silently. 0 = unlimited.",
  }),
};
