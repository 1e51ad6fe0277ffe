/** Offline messages (XEP-0160) and last activity (XEP-0012). */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { existingAccount } from '../accounts.js';
import type { ApiContext } from '../context.js';
import { pageOf } from '../paging.js';
import { NO_CONTENT, UserParams, XML, obj, ok, page, pageQuery, problems } from '../schemas.js';

const DAY_MS = 86_400_000;
const OfflineMessage = obj({
  id: Type.String(),
  ts: Type.Integer({ description: 'Time stored, ms since epoch' }),
  xml: XML,
});
const deleted = ok('How many were deleted', obj({ deleted: Type.Integer() }));

export function offlineRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { config, stores } = ctx;
  return async (app) => {
    app.get(
      '/users/:jid/offline',
      {
        schema: {
          operationId: 'listOfflineMessages',
          summary: "A user's offline messages, oldest first",
          tags: ['offline'],
          params: UserParams,
          querystring: pageQuery(config),
          response: {
            200: ok(
              'A page of stored messages',
              page(OfflineMessage, { total: Type.Integer({ description: 'Stored in all' }) }),
            ),
            ...problems('not-found'),
          },
        },
        // User content: tokens with the data scope only (docs/admin-api.md).
        config: { scope: 'data' },
      },
      async (req) => {
        const owner = (await existingAccount(ctx, req)).jid;
        const all = await stores.offline.list(owner);
        // Store ids increase per owner but are not fixed-width: page by position in arrival order.
        const index = new Map(all.map((m, i) => [m.id, String(i).padStart(12, '0')]));
        const p = pageOf(all, (m) => index.get(m.id)!, req.query.limit, req.query.after);
        return { ...p, total: all.length };
      },
    );

    app.delete(
      '/users/:jid/offline',
      {
        schema: {
          operationId: 'deleteOfflineMessages',
          summary: "Delete a user's offline messages",
          tags: ['offline'],
          params: UserParams,
          response: { 200: deleted, ...problems('not-found') },
        },
      },
      async (req) => ({
        deleted: await stores.offline.deleteAll((await existingAccount(ctx, req)).jid),
      }),
    );

    app.delete(
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
          querystring: obj({
            days: Type.Integer({
              description: 'Older than this many days',
              minimum: 0,
              maximum: 36500,
            }),
          }),
          response: { 200: deleted, ...problems('domain-not-allowed') },
        },
        config: { global: true },
      },
      async (req) => ({
        deleted: await stores.offline.deleteOlderThan(Date.now() - req.query.days * DAY_MS),
      }),
    );

    app.get(
      '/users/:jid/last',
      {
        schema: {
          operationId: 'getLastActivity',
          summary: 'When a user was last online (XEP-0012)',
          tags: ['last'],
          params: UserParams,
          response: {
            200: ok(
              'Last activity',
              obj({
                online: Type.Boolean({ description: 'Has a session now' }),
                ts: Type.Optional(
                  Type.Integer({ description: 'Last logout, ms since epoch (absent when never)' }),
                ),
                status: Type.Optional(Type.String({ description: 'Status text at logout' })),
              }),
            ),
            ...problems('not-found'),
          },
        },
      },
      async (req) => {
        const { jid } = await existingAccount(ctx, req);
        const last = await stores.lastActivity.get(jid);
        const sessions = (await ctx.registry.request({ t: 'admin-sessions', jid })).sessions ?? [];
        return {
          online: sessions.length > 0,
          ...(last ? { ts: last.ts } : {}),
          ...(last?.status !== undefined ? { status: last.status } : {}),
        };
      },
    );

    app.put(
      '/users/:jid/last',
      {
        schema: {
          operationId: 'setLastActivity',
          summary: "Set a user's last activity",
          tags: ['last'],
          params: UserParams,
          body: obj({
            ts: Type.Integer({ description: 'ms since epoch', minimum: 0 }),
            status: Type.Optional(Type.String({ description: 'Status text', maxLength: 1024 })),
          }),
          response: { 204: NO_CONTENT, ...problems('not-found') },
        },
      },
      async (req, reply) => {
        const { jid } = await existingAccount(ctx, req);
        await stores.lastActivity.set(jid, {
          ts: req.body.ts,
          ...(req.body.status !== undefined ? { status: req.body.status } : {}),
        });
        return reply.code(204).send();
      },
    );
  };
}
