/**
 * The schema of every bus message type, grouped by who consumes them (a
 * family: one subject family, one switch). `decodeBusMessage` in
 * protocol.ts checks a message against its family before a consumer acts
 * on it. Keep these in step with the types in envelope.ts, admin.ts and
 * muc.ts, and with the catalogue in the README.
 */
import type { AdminQuery, AdminRequest } from './admin.js';
import type { Envelope, GatewayMessage, RegistryMessage } from './envelope.js';
import type { S2sMessage } from './federation.js';
import type { MucMessage } from './muc.js';
import type { Check } from './schema.js';
import { bool, fields, int, listOf, num, oneOf, opt, str } from './schema.js';

/** The messages one kind of consumer reads, by their `t`. */
export interface MessageFamily<M> {
  /** Metric and log label: `registry`, `gateway`, `muc`, `admin-query`, `admin-relay`. */
  readonly name: string;
  readonly schemas: Readonly<Record<string, Check>>;
  /** For a family whose messages have no `t` (the admin relay carries bare envelopes): their type name. */
  readonly fixedType?: string;
  /** Phantom: the decoded type. */
  readonly _type?: M;
}

export const envelopeSchema: Check = fields({
  stage: oneOf(['out', 'in']),
  kind: oneOf(['message', 'presence', 'iq']),
  type: str,
  id: opt(str),
  from: str,
  to: str,
  xml: str,
  gw: opt(str),
  conn: opt(str),
  ts: opt(num),
  tp: opt(str),
  did: opt(str),
});

const stanza = fields({ env: envelopeSchema });

/** `xmpp.r.<partition>.<jidToken>`: the session registry (and the admin API's per-account requests). */
export const REGISTRY_MESSAGES: MessageFamily<RegistryMessage | AdminRequest> = {
  name: 'registry',
  schemas: {
    stanza,
    bind: fields({ jid: str, resource: opt(str), gw: str, conn: str, takeover: opt(str) }),
    unbind: fields({ jid: str, gw: str, conn: str }),
    bounce: fields({ to: str, conn: opt(str), env: envelopeSchema, drained: opt(bool) }),
    'gateway-down': fields({ gw: str, partition: int, resumableToo: opt(bool) }),
    'account-removed': fields({ jid: str }),
    'session-resumable': fields({ jid: str, conn: str }),
    'session-detached': fields({ jid: str, conn: str }),
    'session-sync': fields({
      gw: str,
      sessions: listOf(
        fields({
          jid: str,
          conn: str,
          available: opt(bool),
          priority: opt(num),
          presence: opt(str),
          interested: opt(bool),
          resumable: opt(bool),
          boundAt: opt(num),
        }),
      ),
    }),
    'fence-done': fields({ jid: str, conn: str, id: str }),
    'server-info': fields({ domain: str }),
    'admin-sessions': fields({ jid: str }),
    'admin-kick': fields({ jid: str, resource: opt(str), text: opt(str) }),
    'admin-iq': fields({ jid: str, xml: str }),
    'admin-subscription': fields({
      jid: str,
      contact: str,
      subscription: oneOf(['none', 'to', 'from', 'both']),
      name: opt(str),
      groups: opt(listOf(str)),
    }),
  },
};

/** `xmpp.gw.<gatewayId>`: one gateway (or the registry worker draining a dead one). */
export const GATEWAY_MESSAGES: MessageFamily<GatewayMessage> = {
  name: 'gateway',
  schemas: {
    deliver: fields({ conn: str, env: envelopeSchema, jid: opt(str) }),
    kick: fields({
      conn: str,
      condition: oneOf([
        'conflict',
        'policy-violation',
        'not-authorized',
        'system-shutdown',
        'reset',
      ]),
      text: opt(str),
    }),
    'sm-takeover': fields({ conn: str, id: str }),
    fence: fields({ conn: str, jid: str, id: str }),
  },
};

/** `xmpp.muc.<partition>.<jidToken>`: the MUC worker owning the partition. */
export const MUC_MESSAGES: MessageFamily<MucMessage> = {
  name: 'muc',
  schemas: { stanza },
};

/** `xmpp.s2s.<partition>.<domainToken>`: the S2S worker owning the partition (a remote domain or component). */
export const S2S_MESSAGES: MessageFamily<S2sMessage> = {
  name: 's2s',
  schemas: { stanza },
};

/** `xmpp.comp.<domainToken>`: the node holding a component's connection (bus request). */
export const COMPONENT_MESSAGES: MessageFamily<S2sMessage> = {
  name: 'component',
  schemas: { stanza },
};

/** `xmpp.admin.registry`: the admin API's fan-out queries, read by every registry worker. */
export const ADMIN_QUERIES: MessageFamily<AdminQuery> = {
  name: 'admin-query',
  schemas: {
    stats: fields({ replyTo: str }),
    sessions: fields({
      replyTo: str,
      domain: opt(str),
      after: opt(str),
      limit: int,
    }),
  },
};

/** `xmpp.admin.relay.<instance>`: stanzas relayed to one admin API instance (a bare envelope). */
export const ADMIN_RELAY: MessageFamily<Envelope> = {
  name: 'admin-relay',
  fixedType: 'envelope',
  schemas: { envelope: envelopeSchema },
};
