/**
 * Registration invitations (XEP-0401, XEP-0445, XEP-0379): made here or by
 * a user's ad-hoc command, redeemed by in-band registration
 * (registration.invitations; docs/registration.md).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { normalizeLocalpart } from '@parley/jid';
import { invitationUri, newInvitationToken } from '@parley/stanza';
import type { Invitation } from '@parley/store';
import { requireAccount } from '../accounts.js';
import { checkDomain, checkJid } from '../auth.js';
import type { ApiContext } from '../context.js';
import { accountJid } from '../jids.js';
import { badRequest, conflict, notFound } from '../problem.js';
import { BARE_JID, NO_CONTENT, obj, ok, problems } from '../schemas.js';

const TokenParams = obj({
  token: Type.String({ description: 'The invitation token', pattern: '^[A-Za-z0-9_-]{16,128}$' }),
});

const InvitationView = obj({
  token: Type.String({ description: 'The token: give it (or the uri) to the invitee only' }),
  uri: Type.String({ description: 'The xmpp: URI of the invitation (XEP-0401)' }),
  landingUrl: Type.Optional(Type.String({ description: 'registration.invitations.landingUrl' })),
  domain: Type.String(),
  inviter: Type.Optional(Type.String()),
  username: Type.Optional(Type.String()),
  register: Type.Boolean(),
  subscribe: Type.Boolean(),
  createdAt: Type.Integer({ description: 'ms since epoch' }),
  expiresAt: Type.Integer({ description: 'ms since epoch' }),
});

export function invitationsRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { config, stores } = ctx;
  const view = (inv: Invitation) => {
    const landing = config.registration.invitations.landingUrl;
    return {
      ...inv,
      uri: invitationUri(inv),
      ...(landing !== undefined
        ? { landingUrl: landing.replaceAll('{token}', encodeURIComponent(inv.token)) }
        : {}),
    };
  };
  return async (app) => {
    app.post(
      '/invitations',
      {
        schema: {
          operationId: 'createInvitation',
          summary: 'Create a single-use invitation to register an account (XEP-0401)',
          tags: ['users'],
          body: obj({
            domain: Type.Optional(
              Type.String({
                description:
                  'Domain to register on (default: the inviter’s, else the first served)',
                minLength: 1,
              }),
            ),
            inviter: Type.Optional({
              ...BARE_JID,
              description: 'A local account the new one is subscribed to (with subscribe)',
            }),
            username: Type.Optional(
              Type.String({
                description:
                  'The only username the invitee may register (reserved until it expires)',
                minLength: 1,
                maxLength: 1023,
              }),
            ),
            subscribe: Type.Optional(
              Type.Boolean({
                description:
                  'Subscribe inviter and invitee to each other (default: with an inviter)',
              }),
            ),
            ttlSeconds: Type.Optional(
              Type.Integer({
                description: 'Lifetime (default and maximum: registration.invitations.ttlMs)',
                minimum: 60,
              }),
            ),
          }),
          response: {
            201: ok('The invitation', InvitationView),
            ...problems('bad-request', 'not-found', 'conflict', 'domain-not-allowed'),
          },
        },
      },
      async (req, reply) => {
        const b = req.body;
        const inviter =
          b.inviter === undefined ? undefined : accountJid(config, b.inviter, 'inviter');
        if (inviter !== undefined) {
          checkJid(req, inviter);
          await requireAccount(stores, inviter);
        }
        const domain = (
          b.domain ??
          inviter?.slice(inviter.indexOf('@') + 1) ??
          config.server.domains[0]!
        ).toLowerCase();
        if (!config.server.domains.includes(domain))
          throw badRequest(`domain ${domain} is not served by this server`);
        checkDomain(req, domain);
        let username: string | undefined;
        if (b.username !== undefined) {
          try {
            username = normalizeLocalpart(b.username);
          } catch {
            throw badRequest(`username "${b.username}" is not a valid JID localpart`);
          }
          if (await stores.accounts.get(`${username}@${domain}`))
            throw conflict(`${username}@${domain} already exists`);
        }
        const ttl = config.registration.invitations.ttlMs;
        const now = Date.now();
        const inv: Invitation = {
          token: newInvitationToken(),
          domain,
          ...(inviter !== undefined ? { inviter } : {}),
          ...(username !== undefined ? { username } : {}),
          register: true,
          subscribe: inviter !== undefined && (b.subscribe ?? true),
          createdAt: now,
          expiresAt: now + Math.min(ttl, (b.ttlSeconds ?? Infinity) * 1000),
        };
        if (!(await stores.invitations.create(inv)))
          throw conflict(
            `${username ?? 'the username'}@${domain} is reserved by another invitation`,
          );
        return reply.code(201).send(view(inv));
      },
    );

    app.get(
      '/invitations/:token',
      {
        schema: {
          operationId: 'getInvitation',
          summary: 'An invitation that is neither used nor expired',
          tags: ['users'],
          params: TokenParams,
          response: { 200: ok('The invitation', InvitationView), ...problems('not-found') },
        },
      },
      async (req) => {
        const inv = await stores.invitations.get(req.params.token, Date.now());
        if (inv === undefined) throw notFound('no such invitation, or it was used or expired');
        checkDomain(req, inv.domain);
        return view(inv);
      },
    );

    app.delete(
      '/invitations/:token',
      {
        schema: {
          operationId: 'revokeInvitation',
          summary: 'Revoke an invitation',
          tags: ['users'],
          params: TokenParams,
          response: { 204: NO_CONTENT, ...problems('not-found') },
        },
      },
      async (req, reply) => {
        const inv = await stores.invitations.get(req.params.token, Date.now());
        if (inv === undefined) throw notFound('no such invitation, or it was used or expired');
        checkDomain(req, inv.domain);
        await stores.invitations.delete(req.params.token);
        return reply.code(204).send();
      },
    );
  };
}
