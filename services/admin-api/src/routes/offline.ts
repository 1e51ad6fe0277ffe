/** Offline messages (XEP-0160) and last activity (XEP-0012). */
import type { FastifyPluginAsync } from 'fastify';
import { pathAccount } from '../auth.js';
import type { ApiContext } from '../context.js';
import { notFound } from '../problem.js';
import { pageOf } from '../paging.js';
import {
  NO_CONTENT,
  XML,
  bool,
  int,
  obj,
  ok,
  page,
  pageQuery,
  problems,
  str,
  userParams,
} from '../schemas.js';

const DAY_MS = 86_400_000;
const offlineSchema = obj({ id: str(), ts: int('Time stored, ms since epoch'), xml: XML }, [
  'id',
  'ts',
  'xml',
]);
const deleted = ok('How many were deleted', obj({ deleted: int() }, ['deleted']));

export function offlineRoutes(ctx: ApiContext): FastifyPluginAsync {
  const { config, stores } = ctx;
  const existing = async (jid: string) => {
    if (!(await stores.accounts.get(jid))) throw notFound(`no account ${jid}`);
    return jid;
  };
  return async (app) => {
    app.get<{ Params: { jid: string }; Querystring: { limit: number; after?: string } }>(
      '/users/:jid/offline',
      {
        schema: {
          operationId: 'listOfflineMessages',
          summary: "A user's offline messages, oldest first",
          tags: ['offline'],
          params: userParams,
          querystring: pageQuery(config),
          response: {
            200: ok(
              'A page of stored messages',
              page(offlineSchema, { total: int('Stored in all') }),
            ),
            ...problems('not-found'),
          },
        },
      },
      async (req) => {
        const owner = await existing(pathAccount(config, req));
        const all = await stores.offline.list(owner);
        // Store ids increase per owner but are not fixed-width: page by position in arrival order.
        const index = new Map(all.map((m, i) => [m.id, String(i).padStart(12, '0')]));
        const p = pageOf(all, (m) => index.get(m.id)!, req.query.limit, req.query.after);
        return { ...p, total: all.length };
      },
    );

    app.delete<{ Params: { jid: string } }>(
      '/users/:jid/offline',
      {
        schema: {
          operationId: 'deleteOfflineMessages',
          summary: "Delete a user's offline messages",
          tags: ['offline'],
          params: userParams,
          response: { 200: deleted, ...problems('not-found') },
        },
      },
      async (req) => ({
        deleted: await stores.offline.deleteAll(await existing(pathAccount(config, req))),
      }),
    );

    app.delete<{ Querystring: { days: number } }>(
      '/offline/old',
      {
        schema: {
          operationId: 'deleteOldOfflineMessages',
          summary:
            'Delete the offline messages of every user stored more than a number of days ago',
          description:
            'Offline messages carry no expiry of their own (XEP-0079 is not supported): this is ' +
            'how expired messages are removed.',
          tags: ['offline'],
          querystring: obj(
            { days: int('Older than this many days', { minimum: 0, maximum: 36500 }) },
            ['days'],
          ),
          response: { 200: deleted, ...problems('domain-not-allowed') },
        },
        config: { global: true },
      },
      async (req) => ({
        deleted: await stores.offline.deleteOlderThan(Date.now() - req.query.days * DAY_MS),
      }),
    );

    app.get<{ Params: { jid: string } }>(
      '/users/:jid/last',
      {
        schema: {
          operationId: 'getLastActivity',
          summary: 'When a user was last online (XEP-0012)',
          tags: ['last'],
          params: userParams,
          response: {
            200: ok(
              'Last activity',
              obj(
                {
                  online: bool('Has a session now'),
                  ts: int('Last logout, ms since epoch (absent when never)'),
                  status: str('Status text at logout'),
                },
                ['online'],
              ),
            ),
            ...problems('not-found'),
          },
        },
      },
      async (req) => {
        const jid = await existing(pathAccount(config, req));
        const last = await stores.lastActivity.get(jid);
        const sessions = (await ctx.registry.request({ t: 'admin-sessions', jid })).sessions ?? [];
        return {
          online: sessions.length > 0,
          ...(last ? { ts: last.ts } : {}),
          ...(last?.status !== undefined ? { status: last.status } : {}),
        };
      },
    );

    app.put<{ Params: { jid: string }; Body: { ts: number; status?: string } }>(
      '/users/:jid/last',
      {
        schema: {
          operationId: 'setLastActivity',
          summary: "Set a user's last activity",
          tags: ['last'],
          params: userParams,
          body: obj(
            {
              ts: int('ms since epoch', { minimum: 0 }),
              status: str('Status text', { maxLength: 1024 }),
            },
            ['ts'],
          ),
          response: { 204: NO_CONTENT, ...problems('not-found') },
        },
      },
      async (req, reply) => {
        const jid = await existing(pathAccount(config, req));
        await stores.lastActivity.set(jid, {
          ts: req.body.ts,
          ...(req.body.status !== undefined ? { status: req.body.status } : {}),
        });
        return reply.code(204).send();
      },
    );
  };
}
