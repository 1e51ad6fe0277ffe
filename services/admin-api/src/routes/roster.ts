/**
 * Rosters. Changes run in the owner's partition as the owner's own roster
 * IQs (so connected clients get roster pushes); mutual subscriptions set
 * both items directly and exchange the users' current presence.
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NS_ROSTER } from '@parley/stanza';
import type { RosterItem } from '@parley/store';
import { xml } from '@parley/xml';
import { requireAccount } from '../accounts.js';
import { checkJid, pathAccount } from '../auth.js';
import type { ApiContext } from '../context.js';
import { accountJid, anyJid } from '../jids.js';
import { badRequest, notFound } from '../problem.js';
import { byKey, pageOf } from '../paging.js';
import {
  ACCEPTED,
  BARE_JID,
  CONTACT_GROUPS,
  CONTACT_NAME,
  Contact,
  NO_CONTENT,
  StringEnum,
  UserParams,
  obj,
  ok,
  page,
  pageQuery,
  params,
  problems,
  ref,
} from '../schemas.js';

const ContactParams = params({
  jid: 'Bare JID of the account',
  contact: 'Bare JID of the contact',
});
const ContactBody = obj({
  name: Type.Optional(CONTACT_NAME),
  groups: Type.Optional(CONTACT_GROUPS),
});
const MAX_ALL = 100;

/** In the roster as the client sees it (RFC 6121 2.1), or holding a pending inbound request. */
function visible(i: RosterItem): boolean {
  return (
    i.listed ||
    i.subscription !== 'none' ||
    i.ask !== undefined ||
    i.approved === true ||
    i.pendingIn === true
  );
}

export function contactView(i: RosterItem): Static<typeof Contact> {
  return {
    jid: i.jid,
    subscription: i.subscription,
    groups: i.groups,
    ...(i.name !== undefined ? { name: i.name } : {}),
    ...(i.ask !== undefined ? { ask: i.ask } : {}),
    ...(i.pendingIn ? { pendingIn: true } : {}),
  };
}

/** Makes two local users subscribed to each other's presence, with optional names and groups. */
export async function connect(
  ctx: ApiContext,
  a: string,
  b: string,
  item: { name?: string; groups?: string[] } = {},
): Promise<void> {
  if (a === b) throw badRequest('a user cannot be its own contact');
  for (const jid of [a, b]) await requireAccount(ctx.stores, jid);
  await ctx.registry.request({
    t: 'admin-subscription',
    jid: a,
    contact: b,
    subscription: 'both',
    ...item,
  });
  await ctx.registry.request({ t: 'admin-subscription', jid: b, contact: a, subscription: 'both' });
}

export function rosterRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { config, registry, stores } = ctx;
  const rosterIq = (owner: string, item: ReturnType<typeof xml>) =>
    registry.request({
      t: 'admin-iq',
      jid: owner,
      xml: xml(
        'iq',
        { type: 'set', id: 'admin' },
        xml('query', { xmlns: NS_ROSTER }, item),
      ).toString(),
    });
  const contactOf = (req: { params: Static<typeof ContactParams> }) =>
    anyJid(req.params.contact, 'contact').toBareString();

  return async (app) => {
    app.get(
      '/users/:jid/roster',
      {
        schema: {
          operationId: 'listContacts',
          summary: "A user's roster, ordered by contact JID",
          tags: ['roster'],
          params: UserParams,
          querystring: pageQuery(config),
          response: { 200: ok('A page of contacts', page(ref(Contact))) },
        },
      },
      async (req) => {
        const roster = await stores.rosters.get(pathAccount(config, req));
        const items = roster.items.filter(visible).sort(byKey((i) => i.jid));
        const p = pageOf(items, (i) => i.jid, req.query.limit, req.query.after);
        return { ...p, items: p.items.map(contactView) };
      },
    );

    app.get(
      '/users/:jid/roster/:contact',
      {
        schema: {
          operationId: 'getContact',
          summary: 'One roster item',
          tags: ['roster'],
          params: ContactParams,
          response: { 200: ok('The contact', ref(Contact)), ...problems('not-found') },
        },
      },
      async (req) => {
        const owner = pathAccount(config, req);
        const item = await stores.rosters.getItem(owner, contactOf(req));
        if (!item || !visible(item)) throw notFound(`${req.params.contact} is not in the roster`);
        return contactView(item);
      },
    );

    app.put(
      '/users/:jid/roster/:contact',
      {
        schema: {
          operationId: 'addContact',
          summary: 'Add a contact or change its name and groups (no subscription is requested)',
          tags: ['roster'],
          params: ContactParams,
          body: ContactBody,
          response: { 204: NO_CONTENT, ...problems('not-found', 'bad-request') },
        },
      },
      async (req, reply) => {
        const owner = pathAccount(config, req);
        const item = xml('item', { jid: contactOf(req), name: req.body?.name || undefined });
        for (const g of req.body?.groups ?? []) item.c('group').t(g);
        await rosterIq(owner, item);
        return reply.code(204).send();
      },
    );

    app.delete(
      '/users/:jid/roster/:contact',
      {
        schema: {
          operationId: 'deleteContact',
          summary: 'Remove a contact (cancels the subscriptions both ways)',
          tags: ['roster'],
          params: ContactParams,
          response: { 204: NO_CONTENT, ...problems('not-found') },
        },
      },
      async (req, reply) => {
        const owner = pathAccount(config, req);
        await rosterIq(owner, xml('item', { jid: contactOf(req), subscription: 'remove' }));
        return reply.code(204).send();
      },
    );

    app.post(
      '/users/:jid/roster/:contact/subscription',
      {
        schema: {
          operationId: 'sendSubscription',
          summary: 'Send a subscription request or answer as the user (RFC 6121 section 3)',
          description:
            "subscribe = ask to see the contact's presence; subscribed = approve the contact's " +
            'request; unsubscribe = stop seeing it; unsubscribed = deny or revoke.',
          tags: ['roster'],
          params: ContactParams,
          body: obj({
            action: StringEnum(['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed'], {
              description: 'What to send',
            }),
          }),
          response: { 202: ACCEPTED('Sent'), ...problems('not-found') },
        },
      },
      async (req, reply) => {
        const owner = pathAccount(config, req);
        await requireAccount(stores, owner);
        const p = xml('presence', { from: owner, to: contactOf(req), type: req.body.action });
        await ctx.router.send(p, 'out');
        return reply.code(202).send({});
      },
    );

    app.put(
      '/users/:jid/roster/:contact/mutual',
      {
        schema: {
          operationId: 'setMutualSubscription',
          summary: 'Subscribe two local users to each other (subscription both on both sides)',
          tags: ['roster'],
          params: ContactParams,
          body: ContactBody,
          response: { 204: NO_CONTENT, ...problems('not-found', 'bad-request') },
        },
      },
      async (req, reply) => {
        const a = pathAccount(config, req);
        const b = accountJid(config, req.params.contact, 'contact');
        checkJid(req, b);
        await connect(ctx, a, b, {
          ...(req.body?.name ? { name: req.body.name } : {}),
          ...(req.body?.groups ? { groups: req.body.groups } : {}),
        });
        return reply.code(204).send();
      },
    );

    app.delete(
      '/users/:jid/roster/:contact/mutual',
      {
        schema: {
          operationId: 'removeMutualSubscription',
          summary: "Remove two local users from each other's rosters",
          tags: ['roster'],
          params: ContactParams,
          response: { 204: NO_CONTENT, ...problems('not-found') },
        },
      },
      async (req, reply) => {
        const a = pathAccount(config, req);
        const b = accountJid(config, req.params.contact, 'contact');
        checkJid(req, b);
        let removed = 0;
        for (const [owner, contact] of [
          [a, b],
          [b, a],
        ] as const) {
          await rosterIq(owner, xml('item', { jid: contact, subscription: 'remove' })).then(
            () => removed++,
            (err: unknown) => {
              if ((err as { code?: string }).code !== 'not-found') throw err;
            },
          );
        }
        if (removed === 0) throw notFound(`${a} and ${b} are not in each other's rosters`);
        return reply.code(204).send();
      },
    );

    app.post(
      '/users/:jid/roster/subscribe-all',
      {
        schema: {
          operationId: 'subscribeToAll',
          summary: 'Subscribe a user and each of the given local users to each other',
          tags: ['roster'],
          params: UserParams,
          body: obj({ contacts: Type.Array(BARE_JID, { minItems: 1, maxItems: MAX_ALL }) }),
          response: { 204: NO_CONTENT, ...problems('not-found', 'bad-request') },
        },
      },
      async (req, reply) => {
        const a = pathAccount(config, req);
        for (const c of req.body.contacts) {
          const b = accountJid(config, c, 'contact');
          checkJid(req, b);
          if (b !== a) await connect(ctx, a, b);
        }
        return reply.code(204).send();
      },
    );

    app.post(
      '/roster/subscribe-all-to-all',
      {
        schema: {
          operationId: 'subscribeAllToAll',
          summary: 'Subscribe every given local user to every other one',
          tags: ['roster'],
          body: obj({ users: Type.Array(BARE_JID, { minItems: 2, maxItems: MAX_ALL }) }),
          response: { 204: NO_CONTENT, ...problems('not-found', 'bad-request') },
        },
      },
      async (req, reply) => {
        const users = [...new Set(req.body.users.map((u) => accountJid(config, u)))];
        for (const u of users) checkJid(req, u);
        for (let i = 0; i < users.length; i++)
          for (let j = i + 1; j < users.length; j++) await connect(ctx, users[i]!, users[j]!);
        return reply.code(204).send();
      },
    );
  };
}
