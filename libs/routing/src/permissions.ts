/**
 * The NATS subjects each kind of process publishes and subscribes to: the
 * least a NATS user of that service needs (docs/security.md, "NATS
 * permissions per service"). `_INBOX.>` carries request replies.
 */
export type ServiceName = 'gateway' | 'session-registry' | 'muc' | 'admin-api' | 's2s';

/** In nats-server's own shape (`permissions { publish { allow } subscribe { allow } }`). */
export interface ServicePermissions {
  publish: { allow: string[] };
  subscribe: { allow: string[] };
}

export const NATS_SERVICE_PERMISSIONS: Record<ServiceName, ServicePermissions> = {
  gateway: {
    publish: { allow: ['xmpp.r.>', 'xmpp.gw.>', '_INBOX.>'] },
    subscribe: { allow: ['xmpp.gw.>', '_INBOX.>'] },
  },
  'session-registry': {
    publish: {
      allow: [
        'xmpp.r.>',
        'xmpp.gw.>',
        'xmpp.muc.>',
        'xmpp.s2s.>',
        'xmpp.admin.relay.>',
        'xmpp.admin.reply.>',
        '_INBOX.>',
      ],
    },
    subscribe: { allow: ['xmpp.r.>', 'xmpp.gw.>', 'xmpp.admin.registry', '_INBOX.>'] },
  },
  muc: {
    publish: { allow: ['xmpp.r.>', 'xmpp.muc.>', 'xmpp.s2s.>', '_INBOX.>'] },
    subscribe: { allow: ['xmpp.muc.>', '_INBOX.>'] },
  },
  'admin-api': {
    publish: {
      allow: ['xmpp.r.>', 'xmpp.muc.>', 'xmpp.s2s.>', 'xmpp.admin.registry', '_INBOX.>'],
    },
    subscribe: { allow: ['xmpp.admin.relay.>', 'xmpp.admin.reply.>', '_INBOX.>'] },
  },
  // Remote servers' and components' stanzas go to any partition (users, rooms, components).
  s2s: {
    publish: { allow: ['xmpp.r.>', 'xmpp.muc.>', 'xmpp.s2s.>', 'xmpp.comp.>', '_INBOX.>'] },
    subscribe: { allow: ['xmpp.s2s.>', 'xmpp.comp.>', '_INBOX.>'] },
  },
};
