/** Accounts: register, check, list, count, remove, passwords, bans. */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { reservedForRegistration } from '@parley/config';
import type { AccountRemoved } from '@parley/routing';
import { routeSubject } from '@parley/routing';
import { deriveCredentials, verifyPassword } from '@parley/sasl';
import type { Account } from '@parley/store';
import { existingAccount } from '../accounts.js';
import { checkJid, listDomain, pathAccount } from '../auth.js';
import type { ApiContext } from '../context.js';
import { accountJid } from '../jids.js';
import { badRequest, conflict, notFound } from '../problem.js';
import {
  BARE_JID,
  DOMAIN,
  NO_CONTENT,
  User,
  UserParams,
  obj,
  ok,
  page,
  pageQuery,
  problems,
  ref,
} from '../schemas.js';

const PASSWORD = Type.String({ description: 'Password', minLength: 1, maxLength: 1024 });

export function userView(a: Account): Static<typeof User> {
  return { jid: a.jid, createdAt: a.createdAt, banned: a.banned === true };
}

export function usersRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { config, stores } = ctx;
  return async (app) => {
    app.get(
      '/users',
      {
        schema: {
          operationId: 'listUsers',
          summary: 'List accounts, ordered by JID',
          tags: ['users'],
          querystring: pageQuery(config, { domain: Type.Optional(DOMAIN) }),
          response: { 200: ok('A page of accounts', page(ref(User))) },
        },
      },
      async (req) => {
        const domain = listDomain(req, req.query.domain);
        const res = await stores.accounts.list({
          limit: req.query.limit,
          ...(req.query.after !== undefined ? { after: req.query.after } : {}),
          ...(domain !== undefined ? { domain } : {}),
        });
        return { items: res.items.map(userView), ...(res.next ? { next: res.next } : {}) };
      },
    );

    app.get(
      '/users/count',
      {
        schema: {
          operationId: 'countUsers',
          summary: 'Count accounts',
          tags: ['users'],
          querystring: obj({ domain: Type.Optional(DOMAIN) }),
          response: { 200: ok('The count', obj({ count: Type.Integer() })) },
        },
      },
      async (req) => ({ count: await stores.accounts.count(listDomain(req, req.query.domain)) }),
    );

    app.post(
      '/users',
      {
        schema: {
          operationId: 'registerUser',
          summary: 'Register an account',
          tags: ['users'],
          body: obj({ jid: BARE_JID, password: PASSWORD }),
          response: {
            201: ok('Created', ref(User)),
            ...problems('bad-request', 'domain-not-allowed', 'conflict'),
          },
        },
      },
      async (req, reply) => {
        const jid = accountJid(config, req.body.jid);
        checkJid(req, jid);
        // The admin API's identity and registration.reservedNames (issue 15).
        const reserved = reservedForRegistration(config, jid);
        if (reserved !== undefined) throw badRequest(reserved);
        const credentials = await deriveCredentials(req.body.password, {
          iterations: config.sasl.scramIterations,
        });
        const a: Account = { jid, credentials, createdAt: Date.now() };
        if (!(await stores.accounts.create(a))) throw conflict(`${jid} already exists`);
        ctx.logger.info('account registered by the admin API', { jid });
        return reply.code(201).send(userView(a));
      },
    );

    app.get(
      '/users/:jid',
      {
        schema: {
          operationId: 'getUser',
          summary: 'Check that an account exists',
          tags: ['users'],
          params: UserParams,
          response: { 200: ok('The account', ref(User)), ...problems('not-found') },
        },
      },
      async (req) => userView(await existingAccount(ctx, req)),
    );

    app.delete(
      '/users/:jid',
      {
        schema: {
          operationId: 'removeUser',
          summary: 'Remove an account and everything stored for it',
          description:
            'Its sessions are closed, its contacts unsubscribed, its roster, offline messages, ' +
            'archive, vCard, private XML and PEP nodes deleted.',
          tags: ['users'],
          params: UserParams,
          response: { 204: NO_CONTENT, ...problems('not-found') },
        },
      },
      async (req, reply) => {
        const jid = pathAccount(config, req);
        await removeAccount(ctx, jid);
        return reply.code(204).send();
      },
    );

    app.put(
      '/users/:jid/password',
      {
        schema: {
          operationId: 'changePassword',
          summary: "Change an account's password",
          tags: ['users'],
          params: UserParams,
          body: obj({ password: PASSWORD }),
          response: { 204: NO_CONTENT, ...problems('not-found') },
        },
      },
      async (req, reply) => {
        const a = await existingAccount(ctx, req);
        const credentials = await deriveCredentials(req.body.password, {
          iterations: config.sasl.scramIterations,
        });
        if (!(await stores.accounts.update({ ...a, credentials })))
          throw notFound(`no account ${a.jid}`);
        return reply.code(204).send();
      },
    );

    app.post(
      '/users/:jid/password/check',
      {
        schema: {
          operationId: 'checkPassword',
          summary: 'Check a password against the stored SCRAM keys',
          tags: ['users'],
          params: UserParams,
          body: obj({ password: PASSWORD }),
          response: { 200: ok('Whether it matches', obj({ valid: Type.Boolean() })) },
        },
        // A password oracle: only for tokens that could change the password anyway (issue 15).
        config: { scope: 'admin' },
      },
      async (req) => {
        const a = await stores.accounts.get(pathAccount(config, req));
        return {
          valid: a !== undefined && (await verifyPassword(a.credentials, req.body.password)),
        };
      },
    );

    app.put(
      '/users/:jid/ban',
      {
        schema: {
          operationId: 'banUser',
          summary: 'Ban an account: its sessions are closed and it cannot log in',
          tags: ['users'],
          params: UserParams,
          body: obj({
            reason: Type.Optional(
              Type.String({ description: 'Told to the closed sessions', maxLength: 1024 }),
            ),
          }),
          response: {
            200: ok('Banned', obj({ kicked: Type.Integer({ description: 'Sessions closed' }) })),
            ...problems('not-found'),
          },
        },
      },
      async (req) => {
        const a = await existingAccount(ctx, req);
        await stores.accounts.update({ ...a, banned: true });
        const r = await ctx.registry.request({
          t: 'admin-kick',
          jid: a.jid,
          text: req.body?.reason ?? 'The account has been banned',
        });
        ctx.logger.info('account banned by the admin API', { jid: a.jid });
        return { kicked: r.kicked ?? 0 };
      },
    );

    app.delete(
      '/users/:jid/ban',
      {
        schema: {
          operationId: 'unbanUser',
          summary: 'Lift a ban',
          tags: ['users'],
          params: UserParams,
          response: { 204: NO_CONTENT, ...problems('not-found') },
        },
      },
      async (req, reply) => {
        const a = await existingAccount(ctx, req);
        const { banned: _banned, ...rest } = a;
        await stores.accounts.update(rest);
        return reply.code(204).send();
      },
    );
  };
}

/** Deletes the account; its partition closes the sessions and deletes the rest (account-removed). */
export async function removeAccount(ctx: ApiContext, jid: string): Promise<void> {
  if (!(await ctx.stores.accounts.delete(jid))) throw notFound(`no account ${jid}`);
  const msg: AccountRemoved = { t: 'account-removed', jid };
  await ctx.bus.publishDurable(routeSubject(jid, ctx.config.routing.partitions), msg);
  ctx.logger.info('account removed by the admin API', { jid });
}
