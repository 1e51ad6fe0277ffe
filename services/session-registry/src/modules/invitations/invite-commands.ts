/**
 * XEP-0401 Easy User Onboarding over XEP-0050 ad-hoc commands on the
 * server's domain:
 * - `urn:xmpp:invite#invite` (every local user): a contact invitation
 *   `xmpp:user@domain?roster;preauth=TOKEN`, whose token pre-approves a
 *   mutual subscription with the inviter and, for the users
 *   registration.invitations allows (`userInvites`, `admins`), registers
 *   one account (`ibr=y`);
 * - `urn:xmpp:invite#create-account` (registration.invitations.admins): an
 *   account invitation `xmpp:[name@]domain?register;preauth=TOKEN`, with a
 *   form for the username and whether to subscribe to the admin.
 * Both answer with the urn:xmpp:invite#invitation form (uri, landing-url,
 * expire). Tokens are single-use, expire after registration.invitations.ttlMs
 * and live in the shared store; the gateways redeem them (XEP-0445).
 */
import type { JID } from '@parley/jid';
import { normalizeLocalpart } from '@parley/jid';
import {
  FORM_INVITATION,
  NODE_CREATE_ACCOUNT,
  NODE_INVITE,
  StanzaError,
  badRequest,
  buildForm,
  findForm,
  forbidden,
  invitationUri,
  itemNotFound,
  newInvitationToken,
  parseBoolean,
} from '@parley/stanza';
import type { Invitation } from '@parley/store';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { DISCO } from '../discovery/disco.js';
import type { ModuleContext, ServerModule } from '../types.js';

export const NS_COMMANDS = 'http://jabber.org/protocol/commands';
const NS_DATA_FORMS = 'jabber:x:data';

const NAMES: Record<string, string> = {
  [NODE_INVITE]: 'Invite user',
  [NODE_CREATE_ACCOUNT]: 'Create account',
};

export const inviteCommandsModule: ServerModule = {
  name: 'invite-commands',
  configSections: ['registration.invitations'],
  requires: ['disco'],
  xeps: [
    {
      xep: '0050',
      title: 'Ad-Hoc Commands',
      version: '1.3.0',
      note: 'the server’s commands: XEP-0401 invitations only',
    },
    {
      xep: '0401',
      title: 'Ad-hoc Account Invitation Generation',
      version: '0.6.0',
      note: 'invite and create-account commands; redeemed by XEP-0445 registration',
    },
  ],
  register(ctx) {
    const cfg = ctx.config.registration.invitations;
    const isAdmin = (from: JID) => cfg.admins.includes(from.toBareString());
    const local = (from: JID, domain: string) => from.local !== '' && from.domain === domain;
    const allowed = (node: string, from: JID, domain: string) =>
      node === NODE_INVITE ? local(from, domain) : node === NODE_CREATE_ACCOUNT && isAdmin(from);

    ctx.feature(NS_COMMANDS, 'server');
    ctx.use(DISCO).addServerNodes({
      async items(domain, node, from) {
        if (node !== NS_COMMANDS) return undefined;
        return [NODE_INVITE, NODE_CREATE_ACCOUNT]
          .filter((n) => allowed(n, from, domain))
          .map((n) => xml('item', { jid: domain, node: n, name: NAMES[n] }));
      },
      async info(domain, node, from) {
        if (NAMES[node] === undefined) return undefined;
        if (!allowed(node, from, domain)) throw forbidden();
        return [
          xml('identity', { category: 'automation', type: 'command-node', name: NAMES[node] }),
          xml('feature', { var: NS_COMMANDS }),
          xml('feature', { var: NS_DATA_FORMS }),
        ];
      },
    });

    ctx.serverIq('set', NS_COMMANDS, async ({ payload, from, to }) => {
      const node = payload.attr('node') ?? '';
      if (NAMES[node] === undefined) throw itemNotFound();
      if (!allowed(node, from, to.domain)) throw forbidden('you may not run this command');
      const sessionid = payload.attr('sessionid') ?? newInvitationToken().slice(0, 16);
      const action = payload.attr('action') ?? 'execute';
      if (action === 'cancel')
        return xml('command', { xmlns: NS_COMMANDS, node, sessionid, status: 'canceled' });
      if (action !== 'execute' && action !== 'complete')
        throw new StanzaError('bad-request', { text: `action ${action} is not offered` });
      if (node === NODE_INVITE) {
        const register = cfg.userInvites || isAdmin(from);
        const inv = await create(ctx, {
          domain: to.domain,
          inviter: from.toBareString(),
          register,
          subscribe: true,
        });
        return completed(ctx, node, sessionid, inv);
      }
      // create-account: a form first, unless one is submitted.
      const form = findForm(payload);
      if (form === undefined || form.type !== 'submit')
        return xml(
          'command',
          { xmlns: NS_COMMANDS, node, sessionid, status: 'executing' },
          xml('actions', { execute: 'complete' }, xml('complete')),
          buildForm('form', FORM_INVITATION, [
            {
              var: 'username',
              type: 'text-single',
              label: 'Username (empty: the invitee chooses)',
            },
            {
              var: 'roster-subscription',
              type: 'boolean',
              label: 'Subscribe to me',
              values: ['0'],
            },
          ]),
        );
      const name = form.fields.get('username')?.[0]?.trim() ?? '';
      let username: string | undefined;
      if (name !== '') {
        try {
          username = normalizeLocalpart(name);
        } catch {
          throw badRequest('the username is not a valid JID localpart');
        }
        if (await ctx.stores.accounts.get(`${username}@${to.domain}`))
          throw new StanzaError('conflict', { text: 'that account exists already' });
      }
      const subscribe = parseBoolean(form.fields.get('roster-subscription')?.[0]) === true;
      const inv = await create(ctx, {
        domain: to.domain,
        ...(subscribe ? { inviter: from.toBareString() } : {}),
        ...(username !== undefined ? { username } : {}),
        register: true,
        subscribe,
      });
      return completed(ctx, node, sessionid, inv);
    });
  },
};

async function create(
  ctx: ModuleContext,
  fields: Pick<Invitation, 'domain' | 'inviter' | 'username' | 'register' | 'subscribe'>,
): Promise<Invitation> {
  const now = Date.now();
  const inv: Invitation = {
    token: newInvitationToken(),
    ...fields,
    createdAt: now,
    expiresAt: now + ctx.config.registration.invitations.ttlMs,
  };
  for (const k of ['inviter', 'username'] as const) if (inv[k] === undefined) delete inv[k];
  if (!(await ctx.stores.invitations.create(inv)))
    throw new StanzaError('conflict', { text: 'that username is reserved by another invitation' });
  ctx.logger.info('invitation created', {
    domain: inv.domain,
    inviter: inv.inviter,
    username: inv.username,
    register: inv.register,
  });
  return inv;
}

function completed(ctx: ModuleContext, node: string, sessionid: string, inv: Invitation): Element {
  const landing = ctx.config.registration.invitations.landingUrl;
  return xml(
    'command',
    { xmlns: NS_COMMANDS, node, sessionid, status: 'completed' },
    buildForm('result', FORM_INVITATION, [
      { var: 'uri', type: 'text-single', values: [invitationUri(inv)] },
      ...(landing !== undefined
        ? [
            {
              var: 'landing-url',
              type: 'text-single' as const,
              values: [landing.replaceAll('{token}', encodeURIComponent(inv.token))],
            },
          ]
        : []),
      { var: 'expire', type: 'text-single', values: [new Date(inv.expiresAt).toISOString()] },
    ]),
  );
}
