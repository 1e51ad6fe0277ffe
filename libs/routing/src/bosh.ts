/**
 * XEP-0124/0206 (BOSH) requests forwarded between gateways. A BOSH session
 * lives on the gateway that created it, whose id its `sid` carries; a
 * request that reaches another gateway (no sticky load balancing) is sent to
 * the owner as a bus request on `_INBOX.parley.bosh.<gatewayId>` and the
 * owner's answer (possibly held for the session's `wait`) is the reply.
 *
 * An `_INBOX` subject, like the liveness subjects of @parley/cluster: every
 * Parley NATS user may use them, and no JetStream stream captures them
 * (`xmpp.gw.>` is durable, and a stream would answer the request itself).
 */
import type { MessageFamily } from './catalogue.js';
import { bool, fields, str } from './schema.js';

/** A request to the owner of a BOSH session: the HTTP body as received. */
export interface BoshForward {
  t: 'bosh-request';
  /** The `<body/>` element, as the client sent it. */
  body: string;
  /** The client's address, for logs. */
  ip: string;
  /** The request reached the forwarding gateway over TLS (or a trusted TLS-terminating proxy). */
  secure: boolean;
}

/** The owner's answer: the `<body/>` to send back as the HTTP response. */
export interface BoshForwardReply {
  ok: true;
  body: string;
}

export const BOSH_PREFIX = '_INBOX.parley.bosh';

/** The subject on which gateway `gatewayId` takes requests for its BOSH sessions. */
export function boshSubject(gatewayId: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(gatewayId)) throw new Error(`invalid gateway id: ${gatewayId}`);
  return `${BOSH_PREFIX}.${gatewayId}`;
}

/** `_INBOX.parley.bosh.<gatewayId>`: the gateway owning the BOSH sessions of that id (bus request). */
export const BOSH_MESSAGES: MessageFamily<BoshForward> = {
  name: 'bosh',
  schemas: {
    'bosh-request': fields({ body: str, ip: str, secure: bool }),
  },
};
